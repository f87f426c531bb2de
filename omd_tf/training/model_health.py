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

from omd_tf import atomic_file
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


def alive_per_member(model, num_members):
    """[{"dynamics": bool, "reward": bool}] on the probe batch, one per member.

    Args:
      model: a discrete-action `ModelNetwork` with variables.
      num_members: N of a population model (the probe goes to every
        member), None for one model (a list of one).
    """
    inputs = probe_inputs(*model.input_tensor_spec)
    if num_members is None:
        return [model.alive_mlps(inputs)]
    alive = model.alive_mlps(
        tf.nest.map_structure(lambda t: tf.stack([t] * num_members), inputs)
    )
    return [{name: flags[k] for name, flags in alive.items()} for k in range(num_members)]


def record(root_dir, entry, alive, env_steps):
    """Sets ``entry`` ('init' | 'final') of ``root_dir/model_alive.json``.

    Args:
      root_dir: the run's directory (exists).
      entry: key of the record.
      alive: {"dynamics": bool, "reward": bool} (see `alive_per_member`).
      env_steps: the run's env steps (int), stored with the flags.
    """
    contents = {**read(root_dir), "probe": PROBE}
    contents[entry] = {"env_steps": env_steps, **alive}
    path = os.path.join(root_dir, FILE)
    with atomic_file.writing(path) as f:
        json.dump(contents, f, indent=1, sort_keys=True)


class AliveRecorder:
    """`loop.Trainer` callback: 'init' at a start from 0 env steps, 'final' at the end.

    Writes to the folder of each of the trainer's live members (a
    diverged member is frozen: its model is not the one it trained).
    """

    def on_train_begin(self, trainer):
        if trainer.env_steps == 0:
            self._record("init", trainer)

    def on_train_end(self, trainer):
        self._record("final", trainer)

    def _record(self, entry, trainer):
        alive = alive_per_member(trainer.agent.model_network, trainer.num_members)
        for member in trainer.live_members:
            run_dir, flags = trainer.run_dirs[member], alive[member]
            tf.io.gfile.makedirs(run_dir)
            record(run_dir, entry, flags, trainer.env_steps)
