"""Collect / train / evaluate loop for any TF-Agents agent, with resume and export."""

import inspect
import logging
import os
import shutil

import tensorflow as tf
from tf_agents.drivers import dynamic_step_driver
from tf_agents.metrics import tf_metrics
from tf_agents.policies import policy_saver
from tf_agents.policies import random_tf_policy
from tf_agents.replay_buffers import tf_uniform_replay_buffer
from tf_agents.utils import common

from omd_tf.training import curves
from omd_tf.training import environments
from omd_tf.training import evaluation
from omd_tf.training import progress
from omd_tf.training import run_flags

_LOG = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"
POLICY_DIR = "policy"
# Arguments of the training binaries that go to `Trainer` unchanged.
TRAINER_ARGUMENTS = (
    "num_env_steps",
    "init_steps",
    "batch_size",
    "eval_interval",
    "num_eval_episodes",
    "replay_capacity",
    "checkpoint_interval",
)


def _next_multiple(step, interval):
    return (step // interval + 1) * interval


class Trainer:
    """Off-policy training of ``agent``: one env step, then one train step.

    After ``init_steps`` uniformly random env steps, each env step with the
    agent's collect policy (a `DynamicStepDriver` writing to a
    `TFUniformReplayBuffer`) is followed by one `agent.train` on a batch
    sampled uniformly from that buffer; the steps between two evaluations
    or checkpoints run as one compiled `tf.while_loop`, so Python adds no
    per-step overhead.  Every ``eval_interval`` env steps the eval policy is
    evaluated on ``eval_env`` (CSV + TensorBoard) and a progress line is
    logged; every ``checkpoint_interval`` env steps and at the end, agent,
    replay buffer and counters are checkpointed and the eval returns so far
    plotted.  A new `Trainer` on the same ``root_dir`` resumes from the
    latest checkpoint.  At the end the eval policy is exported with
    `PolicySaver` to ``root_dir/policy``.

    Layout of ``root_dir``: ``flags.json`` (``flags``), ``checkpoints/``,
    ``train/`` and ``eval/`` (TensorBoard), ``eval_returns.csv`` and
    ``eval_returns.png``, ``policy/`` (SavedModel).
    """

    def __init__(
        self,
        agent,
        train_env,
        eval_env,
        root_dir,
        *,
        num_env_steps,
        init_steps=1000,
        batch_size=256,
        eval_interval=1000,
        num_eval_episodes=10,
        replay_capacity=200_000,
        checkpoint_interval=10_000,
        summary_interval=1000,
        eval_policy=None,
        flags=None,
        callbacks=(),
    ):
        """Args:
        agent: an initialised `TFAgent` with a fixed `train_sequence_length`
          and stateless policies.
        train_env: `TFEnvironment` of batch size 1 for collection.
        eval_env: `TFEnvironment` for evaluation, any batch size (see
          `evaluation.Evaluator`).
        root_dir: output directory (see the class docstring).
        num_env_steps: total env steps, initial random ones included.
        init_steps: uniformly random env steps before training starts.
        batch_size: trajectories per train batch; an agent with a
          ``batches_per_train`` attribute (e.g. `OmdSoftQAgent`) gets that
          many batches per train call, concatenated.
        eval_interval: env steps between evaluations.
        num_eval_episodes: episodes per evaluation.
        replay_capacity: transitions the replay buffer keeps.
        checkpoint_interval: env steps between checkpoints.
        summary_interval: train steps between TensorBoard train summaries.
        eval_policy: the `TFPolicy` evaluated and exported (e.g. a
          `GreedyPolicy` of the agent's policy); default ``agent.policy``.
        flags: {name: value} of the arguments this run was made with,
          written to ``root_dir/flags.json`` when `run` starts (see
          `run_flags`); None writes nothing.
        callbacks: objects with ``on_train_begin(trainer)`` and
          ``on_train_end(trainer)``, called when `run` starts (after
          flags.json) and after the export.
        """
        self._agent = agent
        self._train_env = train_env
        self._eval_env = eval_env
        self._root_dir = root_dir
        self._num_env_steps = num_env_steps
        self._init_steps = init_steps
        self._eval_interval = eval_interval
        self._checkpoint_interval = checkpoint_interval
        self._summary_interval = summary_interval
        self._eval_policy = agent.policy if eval_policy is None else eval_policy
        self._flags = flags
        self._callbacks = tuple(callbacks)

        self._batch_size = batch_size * getattr(agent, "batches_per_train", 1)
        self.replay_buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
            agent.collect_data_spec,
            batch_size=train_env.batch_size,
            max_length=replay_capacity,
        )
        self._env_steps = tf_metrics.EnvironmentSteps()
        self._train_return = tf_metrics.AverageReturnMetric()
        self._train_metrics = [self._env_steps, self._train_return]
        self._observers = [self.replay_buffer.add_batch] + self._train_metrics
        self._collect_driver = dynamic_step_driver.DynamicStepDriver(
            train_env, agent.collect_policy, observers=self._observers, num_steps=1
        )
        self._train_steps_fn = common.function(self._collect_and_train)
        self._checkpointer = common.Checkpointer(
            os.path.join(root_dir, CHECKPOINT_DIR),
            max_to_keep=1,
            agent=agent,
            replay_buffer=self.replay_buffer,
            train_metrics=self._train_metrics,
        )
        self._evaluate = evaluation.Evaluator(
            eval_env,
            self._eval_policy,
            num_eval_episodes,
            os.path.join(root_dir, curves.EVAL_CSV),
            os.path.join(root_dir, "eval"),
        )
        self._evaluate.drop_rows_after(self.env_steps)

    @property
    def agent(self):
        """The agent being trained."""
        return self._agent

    def close(self):
        """Closes both environments."""
        self._train_env.close()
        self._eval_env.close()

    @property
    def env_steps(self):
        """Env steps taken so far (restored from the checkpoint), an int."""
        return int(self._env_steps.result())

    def train_steps(self, time_step, num_steps):
        """``num_steps`` x (one collect env step, one train step), one compiled call.

        Args:
          time_step: the train env's current `TimeStep` (batched).
          num_steps: env steps to take, an int or int32 scalar tensor.

        Returns:
          The train env's new current `TimeStep`.
        """
        return self._train_steps_fn(
            time_step, tf.convert_to_tensor(num_steps, tf.int32)
        )

    def _collect_and_train(self, time_step, num_steps):
        def body(i, time_step):
            time_step, _ = self._collect_driver.run(time_step, ())
            # Sampled in the graph, after the add: a tf.data iterator over
            # the same `get_next` costs 5x the sampling itself (~0.2 ms).
            experience, _ = self.replay_buffer.get_next(
                sample_batch_size=self._batch_size,
                num_steps=self._agent.train_sequence_length,
            )
            with tf.name_scope(""):  # The agent's summary tags, not "while/...".
                self._agent.train(experience)
            with tf.name_scope("Metrics/"):  # Absolute: not under "while/".
                tf.summary.scalar(
                    "TrainAverageReturn",
                    self._train_return.result(),
                    step=self._env_steps.result(),
                )
            return i + 1, time_step

        _, time_step = tf.while_loop(
            lambda i, _: i < num_steps,
            body,
            (tf.constant(0), time_step),
            parallel_iterations=1,
        )
        return time_step

    def collect_random(self, num_steps):
        """``num_steps`` uniformly random env steps into the replay buffer.

        Starts from a reset of the train env; returns its new `TimeStep`.
        """
        policy = random_tf_policy.RandomTFPolicy(
            self._agent.time_step_spec, self._agent.action_spec
        )
        driver = dynamic_step_driver.DynamicStepDriver(
            self._train_env, policy, observers=self._observers, num_steps=num_steps
        )
        return common.function(driver.run)(self._train_env.reset(), ())[0]

    def _save(self):
        """Checkpoints, and plots the eval returns so far (``eval_returns.png``)."""
        self._checkpointer.save(global_step=self._env_steps.result())
        if os.path.exists(os.path.join(self._root_dir, curves.EVAL_CSV)):
            curves.plot(
                os.path.join(self._root_dir, curves.EVAL_PLOT),
                {"mean eval return": [curves.read(self._root_dir)]},
                os.path.basename(os.path.normpath(self._root_dir)),
            )

    def final_return(self):
        """The eval return recorded at the end of a complete run, else None.

        A run is complete when its checkpoint is at ``num_env_steps`` or
        later, its eval CSV has a row at that step and its policy has been
        exported.
        """
        step = self.env_steps
        if step < self._num_env_steps or not tf.saved_model.contains_saved_model(
            os.path.join(self._root_dir, POLICY_DIR)
        ):
            return None
        return self._recorded_returns().get(step)

    def _recorded_returns(self):
        try:
            return curves.read(self._root_dir)
        except FileNotFoundError:
            return {}

    def _export(self):
        """Exports the eval policy to ``root_dir/policy`` (whole or not at all)."""
        path = os.path.join(self._root_dir, POLICY_DIR)
        partial = path + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        policy_saver.PolicySaver(
            self._eval_policy, train_step=self._agent.train_step_counter
        ).save(partial)
        shutil.rmtree(path, ignore_errors=True)
        os.rename(partial, path)

    def run(self):
        """Trains up to ``num_env_steps`` env steps; returns the last eval return.

        A complete run (`final_return`) is left as it is: nothing is trained,
        evaluated or written, and its recorded final return is returned.
        """
        final_return = self.final_return()
        if final_return is not None:
            return final_return
        step = self.env_steps
        if self._flags is not None:
            run_flags.record(self._root_dir, self._flags, step or None)
        for callback in self._callbacks:
            callback.on_train_begin(self)
        report = progress.Progress(step, self._num_env_steps)
        time_step = self._train_env.reset()
        init_steps = min(self._init_steps, self._num_env_steps)
        if step < init_steps:
            time_step = self.collect_random(init_steps - step)
            step = self.env_steps
        eval_return, evaluated_at = None, None
        counter = self._agent.train_step_counter
        train_writer = tf.summary.create_file_writer(
            os.path.join(self._root_dir, "train")
        )
        with train_writer.as_default(), tf.summary.record_if(
            lambda: tf.equal(counter % self._summary_interval, 0)
        ):
            while step < self._num_env_steps:
                stop = min(
                    self._num_env_steps,
                    _next_multiple(step, self._eval_interval),
                    _next_multiple(step, self._checkpoint_interval),
                )
                time_step = self.train_steps(time_step, stop - step)
                step = stop
                if step % self._eval_interval == 0:
                    eval_return, evaluated_at = self._evaluate(step), step
                    _LOG.info("%s", report.line(step, eval_return))
                if step % self._checkpoint_interval == 0:
                    self._save()
        if evaluated_at != step:
            # A run stopped between its last checkpoint and its export has
            # its final evaluation in the CSV already.
            eval_return = self._recorded_returns().get(step)
            if eval_return is None:
                eval_return = self._evaluate(step)
                _LOG.info("%s", report.line(step, eval_return))
        self._save()
        self._export()
        for callback in self._callbacks:
            callback.on_train_end(self)
        return eval_return


def agent_arguments(make_agent, args):
    """{name: args[name]} for the keyword-only arguments of ``make_agent``."""
    return {
        name: args[name]
        for name, parameter in inspect.signature(make_agent).parameters.items()
        if parameter.kind == parameter.KEYWORD_ONLY
    }


def trainer_for(args, make_agent, *, discrete, eval_policy_fn=None, callbacks=()):
    """The `Trainer` that a training binary's checked arguments describe.

    Refuses to resume a checkpointed run started with other flags
    (`run_flags.check_resume`), makes the envs (`environments.make_envs`;
    nothing is written before), seeds Python, NumPy and TensorFlow with
    ``args["seed"]``, builds the agent and returns a `Trainer` on
    ``args["root_dir"]`` that records ``args`` when it runs.

    Args:
      args: the binary's arguments by name: root_dir, env, agent,
        num_distractors, seed, the `TRAINER_ARGUMENTS` and every keyword-only
        argument of ``make_agent``.
      make_agent: ``make_agent(agent, time_step_spec, action_spec, *, ...)``
        returning an initialised agent.
      discrete: whether the agent needs discrete actions.
      eval_policy_fn: agent -> the policy to evaluate and export; default
        the agent's ``policy``.
      callbacks: the `Trainer`'s callbacks.

    Raises:
      checks.ConfigError: for flags that differ from those of the
        checkpointed run in root_dir, or an env the agent cannot use.
    """
    checkpoints = os.path.join(args["root_dir"], CHECKPOINT_DIR)
    run_flags.check_resume(
        args["root_dir"],
        args,
        has_checkpoint=tf.train.latest_checkpoint(checkpoints) is not None,
    )
    train_env, eval_env = environments.make_envs(
        args["env"],
        args["num_distractors"],
        args["seed"],
        args["num_eval_episodes"],
        discrete=discrete,
    )
    tf.keras.utils.set_random_seed(args["seed"])  # Python, NumPy and TensorFlow.
    agent = make_agent(
        args["agent"],
        train_env.time_step_spec(),
        train_env.action_spec(),
        **agent_arguments(make_agent, args),
    )
    return Trainer(
        agent,
        train_env,
        eval_env,
        args["root_dir"],
        eval_policy=eval_policy_fn(agent) if eval_policy_fn else None,
        flags=args,
        callbacks=callbacks,
        **{name: args[name] for name in TRAINER_ARGUMENTS},
    )


def run_and_close(trainer):
    """Runs ``trainer`` to its end, closes its envs; the final mean eval return."""
    try:
        return trainer.run()
    finally:
        trainer.close()
