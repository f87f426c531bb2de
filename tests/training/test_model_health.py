"""model_health: the fixed probe batch and root_dir/model_alive.json."""

import json
import os
import types

import numpy as np
from tf_agents.specs import tensor_spec
import tensorflow as tf

from omd_tf import networks
from omd_tf.training import model_health

OBS = tensor_spec.TensorSpec([4], tf.float32)
ACTIONS = tensor_spec.BoundedTensorSpec([], tf.int64, 0, 1)


def _width_one_model(second_layer_weight):
    """Width-1 ReLU model; weight −1 of both second layers kills both MLPs."""
    model = networks.ModelNetwork(OBS, ACTIONS, hidden_dim=1)
    model.create_variables()
    for v in model.trainable_variables:
        if "hidden1/kernel" in v.name:
            v.assign(tf.fill(v.shape, second_layer_weight))
    return model


def _trainer(model, env_steps, run_dirs):
    agent = types.SimpleNamespace(model_network=model)
    return types.SimpleNamespace(
        agent=agent,
        env_steps=env_steps,
        num_members=None,
        run_dirs=run_dirs,
        live_members=list(range(len(run_dirs))),
    )


def test_probe_batch_is_fixed_and_has_every_action():
    observations, actions = model_health.probe_inputs(OBS, ACTIONS)
    again = model_health.probe_inputs(OBS, ACTIONS)
    np.testing.assert_array_equal(observations, again[0])
    assert observations.shape == (model_health.NUM_PROBES, 4)
    assert abs(float(tf.reduce_mean(observations))) < 0.05
    assert abs(float(tf.math.reduce_std(observations)) - 1.0) < 0.05
    assert actions.dtype == tf.int64
    assert np.bincount(actions.numpy()).tolist() == [model_health.NUM_PROBES // 2] * 2


def test_recorder_writes_init_at_a_fresh_start_and_final_at_the_end(tmp_path):
    root = str(tmp_path)
    recorder = model_health.AliveRecorder()
    recorder.on_train_begin(_trainer(_width_one_model(-1.0), 400, [root]))
    assert model_health.read(root) == {}  # A resumed run: its start is not init.
    recorder.on_train_begin(_trainer(_width_one_model(-1.0), 0, [root]))
    recorder.on_train_end(_trainer(_width_one_model(1.0), 800, [root]))
    with open(os.path.join(root, model_health.FILE)) as f:
        record = json.load(f)
    assert record == {
        "probe": model_health.PROBE,
        "init": {"env_steps": 0, "dynamics": False, "reward": False},
        "final": {"env_steps": 800, "dynamics": True, "reward": True},
    }
    assert os.listdir(root) == [model_health.FILE]
