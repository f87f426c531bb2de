"""MemberReplayBuffer.sample_per_member: each member samples its own row, uniformly."""

import collections
import math

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import trajectory

from omd_tf.training import member_replay

N = 3  # Members.
L = 8  # max_length: items held per row.
SPEC = {
    "member": tf.TensorSpec([], tf.int64),
    "step": tf.TensorSpec([], tf.int64),
    "obs": tf.TensorSpec([2], tf.float32),
}


def _items(step):
    """Row k's item at `step` encodes (k, step); obs = [k, step] as floats."""
    step = tf.cast(step, tf.int64)
    member = tf.range(N, dtype=tf.int64)
    steps = tf.fill([N], step)
    return {
        "member": member,
        "step": steps,
        "obs": tf.cast(tf.stack([member, steps], axis=1), tf.float32),
    }


def _buffer(num_written=0):
    buffer = member_replay.MemberReplayBuffer(SPEC, batch_size=N, max_length=L)
    for step in range(num_written):
        buffer.add_batch(_items(step))
    return buffer


def _starts(sample, num_steps):
    """Checks each window is member k's, consecutive; returns starts [N, B]."""
    member, step, obs = (sample[key].numpy() for key in ("member", "step", "obs"))
    batch = member.shape[1]
    assert member.shape == step.shape == (N, batch, num_steps)
    assert obs.shape == (N, batch, num_steps, 2)
    np.testing.assert_array_equal(member, np.arange(N)[:, None, None] + 0 * member)
    np.testing.assert_array_equal(step, step[:, :, :1] + np.arange(num_steps))
    np.testing.assert_array_equal(obs, np.stack([member, step], -1).astype(np.float32))
    return step[:, :, 0]


def _chi2_critical(dof, z=3.09):
    """Upper 0.1% quantile of chi-square(dof), Wilson-Hilferty approximation."""
    if dof == 0:
        return 0.0
    c = 2.0 / (9.0 * dof)
    return dof * (1.0 - c + z * math.sqrt(c)) ** 3


# (items written per row, num_steps, valid window starts = first step of a window)
CASES = [
    (3, 3, range(0, 1)),  # Exactly one full window.
    (5, 3, range(0, 3)),  # Not full yet.
    (8, 3, range(0, 6)),  # Just full, no overwrite yet.
    (13, 3, range(5, 11)),  # Wrapped: steps 5..12 held; starts 11, 12 cross the head.
    (13, 1, range(5, 13)),
    (13, 8, range(5, 6)),  # num_steps == max_length: the whole row, oldest first.
    (21, 2, range(13, 20)),  # Wrapped more than twice.
]


@pytest.mark.parametrize("num_written, num_steps, valid", CASES)
def test_windows_are_own_consecutive_uniform_and_valid(num_written, num_steps, valid):
    tf.random.set_seed(1234)
    buffer = _buffer(num_written)
    per_window = 600
    batch = per_window * len(valid)
    starts = _starts(buffer.sample_per_member(batch, num_steps), num_steps)
    assert starts.shape == (N, batch)
    # Uniform over exactly the valid windows: chi-square per member, p = 0.001.
    for k in range(N):
        counts = collections.Counter(starts[k].tolist())
        assert set(counts) == set(valid), (k, sorted(counts))
        observed = np.array([counts[s] for s in valid], np.float64)
        chi2 = np.sum((observed - per_window) ** 2 / per_window)
        assert chi2 <= _chi2_critical(len(valid) - 1), (k, observed)


@pytest.mark.parametrize("num_written, num_steps, valid", CASES)
def test_same_windows_as_parent_get_next(num_written, num_steps, valid):
    """The parent's get_next, restricted to row k, draws the same window set."""
    tf.random.set_seed(7)
    buffer = _buffer(num_written)
    data, _ = buffer.get_next(sample_batch_size=200 * N * len(valid), num_steps=num_steps)
    parent = {(m, s) for m, s in zip(data["member"].numpy()[:, 0], data["step"].numpy()[:, 0])}
    assert parent == {(k, s) for k in range(N) for s in valid}


def test_in_tf_function_while_loop_interleaving_add_and_sample():
    tf.random.set_seed(3)
    num_steps, batch, start, iterations = 2, 16, 2, 20
    buffer = _buffer(start)  # One full window before the loop.

    @tf.function(autograph=False)
    def run():
        def body(i, samples):
            with tf.control_dependencies([buffer.add_batch(_items(start + i))]):
                sample = buffer.sample_per_member(batch, tf.constant(num_steps))
            return i + 1, samples.write(i, sample["step"])

        _, samples = tf.while_loop(
            lambda i, _: i < iterations,
            body,
            (tf.constant(0), tf.TensorArray(tf.int64, size=iterations)),
            parallel_iterations=1,
        )
        return samples.stack()  # [iterations, N, B, T]

    steps = run().numpy()
    assert steps.shape == (iterations, N, batch, num_steps)
    np.testing.assert_array_equal(steps, steps[..., :1] + np.arange(num_steps))
    for i in range(iterations):
        last = start + i  # Last step written before iteration i sampled.
        low = max(0, last + 1 - L)
        assert steps[i, ..., 0].min() >= low
        assert steps[i, ..., -1].max() <= last
    # Once wrapped, the oldest window is drawn and nothing older.
    assert steps[-1, ..., 0].min() == start + iterations - L
    assert buffer.num_frames().numpy() == N * L


def test_returns_trajectory_for_trajectory_spec():
    spec = trajectory.Trajectory(
        step_type=tf.TensorSpec([], tf.int32),
        observation=tf.TensorSpec([3], tf.float32),
        action=tensor_spec.BoundedTensorSpec([], tf.int64, 0, 100),
        policy_info=(),
        next_step_type=tf.TensorSpec([], tf.int32),
        reward=tf.TensorSpec([], tf.float32),
        discount=tf.TensorSpec([], tf.float32),
    )
    buffer = member_replay.MemberReplayBuffer(spec, batch_size=N, max_length=L)
    for step in range(11):
        item = tf.nest.map_structure(lambda s: tf.zeros([N, *s.shape], s.dtype), spec)
        buffer.add_batch(
            item._replace(
                action=tf.range(N, dtype=tf.int64) * 100 + step,  # member·100 + step
                reward=tf.fill([N], float(step)),
            )
        )
    sample = buffer.sample_per_member(5, 2)
    assert isinstance(sample, trajectory.Trajectory)
    assert sample.observation.shape == (N, 5, 2, 3)
    action = sample.action.numpy()
    np.testing.assert_array_equal(action // 100, np.arange(N)[:, None, None] + 0 * action)
    np.testing.assert_array_equal(action, action[..., :1] + np.arange(2))
    np.testing.assert_array_equal(sample.reward.numpy(), (action % 100).astype(np.float32))
    assert (action % 100).min() >= 11 - L


def test_checkpoint_round_trip_samples_the_same(tmp_path):
    buffer = _buffer(13)  # Wrapped.
    path = tf.train.Checkpoint(replay_buffer=buffer).save(str(tmp_path / "ckpt"))
    restored = _buffer(0)
    tf.train.Checkpoint(replay_buffer=restored).restore(path).assert_consumed()
    assert restored._get_last_id().numpy() == 12
    tf.nest.map_structure(
        np.testing.assert_array_equal, buffer.gather_all(), restored.gather_all()
    )
    samples = []
    for b in (buffer, restored):
        tf.random.set_seed(11)
        samples.append(b.sample_per_member(32, 3))
    tf.nest.map_structure(np.testing.assert_array_equal, *samples)
    # Writes continue where the saved buffer stopped.
    restored.add_batch(_items(13))
    assert _starts(restored.sample_per_member(200, 3), 3).max() == 11


def test_error_before_a_full_window():
    with pytest.raises(tf.errors.InvalidArgumentError, match="no full window"):
        _buffer(0).sample_per_member(4, 1)
    buffer = _buffer(2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="no full window"):
        buffer.sample_per_member(4, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="no full window"):
        tf.function(lambda: buffer.sample_per_member(4, 3))()
    buffer.add_batch(_items(2))
    assert _starts(buffer.sample_per_member(4, 3), 3).max() == 0
    with pytest.raises(ValueError, match="num_steps"):
        buffer.sample_per_member(4, L + 1)
