"""Helpers shared by the train_eval tests: eval CSV, exported policy, binaries."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

from omd_tf.training import curves
from omd_tf.training import evaluation
from omd_tf.training import loop
from omd_tf.training import summaries

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Imports TensorFlow (and TFP, whose distribution types the SavedModel's
# `distribution` signature uses), nothing of this repository.
_LOAD_SCRIPT = """
import sys
import numpy as np
import tensorflow as tf
import tensorflow_probability  # noqa: F401, registers distribution TypeSpecs.

policy = tf.saved_model.load(sys.argv[1])
observation = np.load(sys.argv[2])
n = observation.shape[0]
inputs = {
    "0/step_type": tf.zeros([n], tf.int32),
    "0/reward": tf.zeros([n], tf.float32),
    "0/discount": tf.ones([n], tf.float32),
    "0/observation": tf.constant(observation),
}
action = policy.signatures["action"](**inputs)["action"]
np.save(sys.argv[3], action.numpy())
"""


@pytest.fixture
def eval_csv_steps():
    """``eval_csv_steps(root_dir)``: env steps of the rows of its eval CSV."""

    def steps(root_dir):
        with open(os.path.join(root_dir, curves.EVAL_CSV), newline="") as f:
            return [int(row["env_steps"]) for row in csv.DictReader(f)]

    return steps


@pytest.fixture
def exported_actions(tmp_path):
    """``exported_actions(root_dir, observation)``: actions of the exported policy.

    The SavedModel in ``root_dir/policy`` is loaded with `tf.saved_model.load`
    in a fresh Python process, away from the repository (nothing of ours to
    import), and its ``action`` signature is applied to ``observation``
    [B, ...] float32 at FIRST time steps; returns the actions [B, ...].
    """

    def actions(root_dir, observation):
        observation_path = str(tmp_path / "observation.npy")
        action_path = str(tmp_path / "action.npy")
        np.save(observation_path, observation)
        script = tmp_path / "load_policy.py"
        script.write_text(_LOAD_SCRIPT)
        subprocess.run(
            [
                sys.executable,
                str(script),
                os.path.join(root_dir, loop.POLICY_DIR),
                observation_path,
                action_path,
            ],
            check=True,
            cwd=str(tmp_path),
        )
        return np.load(action_path)

    return actions


@pytest.fixture
def run_binary():
    """``run_binary(name, *flags, cwd=REPO)``: `CompletedProcess` of ``bin/<name>``.

    Runs in ``cwd`` (default the repository root) with this interpreter;
    stdout and stderr are captured as text.
    """

    def run(name, *flags, cwd=REPO):
        return subprocess.run(
            [sys.executable, os.path.join(REPO, "bin", name), *flags],
            capture_output=True,
            text=True,
            cwd=cwd,
        )

    return run


@pytest.fixture
def tensorboard_scalars():
    """``tensorboard_scalars(root_dir, folder)``: {tag: [(step, value)]} of its events."""
    return summaries.read_scalars


@pytest.fixture
def run_until_interrupted(monkeypatch):
    """``run(trainer, step, on_eval=None)``: runs ``trainer`` until its evaluation
    at env step ``step``, which raises KeyboardInterrupt (after the checkpoint
    before it, none at ``step``); ``on_eval(step)`` is called at every earlier
    evaluation.  Closes the trainer."""
    evaluate = evaluation.Evaluator.__call__

    def run(trainer, step, on_eval=None):
        def evaluate_then_interrupt(evaluator, at, *args):
            if at == step:
                raise KeyboardInterrupt
            if on_eval is not None:
                on_eval(at)
            return evaluate(evaluator, at, *args)

        monkeypatch.setattr(evaluation.Evaluator, "__call__", evaluate_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            trainer.run()
        trainer.close()
        monkeypatch.undo()

    return run
