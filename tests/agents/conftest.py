"""CartPole specs and a fixed batch of real transitions for the agent tests."""

import pytest
import tensorflow as tf
from tf_agents.drivers import dynamic_step_driver
from tf_agents.environments import tf_py_environment
from tf_agents.policies import random_tf_policy
from tf_agents.replay_buffers import tf_uniform_replay_buffer

import omd_tf.envs
from agents import OmdSoftQAgent
from omd_tf import networks


@pytest.fixture(scope="module")
def cartpole():
    env = tf_py_environment.TFPyEnvironment(omd_tf.envs.load("CartPole-v1", seed=0))
    yield env
    env.close()


def _make_agent(
    env,
    model_loss="omd",
    q_optimizer=None,
    model_optimizer=None,
    num_members=None,
    **kwargs,
):
    """An agent with small networks; Adam(1e-3) unless optimisers are given.

    ``num_members`` N makes a population (networks with a member axis).
    """
    observation_spec = env.time_step_spec().observation
    action_spec = env.action_spec()
    # Plain graph mode keeps the tests fast; test_xla_update_matches_the_plain_graph
    # checks that the default (XLA) update computes the same.
    kwargs.setdefault("jit_compile", False)
    agent = OmdSoftQAgent(
        env.time_step_spec(),
        action_spec,
        networks.q_network(
            observation_spec, action_spec, hidden_dim=16, num_members=num_members
        ),
        networks.ModelNetwork(
            observation_spec, action_spec, hidden_dim=8, num_members=num_members
        ),
        q_optimizer or tf.keras.optimizers.Adam(1e-3),
        model_optimizer or tf.keras.optimizers.Adam(1e-3),
        model_loss=model_loss,
        num_members=num_members,
        train_step_counter=tf.Variable(0, dtype=tf.int64),
        **kwargs,
    )
    agent.initialize()
    return agent


@pytest.fixture
def make_agent():
    """Factory ``make_agent(env, model_loss, q_optimizer, model_optimizer, **kw)``."""
    return _make_agent


@pytest.fixture(scope="module")
def replay_buffer(cartpole):
    """600 random CartPole steps (about 25 episodes, so some boundaries)."""
    tf.random.set_seed(1)
    spec = _make_agent(cartpole).collect_data_spec
    buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
        spec, batch_size=1, max_length=1000
    )
    policy = random_tf_policy.RandomTFPolicy(
        cartpole.time_step_spec(), cartpole.action_spec()
    )
    dynamic_step_driver.DynamicStepDriver(
        cartpole, policy, [buffer.add_batch], num_steps=600
    ).run()
    return buffer


@pytest.fixture(scope="module")
def experience(replay_buffer):
    """A fixed [64, 2] `Trajectory` batch containing a boundary transition."""
    dataset = replay_buffer.as_dataset(sample_batch_size=64, num_steps=2)
    return next(
        batch for batch, _ in dataset if tf.reduce_any(batch.step_type[:, 0] == 2)
    )
