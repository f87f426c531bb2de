"""SoftQPolicy: ε-mixed softmax over the mean of the Q networks."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

from agents import SoftQPolicy
from omd_tf import networks

OBS = tensor_spec.TensorSpec([4], tf.float32)
ACTIONS = tensor_spec.BoundedTensorSpec([], tf.int64, 0, 2)
TIME_STEP_SPEC = ts.time_step_spec(OBS)


def _q_networks():
    nets = [networks.q_network(OBS, ACTIONS, hidden_dim=8) for _ in range(2)]
    for net in nets:
        net.create_variables()
    return nets


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 1.0])
def test_distribution_is_epsilon_mixed_softmax_of_mean_q(epsilon):
    nets = _q_networks()
    alpha = 0.5
    policy = SoftQPolicy(TIME_STEP_SPEC, ACTIONS, nets, alpha, epsilon=epsilon)
    observation = tf.random.normal([7, 4])
    time_step = ts.restart(observation, batch_size=7)
    probs = policy.distribution(time_step).action.probs_parameter().numpy()
    mean_q = 0.5 * (nets[0](observation)[0] + nets[1](observation)[0])
    expected = (1 - epsilon) * tf.nn.softmax(mean_q / alpha).numpy() + epsilon / 3
    np.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-7)
    action = policy.action(time_step).action
    assert action.shape == (7,) and action.dtype == tf.int64


def test_bad_temperature_and_epsilon_are_named():
    nets = _q_networks()
    with pytest.raises(ValueError, match="`alpha`"):
        SoftQPolicy(TIME_STEP_SPEC, ACTIONS, nets, alpha=0.0)
    with pytest.raises(ValueError, match="`epsilon`"):
        SoftQPolicy(TIME_STEP_SPEC, ACTIONS, nets, alpha=1.0, epsilon=1.5)
