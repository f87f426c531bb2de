"""Tests for omd_tf.envs.DistractorWrapper."""

import gymnasium
import numpy as np
import pytest

from omd_tf.envs import DistractorWrapper, GymnasiumEnvironment

N = 16


def _observations(env, seed, actions):
    """Observations of reset(seed) followed by `actions`, resetting on done."""
    observations = [env.reset(seed=seed)[0]]
    for action in actions:
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            obs, _ = env.reset()
        observations.append(obs)
    return np.stack(observations)


def _actions(count):
    return [i % 2 for i in range(count)]


def test_observation_space_appends_unbounded_dims():
    base = gymnasium.make("CartPole-v1")
    env = DistractorWrapper(base, N)
    space = env.observation_space
    assert space.shape == (4 + N,) and space.dtype == np.float32
    np.testing.assert_array_equal(space.low[:4], base.observation_space.low)
    assert np.all(space.low[4:] == -np.inf) and np.all(space.high[4:] == np.inf)
    assert env.num_distractors == N


def test_first_dims_match_unwrapped_env():
    actions = _actions(50)
    plain = _observations(gymnasium.make("CartPole-v1"), 5, actions)
    wrapped = _observations(
        DistractorWrapper(gymnasium.make("CartPole-v1"), N), 5, actions
    )
    assert wrapped.shape == (51, 4 + N) and wrapped.dtype == np.float32
    np.testing.assert_array_equal(wrapped[:, :4], plain)


def test_distractors_are_standard_normal():
    env = DistractorWrapper(gymnasium.make("CartPole-v1"), 4)
    noise = _observations(env, 0, _actions(1999))[:, 4:]  # 2000 samples per dim.
    # Standard errors: mean ~0.022, std ~0.016, so 0.1 is > 4.5 sigma.
    assert np.all(np.abs(noise.mean(axis=0)) < 0.1)
    assert np.all(np.abs(noise.std(axis=0) - 1.0) < 0.1)
    assert np.all(np.abs(np.corrcoef(noise.T) - np.eye(4)) < 0.1)


def test_stream_reproducible_from_reset_seed():
    env = DistractorWrapper(gymnasium.make("CartPole-v1"), N)
    first = _observations(env, 11, _actions(20))
    again = _observations(env, 11, _actions(20))  # Same env, reseeded.
    other_env = _observations(
        DistractorWrapper(gymnasium.make("CartPole-v1"), N), 11, _actions(20)
    )
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, other_env)
    different = _observations(env, 12, _actions(20))
    assert not np.array_equal(first[:, 4:], different[:, 4:])


def test_reset_without_seed_continues_stream():
    env = DistractorWrapper(gymnasium.make("CartPole-v1"), N)
    first = env.reset(seed=0)[0][4:]
    second = env.reset()[0][4:]
    assert not np.array_equal(first, second)


def test_float64_observations_stay_float64_and_adapter_casts():
    env = DistractorWrapper(gymnasium.make("InvertedPendulum-v5"), N)
    assert env.observation_space.dtype == np.float64
    obs, _ = env.reset(seed=0)
    assert obs.shape == (4 + N,) and obs.dtype == np.float64
    py_env = GymnasiumEnvironment(env)
    assert py_env.observation_spec().shape == (4 + N,)
    assert py_env.reset().observation.dtype == np.float32


@pytest.mark.parametrize("bad", [0, -3, 2.0, None])
def test_bad_num_distractors_raises_value_error(bad):
    with pytest.raises(ValueError, match="num_distractors"):
        DistractorWrapper(gymnasium.make("CartPole-v1"), bad)


def test_non_flat_box_observation_raises_type_error():
    class ImageEnv(gymnasium.Env):
        observation_space = gymnasium.spaces.Box(0.0, 1.0, (2, 2))
        action_space = gymnasium.spaces.Discrete(2)

    with pytest.raises(TypeError, match="observation space"):
        DistractorWrapper(ImageEnv(), N)
