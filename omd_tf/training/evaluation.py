"""Evaluation episodes on a separate environment, logged to CSV and TensorBoard."""

import csv
import math
import os

import tensorflow as tf
from tf_agents.utils import common

from omd_tf.training import environments
from omd_tf.training import seeds

CSV_FIELDS = ("env_steps", "average_return", "average_episode_length")


class Evaluator:
    """Mean return and length of ``num_episodes`` episodes of ``policy``.

    ``env`` may be batched: each round runs every one of its B environments
    for exactly one episode, in one compiled `tf.while_loop` (B episodes
    for the cost of the longest one), and ceil(num_episodes / B) rounds
    give the first ``num_episodes`` episodes; finishing every episode of a
    round avoids the bias toward short episodes of "the first N episodes to
    end".  Each call appends a row (env_steps, average_return,
    average_episode_length) to ``csv_path`` and writes the scalars
    ``Metrics/AverageReturn`` and ``Metrics/AverageEpisodeLength``
    (step = env steps) to ``summary_dir``, every call.
    """

    def __init__(self, env, policy, num_episodes, csv_path, summary_dir, seed=None):
        """Args:
        env: `TFEnvironment` (batch size B >= 1) used only for evaluation.
        policy: the `TFPolicy` to evaluate.
        num_episodes: episodes per evaluation (positive int).
        csv_path: CSV file of results (created with a header if missing).
        summary_dir: TensorBoard directory.
        seed: if an int, each evaluation at env step E first seeds the i-th
          gymnasium env inside ``env`` with `seeds.derived(seed, EVAL_RESET,
          E, i)`, so that an evaluation depends only on (seed, E) and the
          policy; None continues the envs' RNG streams.
        """
        self._env = env
        self._policy = policy
        self._num_episodes = num_episodes
        self._num_rounds = math.ceil(num_episodes / env.batch_size)
        self.restart_random_streams()
        self._csv_path = csv_path
        self._summary_dir = summary_dir
        self._seed = seed
        self._gymnasium_envs = environments.gymnasium_envs(env)
        self._writer = None  # Made by the first evaluation: no files before.

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

    def __call__(self, env_steps):
        """Evaluates now; returns the average return (float)."""
        if self._seed is not None:
            for i, env in enumerate(self._gymnasium_envs):
                env.seed(seeds.derived(self._seed, seeds.EVAL_RESET, env_steps, i))
        rounds = [self._run_round(self._env.reset()) for _ in range(self._num_rounds)]
        returns, lengths = (
            tf.concat(values, axis=0)[: self._num_episodes] for values in zip(*rounds)
        )
        average_return = float(tf.reduce_mean(returns))
        average_length = float(tf.reduce_mean(lengths))
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self._summary_dir)
        # Recorded whatever `tf.summary.record_if` the caller's context sets
        # (the training loop records train summaries only every N steps).
        with self._writer.as_default(), tf.summary.record_if(True):
            tf.summary.scalar("Metrics/AverageReturn", average_return, step=env_steps)
            tf.summary.scalar(
                "Metrics/AverageEpisodeLength", average_length, step=env_steps
            )
        new_file = not os.path.exists(self._csv_path)
        with open(self._csv_path, "a", newline="") as f:
            writer = csv.writer(f)
            if new_file:
                writer.writerow(CSV_FIELDS)
            writer.writerow(
                (env_steps, f"{average_return:.6g}", f"{average_length:.6g}")
            )
        return average_return

    def drop_rows_after(self, env_steps):
        """Removes CSV rows later than ``env_steps``, and incomplete rows (after resuming)."""
        if not os.path.exists(self._csv_path):
            return
        with open(self._csv_path, newline="") as f:
            rows = list(csv.reader(f))
        # A row cut short by a kill during its write has fewer fields.
        kept = [rows[0]] + [
            r for r in rows[1:] if len(r) == len(CSV_FIELDS) and int(r[0]) <= env_steps
        ]
        if len(kept) == len(rows):
            return
        with open(self._csv_path, "w", newline="") as f:
            csv.writer(f).writerows(kept)
