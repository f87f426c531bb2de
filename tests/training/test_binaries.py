"""What the training binaries print: help, usage errors, quiet runs, re-runs.

Each binary runs as a subprocess, as a user would start it.
"""

import dataclasses
import os
import re
import subprocess
import sys

import pytest

from omd_tf.training import curves
from omd_tf.training import sac
from omd_tf.training import soft_q
from omd_tf.training import run_lock

TINY_FLAGS = (
    "--num_env_steps=1000",
    "--init_steps=500",
    "--eval_interval=500",
    "--num_eval_episodes=2",
    "--batch_size=32",
)
# The lines a training run prints itself: progress (stderr) and the result.
_PROGRESS = re.compile(r"env steps \d+/\d+ \| eval return -?[\d.]+ \| \d+ steps/s \| ETA \S+")
_RESULT = re.compile(r"run (finished|complete, nothing to do): final mean eval return ")


def _foreign_lines(stderr):
    """Lines of ``stderr`` that the project did not write."""
    return [line for line in stderr.splitlines() if not _PROGRESS.fullmatch(line)]


@pytest.mark.parametrize(
    "binary, wanted",
    [
        ("train_eval.py", ["--root_dir", "--agent", "--model_hidden_dim", "--q_lr"]),
        ("train_sac.py", ["--root_dir", "--agent", "--model_hidden_dim", "--actor_lr"]),
        ("inspect_model.py", ["--root_dir", "--agent", "--num_samples"]),
        ("inspect_hypergradient.py", ["--root_dir", "--agent", "--num_batches"]),
        ("inspect_seeds.py", ["--root_dir", "--num_seeds", "--cg_iterations"]),
        ("continue_frozen.py", ["--from_dir", "--root_dir", "--extra_env_steps"]),
        ("demo.py", ["--out_dir", "--num_env_steps"]),
        ("tabular.py", ["--out_dir", "--experiment", "--jit_compile"]),
        ("summarize_runs.py", ["--out_dir", "--last_n"]),
    ],
)
def test_helpshort_lists_the_binarys_own_flags(run_binary, binary, wanted):
    # --help prints the same as --helpshort (absl); asked of one binary only.
    for help_flag in ("--helpshort", "--help") if binary == "train_eval.py" else ("--helpshort",):
        result = run_binary(binary, help_flag)  # absl exits 1 after help.
        assert not result.stderr
        for flag in wanted + ["--verbose"]:
            boolean = flag.replace("--", "--[no]")
            assert re.search(f"  ({re.escape(flag)}|{re.escape(boolean)}): ", result.stdout), (help_flag, flag)
        assert "(default: " in result.stdout
        assert "--tf_" not in result.stdout  # TensorFlow's flags: --helpfull only.


def _flag_blocks(help_output):
    """{flag name: its help block, whitespace collapsed} of absl's help output."""
    blocks = re.split(r"\n  --(?:\[no\])?", help_output)[1:]
    return {
        block.split(":", 1)[0]: " ".join(block.split(":", 1)[1].split())
        for block in blocks
    }


@pytest.mark.parametrize(
    "binary, config_class",
    [("train_eval.py", soft_q.SoftQConfig), ("train_sac.py", sac.SacConfig)],
)
def test_each_config_field_is_a_flag_with_its_default_and_help(
    run_binary, binary, config_class
):
    blocks = _flag_blocks(run_binary(binary, "--helpshort").stdout)
    fields = dataclasses.fields(config_class)
    assert {f.name for f in fields} | {"root_dir", "verbose", "threads"} == set(blocks)
    for field in fields:
        block = blocks[field.name]
        assert block.startswith(" ".join(field.metadata["help"].split())), field.name
        if field.default is None:  # Optional: unset unless given.
            assert "(default: " not in block, field.name
        else:
            default = field.default
            if isinstance(default, bool):
                default = str(default).lower()
            assert f"(default: '{default}')" in block, field.name


def test_usage_error_is_one_line(tmp_path, run_binary):
    result = run_binary("train_eval.py", f"--root_dir={tmp_path}/run", "--agent=dqn")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "train_eval.py: error: --agent must be one of omd, mle, vep, got 'dqn'. "
        "(see train_eval.py --helpshort)"
    ]


def test_threads_flag_sets_tensorflows_pools_and_refuses_a_negative_count(
    tmp_path, run_binary
):
    result = run_binary("train_eval.py", f"--root_dir={tmp_path}/run", "--threads=-1")
    assert result.stderr.splitlines() == [
        "train_eval.py: error: --threads must be 0 (TensorFlow's default) or "
        "positive, got -1. (see train_eval.py --helpshort)"
    ]
    assert not (tmp_path / "run").exists()
    applied = subprocess.run(
        [sys.executable, "-c", _THREADS_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
    )
    assert applied.stdout.split() == ["1", "1"]


# Parses --threads=1 as a binary does, applies it, prints TensorFlow's
# intra- and inter-op thread counts.
_THREADS_SCRIPT = """
from absl import flags
import tensorflow as tf
from omd_tf.training import cli
cli.define_threads_flag()
flags.FLAGS(["binary", "--threads=1"])
cli.apply_threads()
print(tf.config.threading.get_intra_op_parallelism_threads(),
      tf.config.threading.get_inter_op_parallelism_threads())
"""


def test_a_run_is_quiet_and_a_rerun_of_it_does_nothing(tmp_path, run_binary):
    root = tmp_path / "run"
    first = run_binary("train_eval.py", f"--root_dir={root}", *TINY_FLAGS, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert _RESULT.match(first.stdout) and len(first.stdout.splitlines()) == 1
    progress = [line for line in first.stderr.splitlines() if _PROGRESS.fullmatch(line)]
    assert [line.split(" | ")[0] for line in progress] == [
        "env steps 1000/1000"
    ]  # One evaluation after the 500 random steps.
    # At most 3 lines not ours: XLA's first compilation logs two.
    assert len(_foreign_lines(first.stderr)) <= 3, first.stderr

    csv_bytes = (root / curves.EVAL_CSV).read_bytes()
    files = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.name != run_lock.FILE}
    again = run_binary("train_eval.py", f"--root_dir={root}", *TINY_FLAGS, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    final = first.stdout.split("final mean eval return ")[1].split()[0]
    assert again.stdout.startswith(
        f"run complete, nothing to do: final mean eval return {final} at 1000 env steps"
    )
    assert (root / curves.EVAL_CSV).read_bytes() == csv_bytes
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.name != run_lock.FILE} == files
    assert not _PROGRESS.search(again.stderr)  # Nothing trained or evaluated.


def test_verbose_brings_the_libraries_output_back(tmp_path, run_binary):
    result = run_binary(
        "train_eval.py", f"--root_dir={tmp_path}/run", *TINY_FLAGS, "--verbose"
    )
    assert result.returncode == 0, result.stderr
    foreign = "\n".join(_foreign_lines(result.stderr))
    for library_line in (
        "Gym has been unmaintained",  # gym's import banner
        "ReplayBuffer.get_next",  # TF deprecation warning
        "Assets written to",  # TensorFlow INFO at export
        "UserWarning",  # Python warning at export
    ):
        assert library_line in foreign, library_line


def test_sac_run_is_quiet_and_keeps_mujoco_log_out_of_the_current_folder(
    tmp_path, run_binary
):
    result = run_binary(
        "train_sac.py",
        f"--root_dir={tmp_path}/run",
        "--env=HalfCheetah-v5",  # Its XML makes MuJoCo warn (settotalmass).
        "--num_env_steps=300",
        "--init_steps=250",
        "--eval_interval=300",
        "--num_eval_episodes=1",
        "--hidden_dim=16",
        "--batch_size=16",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert len(_foreign_lines(result.stderr)) <= 3, result.stderr
    assert "settotalmass" not in result.stdout + result.stderr
    assert sorted(os.listdir(tmp_path)) == ["run"]  # No MUJOCO_LOG.TXT.
