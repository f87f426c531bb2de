"""Whether a run's model MLPs are alive at its start and end: root_dir/model_alive.json.

A ReLU MLP of width 1 is often dead from initialisation (see
`omd_tf.networks.ModelNetwork`), so results are split by it.  The file holds

  {"probe": {...}, "init": {"env_steps": 0, "dynamics": bool, "reward": bool},
   "final": {"env_steps": int, "dynamics": bool, "reward": bool}}

with the flags of `ModelNetwork.alive_mlps` on one fixed probe batch
(`probe_inputs`), the same for every run and both entries.
"""

import json
import os

import tensorflow as tf

from omd_tf import networks

FILE = "model_alive.json"
NUM_PROBES = 4096
PROBE = {
    "num_samples": NUM_PROBES,
    "observations": "N(0, 1) per dimension, stateless seed (0, 0)",
    "actions": "every action equally often",
}


def probe_inputs(observation_spec, action_spec):
    """(observations [N, D] float32, actions [N]) of the fixed probe batch.

    N(0, 1) observations are on CartPole's scale (and on that of distractor
    dimensions); the discrete actions cycle through 0..A−1.
    """
    observations = tf.random.stateless_normal(
        [NUM_PROBES] + observation_spec.shape.as_list(), seed=(0, 0)
    )
    actions = tf.range(NUM_PROBES) % networks.num_discrete_actions(action_spec)
    return observations, tf.cast(actions, action_spec.dtype)


def read(root_dir):
    """The contents of ``root_dir/model_alive.json``, or {} if there is none."""
    path = os.path.join(root_dir, FILE)
    if not tf.io.gfile.exists(path):
        return {}
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)


def record(root_dir, entry, model, env_steps):
    """Sets ``entry`` ('init' | 'final') of ``root_dir/model_alive.json``.

    Args:
      root_dir: the run's directory (exists).
      entry: key of the record.
      model: a discrete-action `ModelNetwork` with variables.
      env_steps: the run's env steps (int), stored with the flags.
    """
    inputs = probe_inputs(*model.input_tensor_spec)
    contents = {**read(root_dir), "probe": PROBE}
    contents[entry] = {"env_steps": env_steps, **model.alive_mlps(inputs)}
    path = os.path.join(root_dir, FILE)
    with tf.io.gfile.GFile(path + ".partial", "w") as f:
        json.dump(contents, f, indent=1, sort_keys=True)
    tf.io.gfile.rename(path + ".partial", path, overwrite=True)


class AliveRecorder:
    """`loop.Trainer` callback: 'init' at a start from 0 env steps, 'final' at the end."""

    def __init__(self, root_dir):
        self._root_dir = root_dir

    def on_train_begin(self, trainer):
        if trainer.env_steps == 0:
            self._record("init", trainer)

    def on_train_end(self, trainer):
        self._record("final", trainer)

    def _record(self, entry, trainer):
        record(self._root_dir, entry, trainer.agent.model_network, trainer.env_steps)
