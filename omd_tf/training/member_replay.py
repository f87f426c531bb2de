"""A replay buffer whose rows are population members, sampled each from its own row.

A population of N agents acts in a batched env of batch size N (row k is member
k's env) and writes every step with `add_batch`, one item per row. The parent's
`get_next` draws windows from random rows; `sample_per_member` draws, for every
member k at once, windows of row k only.
"""

import tensorflow as tf
from tf_agents.replay_buffers import tf_uniform_replay_buffer


class MemberReplayBuffer(tf_uniform_replay_buffer.TFUniformReplayBuffer):
    """`TFUniformReplayBuffer` with `batch_size` = number of members N.

    Same constructor, storage and checkpointed variables as the parent; it adds
    no state, so checkpoints of either class restore into the other.
    """

    def sample_per_member(self, sample_batch_size, num_steps):
        """Windows of each member's own transitions, all members at once.

        Row k's windows are drawn uniformly, with replacement, among the windows
        the parent considers valid: `num_steps` consecutive items all written and
        still held (none overwritten, so none crosses the write position). As
        `add_batch` writes every row at each call, the valid start ids
        [min_id, max_id) are the same for all rows.

        Costs N·B·T gathers per tensor of the data spec (B = sample_batch_size,
        T = num_steps), whatever the capacity. Uses TensorFlow's stateful random
        ops like the parent's `get_next` (reproducible under `tf.random.set_seed`).

        Args:
          sample_batch_size: B, windows per member (int or scalar int tensor).
          num_steps: T >= 1, items per window (int or scalar int tensor),
            at most `max_length`.

        Returns:
          The data spec's nest (a `Trajectory` if it is one) of tensors of shape
          [N, B, T, *spec.shape]; element [k, b, t] is item t of window b of
          member k.

        Raises:
          ValueError: if a static `num_steps` is not in [1, max_length].
          tf.errors.InvalidArgumentError: (at run time) if no row holds a full
            window of `num_steps` items yet.
        """
        static_num_steps = tf.get_static_value(num_steps)
        if static_num_steps is not None and not 1 <= static_num_steps <= self._max_length:
            raise ValueError(
                f"num_steps must be in [1, max_length={self._max_length}], "
                f"got {static_num_steps}."
            )
        with tf.device(self._device), tf.name_scope(self._scope):
            with tf.name_scope("sample_per_member"):
                num_steps = tf.cast(num_steps, tf.int64)
                # Start ids s such that ids s .. s+T-1 are all held by every row.
                min_id, max_id = tf_uniform_replay_buffer._valid_range_ids(
                    self._get_last_id(), self._max_length, num_steps
                )
                assert_nonempty = tf.debugging.assert_greater(
                    max_id,
                    min_id,
                    message=(
                        "MemberReplayBuffer holds no full window of num_steps "
                        "items yet. Add items before sampling."
                    ),
                )
                with tf.control_dependencies([assert_nonempty]):
                    starts = tf.random.uniform(  # [N, B]
                        [self._batch_size, sample_batch_size],
                        minval=min_id,
                        maxval=max_id,
                        dtype=tf.int64,
                    )
                ids = starts[:, :, None] + tf.range(num_steps)  # [N, B, T]
                # Row k's item with id i lives in table row k·L + i mod L.
                rows = tf.math.mod(ids, self._max_length) + tf.reshape(
                    self._batch_offsets, [-1, 1, 1]
                )
                return self._data_table.read(rows)
