"""Q and value MLPs."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec

from omd_tf import networks

OBS = tensor_spec.TensorSpec([4], tf.float32)
ACTIONS = tensor_spec.BoundedTensorSpec([], tf.int64, 0, 2)


def test_q_network_maps_observations_to_one_value_per_action():
    net = networks.q_network(OBS, ACTIONS, hidden_dim=8)
    q_values, state = net(tf.zeros([5, 4]))
    assert q_values.shape == (5, 3) and q_values.dtype == tf.float32
    assert state == ()
    kernel_shapes = [v.shape.as_list() for v in net.trainable_variables[::2]]
    assert kernel_shapes == [[4, 8], [8, 8], [8, 3]]


def test_value_network_returns_one_value_per_observation():
    values, _ = networks.value_network(OBS, hidden_dim=8)(tf.ones([5, 4]))
    assert values.shape == (5,)


def test_copy_before_building_gives_independent_weights():
    net = networks.q_network(OBS, ACTIONS)
    other = net.copy(name="Other")
    net.create_variables()
    other.create_variables()
    assert not np.allclose(net.variables[0], other.variables[0])


@pytest.mark.parametrize("hidden_dim", [0, -1, 1.5, True])
def test_bad_hidden_dim_is_rejected(hidden_dim):
    with pytest.raises(ValueError, match="`hidden_dim` must be a positive int"):
        networks.q_network(OBS, ACTIONS, hidden_dim=hidden_dim)


@pytest.mark.parametrize(
    "spec",
    [
        tensor_spec.BoundedTensorSpec([2], tf.float32, -1.0, 1.0),
        tensor_spec.BoundedTensorSpec([], tf.int64, 1, 2),
    ],
)
def test_q_network_needs_discrete_actions_from_zero(spec):
    with pytest.raises(ValueError, match="action spec"):
        networks.q_network(OBS, spec)
