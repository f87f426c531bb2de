"""Tests for omd_tf.envs.GymnasiumEnvironment and omd_tf.envs.load."""

import gymnasium
import numpy as np
import pytest
from tf_agents.environments import tf_py_environment, utils
from tf_agents.trajectories import time_step as ts

from omd_tf.envs import GymnasiumEnvironment, load


def _run(env, actions):
    """Resets `env`, applies `actions`; returns the list of time steps."""
    steps = [env.reset()]
    steps += [env.step(np.int64(a)) for a in actions]
    return steps


class _DictObsEnv(gymnasium.Env):
    observation_space = gymnasium.spaces.Dict(
        {"x": gymnasium.spaces.Box(-1.0, 1.0, (2,))}
    )
    action_space = gymnasium.spaces.Discrete(2)


class _MultiBinaryActionEnv(gymnasium.Env):
    observation_space = gymnasium.spaces.Box(-1.0, 1.0, (2,))
    action_space = gymnasium.spaces.MultiBinary(3)


@pytest.mark.parametrize("num_distractors", [0, 16])
def test_validate_cartpole(num_distractors):
    utils.validate_py_environment(
        load("CartPole-v1", num_distractors=num_distractors, seed=0), episodes=3
    )


def test_validate_inverted_pendulum():
    utils.validate_py_environment(load("InvertedPendulum-v5", seed=0), episodes=3)


def test_cartpole_specs():
    env = load("CartPole-v1")
    obs_spec, action_spec = env.observation_spec(), env.action_spec()
    assert obs_spec.shape == (4,) and obs_spec.dtype == np.float32
    assert action_spec.shape == () and action_spec.dtype == np.int64
    assert action_spec.minimum == 0 and action_spec.maximum == 1
    assert env.reward_spec().dtype == np.float32


def test_inverted_pendulum_specs_and_observation_dtype():
    env = load("InvertedPendulum-v5", seed=0)
    action_spec = env.action_spec()
    assert action_spec.shape == (1,) and action_spec.dtype == np.float32
    np.testing.assert_array_equal(action_spec.minimum, [-3.0])
    np.testing.assert_array_equal(action_spec.maximum, [3.0])
    step = env.step(np.zeros(1, np.float32))  # First call resets.
    assert step.observation.dtype == np.float32 and step.observation.shape == (4,)


def test_termination_has_discount_zero_then_auto_resets():
    env = GymnasiumEnvironment(gymnasium.make("CartPole-v1"), seed=0)
    steps = _run(env, [1] * 100)  # Always pushing right falls well within 100.
    last = next(i for i, s in enumerate(steps) if s.is_last())
    assert steps[last].step_type == ts.StepType.LAST
    assert steps[last].discount == 0.0 and steps[last].discount.dtype == np.float32
    assert steps[last].reward.dtype == np.float32
    assert steps[last + 1].step_type == ts.StepType.FIRST


def test_truncation_has_discount_one_then_auto_resets():
    env = GymnasiumEnvironment(
        gymnasium.make("CartPole-v1", max_episode_steps=5), seed=0
    )
    steps = _run(env, [0, 1, 0, 1, 0, 1])
    assert [int(s.step_type) for s in steps] == [0, 1, 1, 1, 1, 2, 0]
    assert steps[5].discount == 1.0 and steps[5].discount.dtype == np.float32
    # The step after LAST ignores the action and resets: reward 0, discount 1.
    assert steps[6].reward == 0.0 and steps[6].discount == 1.0
    assert not np.array_equal(steps[6].observation, steps[0].observation)


def test_truncate_after_ends_the_episode_as_a_truncation():
    env = GymnasiumEnvironment(gymnasium.make("CartPole-v1"), seed=0)
    env.reset()
    env.truncate_after(3)
    steps = [env.step(np.int64(a)) for a in (0, 1, 0, 1)]
    assert [int(s.step_type) for s in steps] == [1, 1, 2, 0]
    assert steps[2].discount == 1.0  # Bootstrapped, as a time limit would be.
    env.truncate_after(2)
    env.truncate_after(None)  # Cancelled: the episode goes on.
    assert [int(env.step(np.int64(a)).step_type) for a in (0, 1, 0)] == [1, 1, 1]
    with pytest.raises(ValueError, match="num_steps must be positive"):
        env.truncate_after(0)


def test_end_episode_resets_at_the_next_step_and_cancels_a_truncation():
    env = GymnasiumEnvironment(gymnasium.make("CartPole-v1"), seed=0)
    first = env.reset()
    env.truncate_after(2)
    env.seed(3)
    env.end_episode()  # Even at FIRST, and with a truncation pending.
    restarted = env.step(np.int64(0))
    assert int(restarted.step_type) == 0 and restarted.reward == 0.0
    np.testing.assert_array_equal(
        restarted.observation, gymnasium.make("CartPole-v1").reset(seed=3)[0]
    )
    assert not np.array_equal(restarted.observation, first.observation)
    # The new episode goes on: no reset, and the truncation was cancelled.
    assert [int(env.step(np.int64(a)).step_type) for a in (0, 1, 0)] == [1, 1, 1]


def test_seed_applies_to_first_reset_only():
    gym_env = gymnasium.make("CartPole-v1")
    expected = [gym_env.reset(seed=7)[0], gym_env.reset()[0]]
    env = GymnasiumEnvironment(gymnasium.make("CartPole-v1"), seed=7)
    got = [env.reset().observation, env.reset().observation]
    np.testing.assert_array_equal(got, expected)
    env.seed(7)
    np.testing.assert_array_equal(env.reset().observation, expected[0])


def test_same_seed_same_observations_different_seed_differs():
    actions = [0, 1, 1, 0, 1, 0, 0, 1]
    first = _run(load("CartPole-v1", seed=3), actions)
    second = _run(load("CartPole-v1", seed=3), actions)
    np.testing.assert_array_equal(
        [s.observation for s in first], [s.observation for s in second]
    )
    other = load("CartPole-v1", seed=4).reset()
    assert not np.array_equal(other.observation, first[0].observation)


def test_get_info_and_env_passthrough():
    gym_env = gymnasium.make("InvertedPendulum-v5")
    env = GymnasiumEnvironment(gym_env, seed=0)
    assert env.env is gym_env
    env.reset()
    env.step(np.zeros(1, np.float32))
    assert isinstance(env.get_info(), dict)
    env.close()


def test_tf_py_environment_step_shapes():
    tf_env = tf_py_environment.TFPyEnvironment(load("CartPole-v1", seed=0))
    tf_env.reset()
    step = tf_env.step(np.array([1], np.int64))
    assert step.observation.shape == (1, 4)
    assert step.reward.shape == (1,) and step.discount.shape == (1,)
    assert step.step_type.shape == (1,)
    assert step.observation.dtype.name == "float32"


@pytest.mark.parametrize(
    "env_cls, space_name",
    [
        (_DictObsEnv, "observation space"),
        (_MultiBinaryActionEnv, "action space"),
    ],
)
def test_unsupported_space_raises_type_error(env_cls, space_name):
    with pytest.raises(TypeError, match=space_name):
        GymnasiumEnvironment(env_cls())


def test_unknown_env_id_raises_value_error():
    with pytest.raises(ValueError, match="env_name='NoSuchEnv-v0'"):
        load("NoSuchEnv-v0")


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_bad_num_distractors_raises_value_error(bad):
    with pytest.raises(ValueError, match="num_distractors"):
        load("CartPole-v1", num_distractors=bad)


def test_rescale_actions_maps_minus_one_one_onto_the_box():
    """InvertedPendulum's force in [-3, 3]: actions a in [-1, 1] act as 3a."""
    scaled = load("InvertedPendulum-v5", seed=4, rescale_actions=True)
    plain = load("InvertedPendulum-v5", seed=4)
    spec = scaled.action_spec()
    np.testing.assert_array_equal(spec.minimum, [-1.0])
    np.testing.assert_array_equal(spec.maximum, [1.0])
    assert float(plain.action_spec().maximum[0]) == 3.0
    scaled.reset(), plain.reset()
    for a in (1.0, -0.5, 0.25):
        got = scaled.step(np.array([a], np.float32))
        want = plain.step(np.array([3.0 * a], np.float32))
        np.testing.assert_allclose(got.observation, want.observation, rtol=1e-6)
    # Discrete action spaces are left as they are.
    assert load("CartPole-v1", rescale_actions=True).action_spec().maximum == 1
