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


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`hidden_dim`"):
        networks.ModelNetwork(OBS, DISCRETE, hidden_dim=0)
    with pytest.raises(ValueError, match="`observation_spec`"):
        networks.ModelNetwork(tensor_spec.TensorSpec([2, 2], tf.float32), DISCRETE)
    with pytest.raises(ValueError, match="`action_spec`"):
        networks.ModelNetwork(OBS, tensor_spec.TensorSpec([2, 2], tf.float32))
