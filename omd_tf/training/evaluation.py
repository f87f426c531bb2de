"""Evaluation episodes on a separate environment, logged to CSV and TensorBoard."""

import csv
import math
import os

import tensorflow as tf
from tf_agents.utils import common

from omd_tf.training import curves
from omd_tf.training import environments
from omd_tf.training import seeds

CSV_FIELDS = ("env_steps", "average_return", "average_episode_length")


class Evaluator:
    """Mean return and length of ``num_episodes`` episodes of ``policy``, per member.

    ``env`` may be batched: each round runs every one of its environments
    for exactly one episode, in one compiled `tf.while_loop` (a batch of
    episodes for the cost of the longest one), and enough rounds give each
    member its first ``num_episodes`` episodes; finishing every episode of
    a round avoids the bias toward short episodes of "the first N episodes
    to end".  A population's members (one run dir each) own equal blocks of
    the batch, member k the k-th (the order `environments.make_envs` gives).
    Each call appends a row (env_steps, average_return,
    average_episode_length) to each member's ``run_dir/eval_returns.csv``
    and writes the scalars ``Metrics/AverageReturn`` and
    ``Metrics/AverageEpisodeLength`` (step = env steps) to its
    ``run_dir/eval``, every call.
    """

    def __init__(self, env, policy, num_episodes, run_dirs, seed=None):
        """Args:
        env: `TFEnvironment` (batch size a multiple of ``len(run_dirs)``)
          used only for evaluation.
        policy: the `TFPolicy` to evaluate (of a population: acting on
          member k's block of rows with member k's weights).
        num_episodes: episodes per evaluation and member (positive int).
        run_dirs: the output directory of each member (one for one agent).
        seed: if an int, each evaluation at env step E first seeds the j-th
          gymnasium env of member k's block with `seeds.derived(seed + k,
          EVAL_RESET, E, j)`, so that an evaluation depends only on (seed,
          E) and the policy; None continues the envs' RNG streams.
        """
        if env.batch_size % len(run_dirs):
            raise ValueError(
                f"The eval env's batch ({env.batch_size}) must split evenly among "
                f"{len(run_dirs)} members."
            )
        self._env = env
        self._policy = policy
        self._num_episodes = num_episodes
        self._run_dirs = list(run_dirs)
        self._envs_per_member = env.batch_size // len(run_dirs)
        self._num_rounds = math.ceil(num_episodes / self._envs_per_member)
        self.restart_random_streams()
        self._seed = seed
        self._gymnasium_envs = environments.gymnasium_envs(env)
        self._writers = None  # Made by the first evaluation: no files before.

    def restart_random_streams(self):
        """Compiles the episode loop anew: its random ops restart from their
        seeds (derived from TensorFlow's global seed now)."""
        self._run_round = common.function(self._one_episode_per_env)

    def _one_episode_per_env(self, time_step):
        """(returns [B], lengths [B]) of one episode from each reset env."""
        batch_size = self._env.batch_size
        zeros = tf.zeros([batch_size], tf.float32)
        done = tf.zeros([batch_size], tf.bool)
        policy_state = self._policy.get_initial_state(batch_size)

        def body(time_step, policy_state, returns, lengths, done):
            action_step = self._policy.action(time_step, policy_state)
            time_step = self._env.step(action_step.action)
            running = tf.cast(~done, tf.float32)
            returns += running * time_step.reward
            lengths += running
            return (
                time_step,
                action_step.state,
                returns,
                lengths,
                done | time_step.is_last(),
            )

        _, _, returns, lengths, _ = tf.while_loop(
            lambda *loop_vars: ~tf.reduce_all(loop_vars[-1]),
            body,
            (time_step, policy_state, zeros, zeros, done),
            parallel_iterations=1,
        )
        return returns, lengths

    def __call__(self, env_steps, members=None):
        """Evaluates now; returns each member's average return (list of floats).

        Records (CSV, TensorBoard) only those of ``members`` (indices; None:
        all), e.g. not those of a population's diverged members.
        """
        if self._seed is not None:
            for i, env in enumerate(self._gymnasium_envs):
                member, j = divmod(i, self._envs_per_member)
                env.seed(
                    seeds.derived(self._seed + member, seeds.EVAL_RESET, env_steps, j)
                )
        rounds = [self._run_round(self._env.reset()) for _ in range(self._num_rounds)]
        # [rounds · B] -> [members, rounds · envs per member], first episodes.
        returns, lengths = (
            tf.concat(
                [tf.reshape(v, [len(self._run_dirs), -1]) for v in values], axis=1
            )[:, : self._num_episodes]
            for values in zip(*rounds)
        )
        if self._writers is None:
            self._writers = [
                tf.summary.create_file_writer(os.path.join(run_dir, "eval"))
                for run_dir in self._run_dirs
            ]
        average_returns = tf.reduce_mean(returns, axis=1).numpy().tolist()
        average_lengths = tf.reduce_mean(lengths, axis=1).numpy().tolist()
        for member in range(len(self._run_dirs)) if members is None else members:
            _record(
                self._run_dirs[member],
                self._writers[member],
                env_steps,
                average_returns[member],
                average_lengths[member],
            )
        return average_returns

    def drop_rows_after(self, env_steps):
        """Removes CSV rows later than ``env_steps``, and incomplete rows (after resuming)."""
        for run_dir in self._run_dirs:
            _drop_rows_after(os.path.join(run_dir, curves.EVAL_CSV), env_steps)


def _record(run_dir, writer, env_steps, average_return, average_length):
    """One evaluation's row in ``run_dir``'s CSV and its TensorBoard scalars."""
    # Recorded whatever `tf.summary.record_if` the caller's context sets
    # (the training loop records train summaries only every N steps).
    with writer.as_default(), tf.summary.record_if(True):
        tf.summary.scalar("Metrics/AverageReturn", average_return, step=env_steps)
        tf.summary.scalar("Metrics/AverageEpisodeLength", average_length, step=env_steps)
    csv_path = os.path.join(run_dir, curves.EVAL_CSV)
    new_file = not os.path.exists(csv_path)
    with open(csv_path, "a", newline="") as f:
        writer = csv.writer(f)
        if new_file:
            writer.writerow(CSV_FIELDS)
        writer.writerow((env_steps, f"{average_return:.6g}", f"{average_length:.6g}"))


def _drop_rows_after(csv_path, env_steps):
    """Removes rows later than ``env_steps`` and incomplete rows of ``csv_path``."""
    if not os.path.exists(csv_path):
        return
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    # A row cut short by a kill during its write has fewer fields.
    kept = [rows[0]] + [
        r for r in rows[1:] if len(r) == len(CSV_FIELDS) and int(r[0]) <= env_steps
    ]
    if len(kept) == len(rows):
        return
    with open(csv_path, "w", newline="") as f:
        csv.writer(f).writerows(kept)
