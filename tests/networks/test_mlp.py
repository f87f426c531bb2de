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


def _kernels_and_biases(net):
    """({layer name: kernel}, [bias]) of ``net``."""
    kernels = {
        v.name.split("/")[-2]: v.numpy()
        for v in net.trainable_variables
        if "kernel" in v.name
    }
    biases = [v.numpy() for v in net.trainable_variables if "bias" in v.name]
    return kernels, biases


def _gram(kernel):
    """KᵀK for a square or tall kernel [in, out], KKᵀ for a wide one."""
    tall = kernel.shape[0] >= kernel.shape[1]
    return kernel.T @ kernel if tall else kernel @ kernel.T


def _orthogonal_nets():
    q = networks.q_network(OBS, ACTIONS, hidden_dim=8, initializer="orthogonal")
    q_copy = q.copy(name="QCopy")  # How the agents make their second Q network.
    q.create_variables()
    q_copy.create_variables()
    model = networks.ModelNetwork(OBS, ACTIONS, hidden_dim=8, initializer="orthogonal")
    model.create_variables()
    value = networks.value_network(OBS, hidden_dim=8, initializer="orthogonal")
    value.create_variables()
    return q, q_copy, model, value


def test_orthogonal_initializer_scales():
    """Hidden kernels: Gram matrix 2·I (gain √2); output kernels 1e-4·I (0.01).

    Shapes covered: wide [4|7, 8], square [8, 8], tall [8, 3|4|1].  Tolerance
    1e-5 relative to gain² (float32).  Biases are exactly 0.
    """
    for net in _orthogonal_nets():
        kernels, biases = _kernels_and_biases(net)
        assert len(kernels) in (3, 6)
        for name, kernel in kernels.items():
            gain = 0.01 if "output" in name else np.sqrt(2.0)
            gram = _gram(kernel) / gain**2
            np.testing.assert_allclose(gram, np.eye(len(gram)), atol=1e-5, err_msg=name)
        for bias in biases:
            assert not np.any(bias)


def test_orthogonal_layers_draw_their_own_values():
    q, q_copy, model, _ = _orthogonal_nets()
    q_kernels, copy_kernels = (_kernels_and_biases(net)[0] for net in (q, q_copy))
    for a, b in zip(q_kernels.values(), copy_kernels.values()):
        assert not np.allclose(a, b)
    kernels = _kernels_and_biases(model)[0]
    assert not np.allclose(
        kernels["dynamics_hidden1"], kernels["reward_hidden1"]
    )


def test_glorot_kernels_are_not_orthogonal():
    """The default scheme fails the check above (so that check can fail)."""
    net = networks.q_network(OBS, ACTIONS, hidden_dim=8)
    net.create_variables()
    kernel = _kernels_and_biases(net)[0]["q_hidden1"]
    gram = _gram(kernel) / np.mean(np.diag(_gram(kernel)))
    assert np.abs(gram - np.eye(8)).max() > 0.1


def test_unknown_initializer_is_named():
    with pytest.raises(ValueError, match="`initializer`"):
        networks.q_network(OBS, ACTIONS, initializer="he")
