"""One real trajectory and the models' one-step predictions along it (Figure 5, right)."""

import csv
import os

from absl import app
import numpy as np
import pytest
import tensorflow as tf
from tf_agents.policies import random_tf_policy
from tf_agents.specs import tensor_spec

from omd_tf import envs
from omd_tf import networks
from omd_tf import training
from omd_tf.training import cli
from omd_tf.training import soft_q
from omd_tf.training import trajectory
from tiny_population import TINY


def _replayed(seed, actions):
    """The observations of CartPole seeded ``seed`` under ``actions``, step by step."""
    env = envs.load("CartPole-v1", seed=seed)
    observations = [env.reset().observation]
    for action in actions:
        observations.append(env.step(np.asarray(action)).observation)
    env.close()
    return np.stack(observations)


def test_rollout_is_one_real_episode_cut_at_max_steps():
    env = envs.load("CartPole-v1")
    policy = random_tf_policy.RandomTFPolicy(
        tensor_spec.from_spec(env.time_step_spec()), tensor_spec.from_spec(env.action_spec())
    )
    env.close()
    tf.random.set_seed(0)
    observations, actions = trajectory.rollout("CartPole-v1", 0, 3, policy, 500)
    assert len(observations) == len(actions) + 1 < 200  # A random policy falls early.
    np.testing.assert_array_equal(observations, _replayed(3, actions))
    short, short_actions = trajectory.rollout("CartPole-v1", 0, 3, policy, 5)
    assert short.shape == (6, 4) and short_actions.shape == (5,)


def test_a_members_predictions_are_its_own_models():
    env = envs.load("CartPole-v1")
    specs = tensor_spec.from_spec((env.observation_spec(), env.action_spec()))
    env.close()
    population = networks.ModelNetwork(*specs, hidden_dim=8, num_members=3)
    single = networks.ModelNetwork(*specs, hidden_dim=8)
    population.create_variables()
    single.create_variables()
    rng = np.random.default_rng(0)
    observations = rng.normal(size=(11, 4)).astype(np.float32)
    actions = rng.integers(0, 2, size=10)
    networks.copy_member(population, 1, single)
    (expected, _), _ = single((observations[:-1], actions))
    np.testing.assert_allclose(
        trajectory.one_step_predictions(population, observations, actions, member=1),
        expected.numpy(),
        rtol=1e-6,
        atol=1e-6,
    )
    np.testing.assert_array_equal(
        trajectory.one_step_predictions(single, observations, actions), expected.numpy()
    )


def test_binary_writes_the_trajectory_and_each_models_predictions(tmp_path, run_binary):
    root = str(tmp_path / "run")
    training.train_eval(root, num_env_steps=400, **TINY)  # Seeds 5, 6, 7.
    player = str(tmp_path / "player")  # Plays; its model is not asked.
    training.train_eval(
        player, num_env_steps=400, agent="mle", **dict(TINY, num_seeds=1, seed=6)
    )
    out_dir = str(tmp_path / "out")
    result = run_binary(
        "predict_trajectory.py",
        f"--runs={root}",
        f"--policy_run={player}",
        f"--out_dir={out_dir}",
        "--member_seed=6",
        "--env_seed=1",
        "--max_steps=30",
    )
    assert result.returncode == 0, result.stderr
    assert "(MLE width 32 seed 6's policy, env seed 1)" in result.stdout
    assert "OMD width 32 seed 6, cart velocity: std of prediction" in result.stdout
    with open(os.path.join(out_dir, "trajectory_predictions.csv")) as f:
        rows = list(csv.reader(f))
    names = trajectory.DIM_NAMES["CartPole-v1"]
    assert rows[0] == (
        ["step", "action"]
        + [f"true {n}" for n in names]
        + [f"OMD width 32 seed 6 {n}" for n in names]
    )
    table = np.array(rows[1:], dtype=np.float64)
    assert 1 <= len(table) <= 30
    actions = table[:, 1].astype(np.int64)
    np.testing.assert_allclose(table[:, 2:6], _replayed(1, actions)[1:], rtol=1e-6)
    assert os.path.getsize(os.path.join(out_dir, "trajectory_predictions.png")) > 0

    bad = run_binary(
        "predict_trajectory.py", f"--runs={root}", f"--out_dir={out_dir}", "--member_seed=9"
    )
    assert bad.returncode == 1
    (line,) = bad.stderr.splitlines()
    assert line.startswith(
        "predict_trajectory.py: error: --member_seed must be a seed of every run; "
        f"{root!r} has seeds 5-7, got 9."
    )


def test_a_run_without_checkpoint_is_refused_naming_the_flag_before_writing(tmp_path):
    root = str(tmp_path / "run")
    with pytest.raises(app.UsageError) as raised:
        cli.restored_trainer(soft_q.make_trainer, root, soft_q.SoftQConfig(), "runs")
    assert str(raised.value) == f"--runs={root!r} has no checkpoint to inspect."
    assert not os.path.exists(root)
