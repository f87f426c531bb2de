"""Crash and resume: a run killed with SIGKILL and re-run ends as if never killed.

Each run is a subprocess of `faulty_run.py` (a training binary with one fault
injected).  The killed runs are re-run with the same flags until they finish;
the final eval CSV must equal, byte for byte, that of the same run never
interrupted, with every evaluation step once, and the exported policy must
load and act.  The variant marked ``long`` kills at more points of longer
runs: ``pytest -m long tests/training/test_crash_resume.py``.
"""

import csv
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from omd_tf.training import curves

FAULTY_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "faulty_run.py")
SOFT_Q_FLAGS = (
    "--num_env_steps=1500",
    "--init_steps=250",
    "--eval_interval=250",
    "--checkpoint_interval=500",
    "--num_eval_episodes=2",
    "--batch_size=32",
    "--replay_capacity=2000",
)
SAC_FLAGS = (
    "--env=InvertedPendulum-v5",
    "--num_env_steps=900",
    "--init_steps=300",
    "--eval_interval=300",
    "--checkpoint_interval=300",
    "--num_eval_episodes=1",
    "--batch_size=32",
    "--hidden_dim=32",
    "--model_hidden_dim=16",
    "--replay_capacity=2000",
)


def _run(fault, binary, root, flags):
    return subprocess.run(
        [sys.executable, FAULTY_RUN, fault, binary, f"--root_dir={root}", *flags],
        capture_output=True,
        text=True,
        cwd=str(root.parent),
    )


def _csv_bytes(root):
    with open(root / curves.EVAL_CSV, "rb") as f:
        return f.read()


def _crash_and_resume(tmp_path, binary, flags, faults):
    """(uninterrupted CSV, CSV of the run killed at each of ``faults`` in turn)."""
    whole = tmp_path / "whole"
    result = _run("none", binary, whole, flags)
    assert result.returncode == 0, result.stderr
    crashed = tmp_path / "crashed"
    for fault in faults:
        result = _run(fault, binary, crashed, flags)
        assert result.returncode == -signal.SIGKILL, (fault, result.stderr)
    result = _run("none", binary, crashed, flags)
    assert result.returncode == 0, result.stderr
    return whole, crashed


def _assert_same_run(whole, crashed, eval_interval, num_env_steps, exported_actions):
    with open(crashed / curves.EVAL_CSV, newline="") as f:
        steps = [int(row["env_steps"]) for row in csv.DictReader(f)]
    assert steps == list(range(2 * eval_interval, num_env_steps + 1, eval_interval))
    assert _csv_bytes(crashed) == _csv_bytes(whole)
    observation = np.zeros((3, 4), np.float32)
    actions = exported_actions(str(crashed), observation)
    assert actions.shape[0] == 3


def test_soft_q_run_killed_in_training_checkpoint_and_export_resumes_exactly(
    tmp_path, exported_actions
):
    whole, crashed = _crash_and_resume(
        tmp_path,
        "train_eval.py",
        SOFT_Q_FLAGS,
        # Train calls: 250-500, 500-750 (then killed: after the checkpoint
        # at 500, before the one at 1000), ...; checkpoints at 500, 1000.
        faults=("kill_train:2", "kill_checkpoint:1", "kill_export"),
    )
    _assert_same_run(whole, crashed, 250, 1500, exported_actions)


def test_sac_run_killed_in_training_resumes_exactly(tmp_path):
    whole, crashed = _crash_and_resume(
        tmp_path, "train_sac.py", SAC_FLAGS, faults=("kill_train:2",)
    )
    assert _csv_bytes(crashed) == _csv_bytes(whole)


@pytest.mark.long
@pytest.mark.parametrize("number", [1, 3, 5])
def test_soft_q_run_killed_at_more_points_resumes_exactly(
    tmp_path, exported_actions, number
):
    flags = SOFT_Q_FLAGS[1:] + ("--num_env_steps=4000",)
    whole, crashed = _crash_and_resume(
        tmp_path,
        "train_eval.py",
        flags,
        faults=(f"kill_train:{number}", f"kill_checkpoint:{number}", "kill_export"),
    )
    _assert_same_run(whole, crashed, 250, 4000, exported_actions)
