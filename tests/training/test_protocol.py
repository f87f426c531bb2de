"""--protocol presets: which values fill the unset options; the binary's flags."""

from omd_tf.training import protocol

UNSET = dict.fromkeys(protocol.OPTIONS)


def _resolved(**args):
    resolved = protocol.resolve({**UNSET, **args})
    return {name: resolved[name] for name in protocol.OPTIONS}


def test_preset_fills_unset_options_and_explicit_ones_win():
    assert _resolved(protocol="default", agent="omd") == dict(
        q_lr=1e-3,
        reset_q_optimizer=False,
        initializer="glorot",
        update_order="q_first",
        adam_epsilon=1e-7,
    )
    assert _resolved(protocol="reference", agent="omd") == dict(
        q_lr=3e-4,
        reset_q_optimizer=True,
        initializer="orthogonal",
        update_order="q_first",
        adam_epsilon=1e-8,
    )
    assert _resolved(protocol="reference", agent="mle") == dict(
        q_lr=3e-4,
        reset_q_optimizer=False,
        initializer="orthogonal",
        update_order="model_first",
        adam_epsilon=1e-8,
    )
    assert _resolved(
        protocol="reference",
        agent="omd",
        q_lr=1e-3,
        reset_q_optimizer=False,
        adam_epsilon=1e-7,
    ) == dict(
        q_lr=1e-3,
        reset_q_optimizer=False,
        initializer="orthogonal",
        update_order="q_first",
        adam_epsilon=1e-7,
    )


def test_binary_takes_the_protocol_flags(tmp_path, run_binary):
    """Flags with a None default parse; a bad combination is named."""
    root = tmp_path / "run"
    result = run_binary(
        "train_eval.py", f"--root_dir={root}", "--update_order=model_first"
    )
    assert result.returncode != 0
    assert "--update_order must be q_first for --agent=omd" in result.stderr
    assert not root.exists()
