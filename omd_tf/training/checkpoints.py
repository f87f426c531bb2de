"""A run's checkpoints: the two newest kept, the newest readable one restored.

A checkpoint cut short (a kill or a full disk during its write) must never
leave a run without a good one: `RunCheckpoints` keeps the two newest and, on
restore, reads every tensor of a checkpoint before trusting it, falling back
to the older one with a warning.
"""

import logging

import tensorflow as tf

_LOG = logging.getLogger(__name__)
KEEP = 2


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (e.g. the disk is full or read-only)."""


def _readable(path):
    """None if every tensor of checkpoint ``path`` reads back, else the error."""
    try:
        reader = tf.train.load_checkpoint(path)
        for name in reader.get_variable_to_dtype_map():
            reader.get_tensor(name)
    except (tf.errors.OpError, ValueError, IndexError) as err:  # IndexError: short file.
        return err
    return None


def latest_env_steps(directory):
    """The env steps of the newest checkpoint in ``directory`` (an int: its
    number, see `RunCheckpoints.save`), or None without one."""
    path = tf.train.latest_checkpoint(directory)
    return None if path is None else int(path.rpartition("-")[2])


def latest_variable(directory, name):
    """The value (a NumPy value) of the variable checkpointed as ``name``
    (its keyword to `RunCheckpoints`) in the newest checkpoint of
    ``directory``; None without a checkpoint or where it lacks the variable."""
    path = tf.train.latest_checkpoint(directory)
    if path is None:
        return None
    reader = tf.train.load_checkpoint(path)
    key = f"{name}/.ATTRIBUTES/VARIABLE_VALUE"
    return reader.get_tensor(key) if reader.has_tensor(key) else None


class RunCheckpoints:
    """`tf.train.CheckpointManager` of one run's trackable state in ``directory``."""

    def __init__(self, directory, **trackables):
        """Restores the newest readable checkpoint in ``directory``, if any.

        Args:
          directory: checkpoint folder (created by the first `save`).
          **trackables: the objects checkpointed, by name (the names of
            `tf_agents.utils.common.Checkpointer`: agent, replay_buffer,
            train_metrics, ...).
        """
        self._checkpoint = tf.train.Checkpoint(**trackables)
        self._manager = tf.train.CheckpointManager(
            self._checkpoint, directory, max_to_keep=KEEP
        )
        self.latest = None  # The path of the checkpoint restored or saved last.
        for path in reversed(self._manager.checkpoints):
            error = _readable(path)
            if error is None:
                self._checkpoint.restore(path)
                self.latest = path
                break
            _LOG.warning(
                "checkpoint %s cannot be read (%s); trying the one before it",
                path,
                str(error).splitlines()[0],
            )

    def save(self, env_steps):
        """Writes the checkpoint of ``env_steps``; raises `CheckpointWriteError`."""
        try:
            self.latest = self._manager.save(checkpoint_number=env_steps)
        except (OSError, tf.errors.OpError) as err:
            raise CheckpointWriteError(
                f"cannot write the checkpoint at env step {env_steps} to "
                f"{self._manager.directory}: {err}"
            ) from err
        return self.latest
