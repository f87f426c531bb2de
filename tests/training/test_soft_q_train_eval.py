"""train_eval / make_trainer: bad input, resume, SavedModel export, compare."""

import dataclasses
import os

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import time_step as ts

from omd_tf import training
from omd_tf.training import curves
from omd_tf.training import loop
from omd_tf.training import model_health
from omd_tf.training import protocol
from omd_tf.training import run_flags

TINY = dict(
    init_steps=200,
    batch_size=32,
    eval_interval=200,
    num_eval_episodes=1,
    checkpoint_interval=200,
    replay_capacity=2000,
)


@pytest.mark.parametrize(
    "kwargs, flag",
    [
        (dict(env="Pendulum-v1"), "--env"),
        (dict(env="NoSuchEnv-v0"), "--env"),
        (dict(agent="dqn"), "--agent"),
        (dict(model_hidden_dim=0), "--model_hidden_dim"),
        (dict(model_activation="sigmoid"), "--model_activation"),
        (dict(num_env_steps=0), "--num_env_steps"),
        (dict(tau=0.0), "--tau"),
        (dict(epsilon=1.5), "--epsilon"),
        (dict(q_lr=-1e-3), "--q_lr"),
        (dict(inverse="lu"), "--inverse"),
        (dict(num_distractors=-1), "--num_distractors"),
        (dict(protocol="paper"), "--protocol"),
        (dict(reset_q_optimizer="yes"), "--reset_q_optimizer"),
        (dict(q_lr_decay_steps=-1), "--q_lr_decay_steps"),
        (dict(q_lr_decay_steps=10, q_lr_final=-1e-4), "--q_lr_final"),
        (dict(q_lr_final=3e-5), "--q_lr_final applies with --q_lr_decay_steps"),
        (dict(initializer="he"), "--initializer"),
        (dict(agent="mle", update_order="q_last"), "--update_order"),
        (dict(agent="omd", update_order="model_first"), "--update_order"),
        (dict(protocol="reference", q_lr=0.0), "--q_lr"),
        (dict(adam_epsilon=0.0), "--adam_epsilon"),
        (dict(likelihood_weight=-0.1), "--likelihood_weight"),
        (dict(num_seeds=0), "--num_seeds"),
        (dict(num_seeds=-2), "--num_seeds"),
        (dict(num_seeds=2.5), "--num_seeds"),
        (dict(num_seeds="4"), "--num_seeds"),
        (dict(agent="vep", likelihood_weight=1.0), "--likelihood_weight"),
        (dict(hypergradient_clip_norm=float("nan")), "--hypergradient_clip_norm"),
        (dict(agent="mle", hypergradient_clip_norm=1.0), "--hypergradient_clip_norm"),
    ],
)
def test_bad_input_fails_before_writing_anything(tmp_path, kwargs, flag):
    root = tmp_path / "run"
    with pytest.raises(training.ConfigError, match=flag):
        training.train_eval(str(root), **kwargs)
    assert not root.exists()


def test_binary_names_the_bad_flag_and_writes_nothing(tmp_path, run_binary):
    root = tmp_path / "run"
    result = run_binary("train_eval.py", f"--root_dir={root}", "--model_hidden_dim=0")
    assert result.returncode != 0
    assert "--model_hidden_dim must be a positive integer, got 0" in result.stderr
    assert not root.exists()


def _network_variables(agent):
    nets = agent.q_networks + agent.target_q_networks + (agent.model_network,)
    return [v for net in nets for v in net.variables]


def _probs(agent, observation):
    time_step = ts.restart(observation, batch_size=observation.shape[0])
    return agent.policy.distribution(time_step).action.probs_parameter().numpy()


def test_resume_after_interruption(tmp_path, eval_csv_steps, run_until_interrupted):
    """Interrupted after the checkpoint at 400 env steps, a new run resumes there."""
    root = str(tmp_path / "run")
    trainer = training.make_trainer(root, num_env_steps=800, **TINY)
    snapshot = {}

    def snapshot_at_400(step):
        if step == 400:  # The state the checkpoint at 400 holds.
            snapshot["replay"] = trainer.replay_buffer.gather_all()
            snapshot["variables"] = [
                v.numpy() for v in _network_variables(trainer.agent)
            ]
            observation = snapshot["replay"].observation[0, :100]
            snapshot["observation"] = observation
            snapshot["probs"] = _probs(trainer.agent, observation)
            snapshot["train_steps"] = trainer.agent.train_step_counter.numpy()

    run_until_interrupted(trainer, 600, snapshot_at_400)

    resumed = training.make_trainer(root, num_env_steps=800, **TINY)
    assert resumed.env_steps == 400
    assert resumed.agent.train_step_counter.numpy() == snapshot["train_steps"] == 200
    replay = resumed.replay_buffer.gather_all()
    for got, want in zip(tf.nest.flatten(replay), tf.nest.flatten(snapshot["replay"])):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(_network_variables(resumed.agent), snapshot["variables"]):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        _probs(resumed.agent, snapshot["observation"]), snapshot["probs"]
    )
    resumed.run()
    resumed.close()
    assert resumed.env_steps == 800
    assert resumed.agent.train_step_counter.numpy() == 600
    assert eval_csv_steps(root) == [400, 600, 800]  # No eval during random steps.


def test_run_records_its_config_and_refuses_to_resume_with_others(tmp_path):
    root = str(tmp_path / "run")
    run_config = training.SoftQConfig(num_env_steps=400, **TINY)
    training.train_eval(root, run_config)
    with open(os.path.join(root, curves.EVAL_PLOT), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"  # The run plots its returns.
    # Every field, the protocol's options and jit_compile resolved (one seed: XLA).
    resolved = protocol.resolve({**dataclasses.asdict(run_config), "jit_compile": True})
    assert run_flags.read(root) == resolved
    assert resolved["q_lr"] == 1e-3 and resolved["batch_size"] == TINY["batch_size"]
    before = _files(root)
    with pytest.raises(
        training.ConfigError, match=r"--agent=mle \(the run: omd\).*--tau=0.5"
    ):
        training.make_trainer(root, run_config, agent="mle", tau=0.5)
    assert _files(root) == before
    # A longer budget, another eval schedule or graph mode: a resume.
    resumed = training.make_trainer(
        root,
        run_config,
        num_env_steps=600,
        jit_compile=False,
        eval_interval=100,
        num_eval_episodes=2,
    )
    assert resumed.env_steps == 400
    resumed.close()


def test_reference_mle_run_records_resolved_flags_and_alive_flags(tmp_path):
    """Two batches per train call; flags.json holds the preset's values."""
    root = str(tmp_path / "run")
    args = dict(agent="mle", **TINY)
    trainer = training.make_trainer(
        root, protocol="reference", num_env_steps=400, **args
    )
    agent, batch_sizes = trainer.agent, []
    # optax's Adam ε, for the Q and the model optimisers alike.
    model_optimizer = agent._model_learning.model_optimizer
    assert agent._q_optimizer.epsilon == model_optimizer.epsilon == 1e-8

    def train(experience):
        batch_sizes.append(experience.observation.shape[0])
        return type(agent).train(agent, experience)

    agent.train = train
    loop.run_and_close(trainer)
    assert batch_sizes == [2 * TINY["batch_size"]]  # Traced once.
    recorded = run_flags.read(root)
    preset = protocol.values("reference", "mle")
    assert {name: recorded[name] for name in protocol.OPTIONS} == preset
    alive = model_health.read(root)
    assert alive["init"]["env_steps"] == 0 and alive["final"]["env_steps"] == 400
    assert set(alive["final"]) == {"env_steps", "dynamics", "reward"}

    # The same resolved values resume; another protocol's do not.
    training.make_trainer(
        root, protocol="reference", num_env_steps=600, q_lr=3e-4, **args
    ).close()
    with pytest.raises(
        training.ConfigError, match=r"--initializer=glorot \(the run: orthogonal\)"
    ):
        training.make_trainer(root, num_env_steps=600, **args)


def test_flags_of_a_run_without_checkpoint_can_change(tmp_path):
    root = str(tmp_path / "run")
    run_flags.write(root, dict(root_dir=root, agent="mle"))  # Died before a save.
    trainer = training.make_trainer(root, num_env_steps=400, **TINY)
    assert trainer.env_steps == 0
    trainer.close()


def test_exported_policy_acts_like_the_live_one(tmp_path, exported_actions):
    root = str(tmp_path / "run")
    trainer = training.make_trainer(root, num_env_steps=1000, greedy_eval=True, **TINY)
    trainer.run()
    trainer.close()
    rng = np.random.default_rng(0)
    observation = rng.normal(size=(100, 4)).astype(np.float32)
    live = trainer.agent.policy.action(ts.restart(observation, batch_size=100)).action
    np.testing.assert_array_equal(exported_actions(root, observation), live.numpy())
    assert len(set(live.numpy())) == 2  # Both actions occur: a real comparison.


def test_compare_prints_both_agents(tmp_path, eval_csv_steps):
    lines = []
    finals = training.compare(
        str(tmp_path), num_env_steps=400, print_fn=lines.append, **TINY
    )
    assert set(finals) == {"omd", "mle"}
    assert lines[1].split() == ["env", "steps", "omd", "mle"]
    assert lines[-4].split()[0] == "final"
    assert lines[-3] == f"plot: {tmp_path / 'eval_returns.png'}"
    with open(tmp_path / "eval_returns.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    for name in ("omd", "mle"):
        assert eval_csv_steps(os.path.join(str(tmp_path), name)) == [400]
        assert os.path.isdir(os.path.join(str(tmp_path), name, loop.POLICY_DIR))


def test_compare_of_populations_prints_mean_and_standard_error(tmp_path):
    lines = []
    finals = training.compare(
        str(tmp_path),
        num_env_steps=600,
        num_seeds=2,
        print_fn=lines.append,
        **TINY,
    )
    assert "seeds 0-1, mean ± standard error" in lines[0]
    final_cells = lines[-4].split()
    assert final_cells[0] == "final" and final_cells.count("±") == 2
    for name, mean in zip(("omd", "mle"), (final_cells[1], final_cells[4])):
        returns = [
            curves.read(str(tmp_path / name / f"{name}_s{seed}"))[600]
            for seed in (0, 1)
        ]
        assert float(mean) == pytest.approx(np.mean(returns), abs=0.05)
        assert finals[name] == pytest.approx(np.mean(returns), rel=1e-5)
    assert "per seed omd_s0 …: eval_returns.csv" in lines[-2]


def _files(root):
    return sorted(
        os.path.relpath(os.path.join(directory, name), root)
        for directory, _, names in os.walk(root)
        for name in names
    )


def _inspect_seeds(run_binary, root, num_env_steps, *extra):
    """inspect_seeds.py's rows, [[seed, L_true, …]], for a 2-seed TINY run."""
    result = run_binary(
        "inspect_seeds.py",
        f"--root_dir={root}",
        "--num_seeds=2",
        "--seed=3",
        "--num_batches=1",
        f"--num_env_steps={num_env_steps}",
        *[f"--{name}={value}" for name, value in TINY.items()],
        *extra,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{root} at {num_env_steps} env steps")
    assert lines[1].split(" | ")[:4] == ["seed", "L_true", "mean Q", "next-state MSE"]
    return [line.split(" | ") for line in lines[2:]]


def test_inspect_seeds_prints_one_row_per_seed(tmp_path, run_binary):
    root = str(tmp_path / "run")
    training.train_eval(root, num_env_steps=400, num_seeds=2, seed=3, **TINY)
    before = _files(root)
    rows = _inspect_seeds(run_binary, root, 400)
    assert [row[0] for row in rows] == ["3", "4"]
    for row in rows:
        assert len(row) == 8 and all(np.isfinite(float(x)) for x in row[1:])
        assert -1.0 <= float(row[-1]) <= 1.0
    # The model put back to its initial weights: the same batches (Q's
    # columns equal), another model (its error differs).
    initial = _inspect_seeds(run_binary, root, 400, "--initial_model")
    for row, initial_row in zip(rows, initial):
        assert initial_row[:3] == row[:3]
        assert initial_row[3] != row[3]
    assert _files(root) == before  # Inspecting writes nothing.


def test_inspect_seeds_initial_model_is_the_one_the_run_started_from(
    tmp_path, run_binary
):
    # Only the random steps (init_steps = num_env_steps): no train step has
    # moved the model, so putting it back to its initial weights changes
    # no column.
    root = str(tmp_path / "run")
    training.train_eval(root, num_env_steps=200, num_seeds=2, seed=3, **TINY)
    assert _inspect_seeds(run_binary, root, 200, "--initial_model") == (
        _inspect_seeds(run_binary, root, 200)
    )


def test_inspect_model_reports_live_units_of_a_run(tmp_path, run_binary):
    root = str(tmp_path / "run")
    flags = [f"--{name}={value}" for name, value in TINY.items()]
    empty = run_binary("inspect_model.py", f"--root_dir={root}", *flags)
    assert empty.returncode != 0 and "has no checkpoint" in empty.stderr
    assert not os.path.exists(root)
    training.train_eval(root, num_env_steps=400, model_hidden_dim=4, **TINY)
    before = _files(root)
    result = run_binary(
        "inspect_model.py",
        f"--root_dir={root}",
        "--model_hidden_dim=4",
        "--num_samples=256",
        *flags,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{root} at 400 env steps"
    layers = [line.split(": ")[0] for line in lines[1:5]]
    assert layers == [
        f"live fraction per unit, {mlp}_hidden{i}"
        for mlp in ("dynamics", "reward")
        for i in (0, 1)
    ]
    for line in lines[1:5]:
        fractions = [float(x) for x in line.split(": ")[1].split()]
        assert len(fractions) == 4 and all(0.0 <= f <= 1.0 for f in fractions)
    assert lines[-1].startswith("predicted reward mean")
    assert "real reward mean 1.000 std 0.000" in lines[-1]  # CartPole: always 1.
    assert _files(root) == before  # Inspecting writes nothing.


def _checkpoint_values(root_dir, prefix):
    """{key: value} of the last checkpoint's variables under ``prefix``."""
    path = tf.train.latest_checkpoint(os.path.join(root_dir, "checkpoints"))
    reader = tf.train.load_checkpoint(path)
    return {
        key: reader.get_tensor(key)
        for key in reader.get_variable_to_shape_map()
        if key.startswith(prefix) and key.endswith("VARIABLE_VALUE")
    }


def test_continue_frozen_trains_q_on_the_frozen_model(tmp_path, run_binary):
    source = str(tmp_path / "run")
    training.train_eval(source, num_env_steps=400, num_seeds=2, seed=3, **TINY)
    before = _files(source)
    frozen = str(tmp_path / "frozen")
    result = run_binary(
        "continue_frozen.py",
        f"--from_dir={source}",
        f"--root_dir={frozen}",
        "--extra_env_steps=400",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2].startswith("seed 3: ")
    assert _files(source) == before  # The source run is not touched.
    assert tf.train.latest_checkpoint(f"{frozen}/checkpoints").endswith("ckpt-800")
    # 400 more train steps: every model weight as it was, the Q weights moved.
    for prefix, moved in (("agent/_model_network/", False), ("agent/_q_networks/", True)):
        old, new = _checkpoint_values(source, prefix), _checkpoint_values(frozen, prefix)
        assert old and old.keys() == new.keys()
        changed = [key for key in old if not np.array_equal(old[key], new[key])]
        assert bool(changed) == moved, (prefix, changed)

    again = run_binary("continue_frozen.py", f"--from_dir={source}", f"--root_dir={frozen}")
    assert again.returncode != 0 and f"--root_dir={frozen!r} exists" in again.stderr
    empty = run_binary(
        "continue_frozen.py", f"--from_dir={tmp_path}", f"--root_dir={tmp_path}/x"
    )
    assert empty.returncode != 0 and "holds no checkpointed soft-Q run" in empty.stderr
    assert not os.path.exists(f"{tmp_path}/x")
