"""A population's diverged members: caught in the graph, frozen, left out.

When a loss of member k turns inf or NaN, the other members go on.  Member
k is marked diverged at that env step, its row of every variable in
``agent.member_variables`` is put back to the snapshot taken at the last
checkpoint (or at the start of the run) and held there from then on: it
still acts, with finite weights, in its own env, but learns nothing.  The
training loop stops evaluating and exporting it and leaves it out of the
population's mean; its folder gets `MARKER`, {"env_step", "seed", "loss"},
which `diverged` reads.  The run stops (`loop.NonFiniteLoss`) only when
every member has diverged.
"""

import json
import os

import tensorflow as tf
import tree

from omd_tf import atomic_file

MARKER = "diverged.json"


def diverged(run_dir):
    """The `MARKER` record of a member's folder, {env_step, seed, loss}, or None."""
    try:
        with open(os.path.join(run_dir, MARKER)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def finished(run_dirs):
    """The folders of ``run_dirs`` whose member did not diverge, in order."""
    return [run_dir for run_dir in run_dirs if diverged(run_dir) is None]


class MemberFailures:
    """Tracks which members of a population agent have diverged, and freezes them."""

    def __init__(self, agent):
        """``agent``: a population agent (``num_members``, ``member_variables``)."""
        num_members = agent.num_members
        self._variables = agent.member_variables
        self._snapshot = [
            tf.Variable(v, trainable=False, shape=v.shape) for v in self._variables
        ]
        # Per member: the env step it diverged at, and the index (into
        # `loss_names`) of its first non-finite loss; -1 while it is alive.
        self.failed_at = tf.Variable(
            -tf.ones([num_members], tf.int64), trainable=False
        )
        self.failed_loss = tf.Variable(
            -tf.ones([num_members], tf.int32), trainable=False
        )
        self.loss_names = []  # Set when `check` is traced.

    def take_snapshot(self):
        """From now, a member that diverges goes back to its weights of now."""
        for snapshot, variable in zip(self._snapshot, self._variables):
            snapshot.assign(variable)

    def live(self):
        """Indices of the members that have not diverged (eager), in order."""
        return [k for k, step in enumerate(self.failed_at.numpy()) if step < 0]

    def check(self, extra, env_step):
        """Marks the members with a non-finite value in ``extra``; freezes the diverged.

        Args:
          extra: `LossInfo.extra` of a population's train step, every float
            field [N, ...] (member k's own at [k]).
          env_step: the population's env step (per member), int64 scalar.

        Returns:
          A bool scalar: whether every member has diverged.
        """
        paths_and_values = [
            ("/".join(map(str, path)), value)
            for path, value in tree.flatten_with_path(extra)
            if tf.is_tensor(value) and value.dtype.is_floating
        ]
        self.loss_names = [path for path, _ in paths_and_values]
        finite = tf.stack(  # [N, fields]
            [
                tf.reduce_all(
                    tf.reshape(tf.math.is_finite(value), [tf.shape(value)[0], -1]),
                    axis=1,
                )
                for _, value in paths_and_values
            ],
            axis=1,
        )
        newly = ~tf.reduce_all(finite, axis=1) & (self.failed_at < 0)
        first_bad = tf.argmin(tf.cast(finite, tf.int32), axis=1, output_type=tf.int32)
        self.failed_at.assign(
            tf.where(newly, tf.cast(env_step, tf.int64), self.failed_at)
        )
        self.failed_loss.assign(tf.where(newly, first_bad, self.failed_loss))
        dead = self.failed_at >= 0
        tf.cond(tf.reduce_any(dead), lambda: self._freeze(dead), lambda: None)
        return tf.reduce_all(dead)

    def _freeze(self, dead):
        """Rows ``dead`` ([N] bool) of every member variable back to the snapshot."""
        for snapshot, variable in zip(self._snapshot, self._variables):
            rows = tf.reshape(dead, [-1] + [1] * (variable.shape.rank - 1))
            variable.assign(tf.where(rows, snapshot, variable))

    def loss_name(self, member):
        """The name ('model_loss') of member ``member``'s first non-finite loss.

        '?' before `check` has been traced in this process (a resumed run).
        """
        index = int(self.failed_loss[member])
        return self.loss_names[index] if self.loss_names else "?"

    def write_markers(self, run_dirs, seed):
        """Makes each member's `MARKER` agree with `failed_at`.

        Writes it for the diverged members (member k's seed is ``seed + k``)
        and removes a stale one, left by a run resumed from a checkpoint
        before that divergence, from the others.  Returns the members whose
        marker is new.
        """
        new = []
        for member, (run_dir, step) in enumerate(zip(run_dirs, self.failed_at.numpy())):
            path = os.path.join(run_dir, MARKER)
            if step < 0:
                if os.path.exists(path):
                    os.remove(path)
                continue
            known = diverged(run_dir)
            if known is not None and known["env_step"] == step:
                continue
            record = {
                "env_step": int(step),
                "seed": seed + member,
                "loss": self.loss_name(member),
            }
            os.makedirs(run_dir, exist_ok=True)
            with atomic_file.writing(path) as f:
                json.dump(record, f)
            new.append(member)
        return new
