"""Deterministic dynamics and reward model."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec

from omd_tf import networks

OBS = tensor_spec.TensorSpec([4], tf.float32)
DISCRETE = tensor_spec.BoundedTensorSpec([], tf.int64, 0, 1)
CONTINUOUS = tensor_spec.BoundedTensorSpec([3], tf.float32, -1.0, 1.0)


def _first_kernel(model, name):
    return next(v for v in model.trainable_variables if name in v.name)


def test_discrete_model_shapes_and_one_hot_input():
    model = networks.ModelNetwork(OBS, DISCRETE, hidden_dim=1)
    observation = tf.random.normal([6, 4])
    (next_observation, reward), state = model((observation, tf.zeros([6], tf.int64)))
    assert next_observation.shape == (6, 4) and reward.shape == (6,)
    assert state == ()
    # Input width = observation dims + number of actions; hidden width 1.
    assert _first_kernel(model, "dynamics").shape == (6, 1)
    assert _first_kernel(model, "reward").shape == (6, 1)


def test_continuous_model_concatenates_the_action():
    model = networks.ModelNetwork(OBS, CONTINUOUS, hidden_dim=5)
    (next_observation, reward), _ = model((tf.zeros([2, 4]), tf.ones([2, 3])))
    assert next_observation.shape == (2, 4) and reward.shape == (2,)
    assert _first_kernel(model, "dynamics").shape == (7, 5)


def test_shared_trunk_is_one_mlp_whose_last_output_is_the_reward():
    model = networks.ModelNetwork(OBS, CONTINUOUS, hidden_dim=5, shared_trunk=True)
    observation, action = tf.random.normal([6, 4]), tf.random.uniform([6, 3])
    (next_observation, reward), _ = model((observation, action))
    assert next_observation.shape == (6, 4) and reward.shape == (6,)
    assert list(model.mlp_variables) == ["model"]
    assert model.trainable_variables == model.mlp_variables["model"]
    # Independently: the MLP on concat(s, a), split into [s', r].
    hidden = tf.concat([observation, action], axis=-1)
    kernels = model.trainable_variables[0::2]
    biases = model.trainable_variables[1::2]
    for i, (kernel, bias) in enumerate(zip(kernels, biases)):
        hidden = tf.matmul(hidden, kernel) + bias
        if i < len(kernels) - 1:
            hidden = tf.nn.relu(hidden)
    assert hidden.shape == (6, 5)
    np.testing.assert_allclose(next_observation, hidden[:, :4], rtol=1e-6)
    np.testing.assert_allclose(reward, hidden[:, 4], rtol=1e-6)
    assert list(model.alive_mlps((observation, action))) == ["model"]


def test_separate_mlps_keep_their_checkpoint_names(tmp_path):
    """Checkpoints of runs made before the shared-trunk option still restore."""
    model = networks.ModelNetwork(OBS, DISCRETE, hidden_dim=3)
    model.create_variables()
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    keys = [name for name, _ in tf.train.list_variables(path)]
    assert any(key.startswith("model/_dynamics/") for key in keys), keys
    assert any(key.startswith("model/_reward/") for key in keys), keys


def test_action_changes_the_prediction():
    model = networks.ModelNetwork(OBS, DISCRETE)
    observation = tf.random.normal([8, 4])
    (left, _), _ = model((observation, tf.zeros([8], tf.int64)))
    (right, _), _ = model((observation, tf.ones([8], tf.int64)))
    assert not np.allclose(left, right)


def test_predict_delta_adds_the_observation():
    model = networks.ModelNetwork(OBS, DISCRETE, predict_delta=True)
    model.create_variables()
    for v in model.trainable_variables:
        if "dynamics" in v.name:
            v.assign(tf.zeros_like(v))
    observation = tf.random.normal([3, 4])
    (next_observation, _), _ = model((observation, tf.ones([3], tf.int64)))
    np.testing.assert_allclose(next_observation, observation)


def _dead_relu_width_one(activation):
    """A width-1 model whose second hidden layer has weight -1 and bias 0."""
    model = networks.ModelNetwork(OBS, DISCRETE, hidden_dim=1, activation=activation)
    model.create_variables()
    for v in model.trainable_variables:
        if "hidden1/kernel" in v.name:
            v.assign(-tf.ones_like(v))
    return model


@pytest.mark.parametrize("activation", networks.ACTIVATIONS)
def test_width_one_model_dies_only_with_relu(activation):
    """relu(-relu(x)) = 0: constant output and no gradient below the output."""
    model = _dead_relu_width_one(activation)
    observation = tf.random.normal([64, 4], seed=1)
    action = tf.cast(tf.range(64) % 2, tf.int64)
    with tf.GradientTape() as tape:
        (next_observation, reward), _ = model((observation, action))
        loss = tf.reduce_sum(next_observation) + tf.reduce_sum(reward)
    first_kernel = _first_kernel(model, "dynamics_hidden0/kernel")
    gradient = tape.gradient(loss, first_kernel)
    spread = float(tf.reduce_max(tf.math.reduce_std(next_observation, axis=0)))
    live = model.live_unit_fractions((observation, action))
    assert sorted(live) == [
        "dynamics_hidden0",
        "dynamics_hidden1",
        "reward_hidden0",
        "reward_hidden1",
    ]
    if activation == "relu":
        assert spread == 0.0
        assert gradient is None or not np.any(gradient)
        assert float(live["dynamics_hidden1"][0]) == 0.0
    else:
        assert spread > 1e-3 and np.any(np.abs(gradient) > 1e-6)
        assert float(live["dynamics_hidden1"][0]) > 0.0


def test_live_fraction_of_a_relu_layer_is_its_positive_fraction():
    model = networks.ModelNetwork(OBS, DISCRETE, hidden_dim=16)
    observation = tf.random.normal([500, 4], seed=2)
    action = tf.cast(tf.range(500) % 2, tf.int64)
    features = tf.concat([observation, tf.one_hot(action, 2)], axis=-1)
    model.create_variables()
    kernel = _first_kernel(model, "dynamics_hidden0/kernel")
    bias = _first_kernel(model, "dynamics_hidden0/bias")
    expected = np.mean((features @ kernel + bias).numpy() > 0, axis=0)
    live = model.live_unit_fractions((observation, action))
    np.testing.assert_allclose(live["dynamics_hidden0"], expected, atol=1e-6)
    assert 0.0 < expected.mean() < 1.0  # Some units are live on part of the inputs.


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`activation`"):
        networks.ModelNetwork(OBS, DISCRETE, activation="sigmoid")
    with pytest.raises(ValueError, match="`hidden_dim`"):
        networks.ModelNetwork(OBS, DISCRETE, hidden_dim=0)
    with pytest.raises(ValueError, match="`observation_spec`"):
        networks.ModelNetwork(tensor_spec.TensorSpec([2, 2], tf.float32), DISCRETE)
    with pytest.raises(ValueError, match="`action_spec`"):
        networks.ModelNetwork(OBS, tensor_spec.TensorSpec([2, 2], tf.float32))


def test_alive_mlps_of_a_constructed_dead_model():
    """Second-layer weight −1 after a ReLU with zero bias: dead on any input."""
    observation = tf.random.normal([256, 4], seed=3)
    action = tf.cast(tf.range(256) % 2, tf.int64)
    dead = _dead_relu_width_one("relu")
    assert dead.alive_mlps((observation, action)) == {
        "dynamics": False,
        "reward": False,
    }
    for v in dead.trainable_variables:
        if "reward_hidden1/kernel" in v.name:
            v.assign(tf.ones_like(v))
    assert dead.alive_mlps((observation, action)) == {
        "dynamics": False,
        "reward": True,
    }
    swish = _dead_relu_width_one("swish")
    assert swish.alive_mlps((observation, action)) == {
        "dynamics": True,
        "reward": True,
    }


@pytest.mark.parametrize("initializer", networks.INITIALIZERS)
def test_fresh_width_32_model_is_alive(initializer):
    model = networks.ModelNetwork(OBS, DISCRETE, initializer=initializer)
    model.create_variables()
    observation = tf.random.normal([256, 4], seed=4)
    action = tf.cast(tf.range(256) % 2, tf.int64)
    assert model.alive_mlps((observation, action)) == {
        "dynamics": True,
        "reward": True,
    }
