"""Collect / train / evaluate loop for any TF-Agents agent, with resume and export."""

import inspect
import logging
import os
import re
import shutil
import time

import tensorflow as tf
from tf_agents.drivers import dynamic_step_driver
from tf_agents.metrics import tf_metrics
from tf_agents.policies import policy_saver
from tf_agents.policies import random_tf_policy
from tf_agents.replay_buffers import tf_uniform_replay_buffer
from tf_agents.trajectories import time_step as ts
from tf_agents.utils import common
import tree

from omd_tf.training import checkpoints
from omd_tf.training import checks
from omd_tf.training import curves
from omd_tf.training import environments
from omd_tf.training import evaluation
from omd_tf.training import member_failures
from omd_tf.training import member_replay
from omd_tf.training import population
from omd_tf.training import progress
from omd_tf.training import run_flags
from omd_tf.training import run_lock
from omd_tf.training import seeds

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


class RunStopped(Exception):
    """A run that cannot go on; the message says where it stopped and what is kept."""


class NonFiniteLoss(RunStopped):
    """A loss of the agent became inf or NaN."""


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
    replay buffer, counters and the training time so far (`train_seconds`)
    are checkpointed and the eval returns so far
    plotted.  A new `Trainer` on the same ``root_dir`` resumes from the
    newest readable checkpoint (`checkpoints.RunCheckpoints` keeps two).  At
    the end the eval policy is exported with `PolicySaver` to
    ``root_dir/policy``.

    Exact resume: a run resumed from its checkpoint at env step S produces
    the same eval CSV, to the last digit, as the run that was not
    interrupted (same machine).  For that the train episode in progress
    ends at every checkpoint, as a truncation (LAST with discount 1, which
    the agents bootstrap as a time limit), and after each checkpoint every
    random stream restarts from seeds derived from (``seed``, S)
    (`seeds`): TensorFlow's global seed, under which the compiled
    collect/train and evaluation loops are built anew (policy sampling, ε,
    replay sampling), and the train env's next reset; each evaluation at
    step E seeds its eval envs from (``seed``, E).  Agent, replay buffer,
    metrics and the last time step are in the checkpoint.  This needs the
    envs to be `omd_tf.envs.GymnasiumEnvironment`s; other envs train the
    same way without that guarantee.

    A loss that turns inf or NaN stops the run with `NonFiniteLoss` before
    anything after it is saved; in a population, only when it has happened
    to every member (`member_failures`: a diverged member is frozen, left
    out of evaluations, export and the population's mean, and its folder
    says so).

    Layout of ``root_dir``: ``flags.json`` (``flags``), ``checkpoints/``,
    ``train/`` and ``eval/`` (TensorBoard), ``eval_returns.csv`` and
    ``eval_returns.png``, ``policy/`` (SavedModel).

    A population agent (``agent.num_members`` = N, e.g. `OmdSoftQAgent`'s)
    trains N members in lockstep on a train env of batch N (row k: member
    k): env steps count per member, member k samples only its own
    transitions (`member_replay.MemberReplayBuffer`), random streams and
    eval envs of member k derive from ``seed + k``.  ``root_dir`` keeps the
    checkpoints, flags and train summaries (the members' means) of the whole
    population and the population's mean ± standard error (`population`);
    each member's train summaries, evaluations and exported policy go to its
    own folder,
    ``root_dir/<name>_s<seed + k>`` (`population.member_dirs`), in the layout
    above.
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
        seed=0,
        lock=None,
        member_policy_fn=None,
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
        seed: the run's seed, from which the random streams after each
          checkpoint and of each evaluation derive (see the class docstring).
        lock: the `run_lock.RunLock` of ``root_dir``, released by `close`.
        member_policy_fn: for a population, k -> the `TFPolicy` of member k
          alone (batch-free of the member axis), exported to its folder.
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
        self._seed = seed
        self._lock = lock
        self._train_gymnasium_envs = environments.gymnasium_envs(train_env)
        self._num_members = getattr(agent, "num_members", None)
        self._member_policy_fn = member_policy_fn
        self.run_dirs = population.member_dirs(root_dir, seed, self._num_members or 1)
        self._member_train_writers = ()  # `run` makes them.

        self._batch_size = batch_size * getattr(agent, "batches_per_train", 1)
        buffer_class = (
            tf_uniform_replay_buffer.TFUniformReplayBuffer
            if self._num_members is None
            else member_replay.MemberReplayBuffer
        )
        self.replay_buffer = buffer_class(
            agent.collect_data_spec,
            batch_size=train_env.batch_size,
            max_length=replay_capacity,
        )
        self._env_steps = tf_metrics.EnvironmentSteps()
        # A population's env steps per member: batched steps of the train env.
        self._member_steps = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._train_return = tf_metrics.AverageReturnMetric(
            batch_size=train_env.batch_size
        )
        self._train_metrics = [self._env_steps, self._train_return]
        self._observers = [self.replay_buffer.add_batch] + self._train_metrics
        self._collect_driver = dynamic_step_driver.DynamicStepDriver(
            train_env, agent.collect_policy, observers=self._observers, num_steps=1
        )
        self._train_steps_fn = common.function(self._collect_and_train)
        # The train env's current time step, [batch, ...], kept in checkpoints.
        self._last_time_step = {
            name: tf.Variable(
                tf.zeros([train_env.batch_size, *spec.shape], spec.dtype),
                trainable=False,
            )
            for name, spec in train_env.time_step_spec()._asdict().items()
        }
        # Index into the flattened LossInfo of the first non-finite loss, or -1;
        # a population's: 0 once every member has diverged.
        self._nonfinite = tf.Variable(-1, trainable=False)
        # Wall seconds spent reaching the checkpointed state (see `train_seconds`).
        self._train_seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False)
        self._clock_start = None  # (time.monotonic(), seconds) when `run` started.
        self._loss_names = []
        self._failures = (
            None
            if self._num_members is None
            else member_failures.MemberFailures(agent)
        )
        self._checkpoints = checkpoints.RunCheckpoints(
            os.path.join(root_dir, CHECKPOINT_DIR),
            agent=agent,
            replay_buffer=self.replay_buffer,
            train_metrics=self._train_metrics,
            last_time_step=self._last_time_step,
            train_seconds=self._train_seconds,
            **(
                {}
                if self._num_members is None
                else {
                    "member_steps": self._member_steps,
                    "member_failed_at": self._failures.failed_at,
                    "member_failed_loss": self._failures.failed_loss,
                }
            ),
        )
        self._evaluate = evaluation.Evaluator(
            eval_env, self._eval_policy, num_eval_episodes, self.run_dirs, seed=seed
        )
        self._evaluate.drop_rows_after(self.env_steps)

    @property
    def agent(self):
        """The agent being trained."""
        return self._agent

    def close(self):
        """Closes both environments and releases the root_dir's lock."""
        self._train_env.close()
        self._eval_env.close()
        if self._lock is not None:
            self._lock.release()

    @property
    def num_members(self):
        """N of a population agent, None for one agent."""
        return self._num_members

    @property
    def live_members(self):
        """Indices of the members that have not diverged ([0] for one agent)."""
        return [0] if self._failures is None else self._failures.live()

    @property
    def live_run_dirs(self):
        """`run_dirs` of the `live_members`."""
        return [self.run_dirs[k] for k in self.live_members]

    @property
    def env_steps(self):
        """Env steps taken so far, per member (restored from the checkpoint), an int."""
        if self._num_members is None:
            return int(self._env_steps.result())
        return int(self._member_steps.numpy())

    @property
    def train_seconds(self):
        """Wall seconds, a float, of training that led to the newest
        checkpoint: summed over resumes (and over the run whose checkpoint
        `bin/continue_frozen.py` started from), without the time lost after
        the last checkpoint of an interrupted process (that work is redone)."""
        return float(self._train_seconds.numpy())

    def train_steps(self, time_step, num_steps):
        """``num_steps`` x (one collect env step, one train step), one compiled call.

        Args:
          time_step: the train env's current `TimeStep` (batched).
          num_steps: env steps to take, an int or int32 scalar tensor.

        Returns:
          The train env's new current `TimeStep`.

        Raises:
          NonFiniteLoss: a loss turned inf or NaN (the call stopped there).
        """
        try:
            time_step = self._train_steps_fn(
                time_step, tf.convert_to_tensor(num_steps, tf.int32)
            )
        except tf.errors.InvalidArgumentError as err:
            # An agent's own `tf.debugging.check_numerics`, e.g. SacAgent's.
            if "inf or nan" not in err.message.lower():
                raise
            self._raise_nonfinite(_checked_loss_name(err.message))
        if self._failures is not None:
            self._report_divergences()
        bad = int(self._nonfinite.numpy())
        if bad >= 0:
            self._raise_nonfinite(f"loss {self._loss_names[bad]!r}")
        for name, value in time_step._asdict().items():
            # TensorFlow's graph optimiser has been seen to return empty
            # tensors from this loop (a NaN known at compile time): fail here
            # rather than save them.
            expected = self._last_time_step[name]
            if value.dtype != expected.dtype or value.shape != expected.shape:
                raise RuntimeError(
                    f"The compiled collect/train loop returned a malformed "
                    f"time step ({name}: {value.dtype.name} {value.shape}, expected "
                    f"{expected.dtype.name} {expected.shape}); nothing was saved."
                )
        return time_step

    def _report_divergences(self):
        """Marks and logs the members that diverged since the last call.

        Raises:
          NonFiniteLoss: every member has diverged.
        """
        for member in self._failures.write_markers(self.run_dirs, self._seed):
            _LOG.warning(
                "member %d (seed %d) diverged at env step %d: its loss %r is inf or NaN. "
                "It is frozen at its weights of the last checkpoint and left out "
                "of evaluations, export and the population's mean; %d of %d "
                "members go on.",
                member,
                self._seed + member,
                int(self._failures.failed_at[member]),
                self._failures.loss_name(member),
                len(self.live_members),
                self._num_members,
            )
        if not self.live_members:
            self._raise_nonfinite("loss of every member")

    def _restart_random_streams(self, step):
        """From env step ``step`` on, every random stream derives from (seed, step).

        Sets TensorFlow's global seed and builds the compiled collect/train
        and evaluation loops anew (their random ops restart from it), and
        seeds the train env's next reset.
        """
        tf.random.set_seed(seeds.derived(self._seed, seeds.TF_OPS, step))
        self._train_steps_fn = common.function(self._collect_and_train)
        self._evaluate.restart_random_streams()
        for member, env in enumerate(self._train_gymnasium_envs):
            env.seed(seeds.derived(self._seed + member, seeds.TRAIN_RESET, step))

    def _end_episode_after(self, num_steps):
        """The ``num_steps``-th train env step from now ends its episode."""
        for env in self._train_gymnasium_envs:
            env.truncate_after(num_steps)

    def _end_members_episodes(self, time_step):
        """A population's ``time_step`` at a checkpoint, with every episode ended.

        A member's reset counts as one of its env steps, so one whose episode
        ended a step before the checkpoint is at FIRST there, not at the LAST
        of `_end_episode_after`.  Every member's env resets at its next step
        (as a resumed run's new env does) and ``time_step`` ([N]) says LAST, so
        that the step into the reset is a boundary.  One agent: unchanged.
        """
        if self._num_members is None:
            return time_step
        for env in self._train_gymnasium_envs:
            env.end_episode()
        return time_step._replace(
            step_type=tf.fill(tf.shape(time_step.step_type), ts.StepType.LAST)
        )

    def _collect_and_train(self, time_step, num_steps):
        def body(i, time_step):
            time_step = self._env_step(self._collect_driver, time_step)
            with tf.name_scope(""):  # The agent's summary tags, not "while/...".
                loss_info = self._agent.train(self.sample())
                self._summarize_members(loss_info.extra)
            if self._failures is None:
                self._check_finite(loss_info)
            else:
                every_member_diverged = self._failures.check(
                    loss_info.extra, self._member_steps
                )
                self._nonfinite.assign(tf.where(every_member_diverged, 0, -1))
            with tf.name_scope("Metrics/"):  # Absolute: not under "while/".
                tf.summary.scalar(
                    "TrainAverageReturn",
                    self._train_return.result(),
                    step=self._env_steps.result(),
                )
            return i + 1, time_step

        _, time_step = tf.while_loop(
            lambda i, _: (i < num_steps) & (self._nonfinite < 0),
            body,
            (tf.constant(0), time_step),
            parallel_iterations=1,
        )
        return time_step

    def _summarize_members(self, extra):
        """Writes member k's own train summaries into its folder's train/.

        A population's only (``_member_train_writers`` is empty otherwise),
        on the steps the root's summaries are recorded.
        """
        if not self._member_train_writers or not self._agent.summaries_enabled:
            return

        def write():
            for member, writer in enumerate(self._member_train_writers):
                with writer.as_default():
                    self._agent.summarize(extra, member)
            return tf.constant(True)

        tf.cond(
            tf.summary.should_record_summaries(), write, lambda: tf.constant(False)
        )

    def _env_step(self, driver, time_step):
        """One step of the train env with ``driver``; the new time step."""
        time_step, _ = driver.run(time_step, ())
        if self._num_members is not None:
            self._member_steps.assign_add(1)
        return time_step

    def sample(self):
        """A train batch: [B, T] of the agent, or [N, B, T] (member k: its own)."""
        # Sampled in the graph, after the add: a tf.data iterator over the
        # same `get_next` costs 5x the sampling itself (~0.2 ms).
        num_steps = self._agent.train_sequence_length
        if self._num_members is not None:
            return self.replay_buffer.sample_per_member(self._batch_size, num_steps)
        return self.replay_buffer.get_next(
            sample_batch_size=self._batch_size, num_steps=num_steps
        )[0]

    def _check_finite(self, loss_info):
        """Records in ``_nonfinite`` the first non-finite float of ``loss_info``."""
        paths_and_values = [
            ("/".join(map(str, path)), value)
            for path, value in tree.flatten_with_path(loss_info)
            if tf.is_tensor(value) and value.dtype.is_floating
        ]
        self._loss_names = [path for path, _ in paths_and_values]
        finite = tf.stack(
            [tf.reduce_all(tf.math.is_finite(value)) for _, value in paths_and_values]
        )
        first_bad = tf.argmin(tf.cast(finite, tf.int32), output_type=tf.int32)
        self._nonfinite.assign(
            tf.where(tf.reduce_all(finite), self._nonfinite, first_bad)
        )

    def _raise_nonfinite(self, name):
        kept = self._checkpoints.latest
        where = (
            f"The last good checkpoint, {kept}, is kept and nothing after it "
            "was saved. Re-running the same command resumes from it"
            if kept
            else "No checkpoint had been saved yet. Re-running the same command "
            "starts again"
        )
        raise NonFiniteLoss(
            f"Stopped at env step {self.env_steps}: the {name} is inf or NaN. "
            f"{where} and, the run being deterministic, meets the same loss "
            "again: start a changed configuration (e.g. smaller learning "
            "rates) in a new --root_dir."
        )

    def collect_random(self, num_steps):
        """``num_steps`` uniformly random env steps into the replay buffer.

        Starts from a reset of the train env; returns its new `TimeStep`.
        """
        policy = random_tf_policy.RandomTFPolicy(
            self._agent.time_step_spec, self._agent.action_spec
        )
        if self._num_members is None:
            driver = dynamic_step_driver.DynamicStepDriver(
                self._train_env, policy, observers=self._observers, num_steps=num_steps
            )
            return common.function(driver.run)(self._train_env.reset(), ())[0]
        driver = dynamic_step_driver.DynamicStepDriver(
            self._train_env, policy, observers=self._observers, num_steps=1
        )

        def steps(time_step):
            return tf.while_loop(
                lambda i, _: i < num_steps,
                lambda i, t: (i + 1, self._env_step(driver, t)),
                (tf.constant(0), time_step),
                parallel_iterations=1,
            )[1]

        return common.function(steps)(self._train_env.reset())

    def _save(self, time_step):
        """Checkpoints with ``time_step``; plots the eval returns so far."""
        for name, value in time_step._asdict().items():
            self._last_time_step[name].assign(value)
        started, seconds_before = self._clock_start
        self._train_seconds.assign(seconds_before + time.monotonic() - started)
        try:
            self._checkpoints.save(self.env_steps)
        except checkpoints.CheckpointWriteError as err:
            raise RunStopped(
                f"Stopped: {err}. The checkpoints before it are kept; free or "
                "fix the disk and re-run the same command to resume."
            ) from err
        if self._failures is not None:
            self._failures.take_snapshot()
        for run_dir in self.run_dirs:
            if os.path.exists(os.path.join(run_dir, curves.EVAL_CSV)):
                curves.plot(
                    os.path.join(run_dir, curves.EVAL_PLOT),
                    {"mean eval return": [curves.read(run_dir)]},
                    os.path.basename(os.path.normpath(run_dir)),
                )
        if self._num_members is not None:
            population.write_summary(self._root_dir, self.live_run_dirs)

    def final_return(self):
        """The eval return recorded at the end of a complete run, else None.

        A run is complete when its checkpoint is at ``num_env_steps`` or
        later, its eval CSV has a row at that step and its policy has been
        exported (a population's: every live member's; its return is the
        mean over them).
        """
        step = self.env_steps
        if step < self._num_env_steps or not all(
            tf.saved_model.contains_saved_model(os.path.join(run_dir, POLICY_DIR))
            for run_dir in self.live_run_dirs
        ):
            return None
        return self._recorded_returns().get(step)

    def _recorded_returns(self):
        """{env step: mean eval return (over live members)} of the evaluations so far."""
        try:
            member_curves = [curves.read(run_dir) for run_dir in self.live_run_dirs]
        except FileNotFoundError:
            return {}
        steps, mean, _ = curves.mean_curve(member_curves)
        return dict(zip(steps, mean.tolist()))

    def eval_policy(self, member=0):
        """The `TFPolicy` that evaluates (and is exported): member ``member``'s
        in a population (observations [B, D]), the agent's own otherwise."""
        if self._num_members is None:
            return self._eval_policy
        return self._member_policy_fn(member)

    def _export(self):
        """Exports each live member's eval policy to its ``policy/`` (whole or not at all)."""
        for member in self.live_members:
            run_dir = self.run_dirs[member]
            path = os.path.join(run_dir, POLICY_DIR)
            partial = path + ".partial"
            shutil.rmtree(partial, ignore_errors=True)
            policy_saver.PolicySaver(
                self.eval_policy(member), train_step=self._agent.train_step_counter
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
        self._clock_start = (time.monotonic(), self.train_seconds)
        if self._flags is not None:
            run_flags.record(self._root_dir, self._flags, step or None)
        for callback in self._callbacks:
            callback.on_train_begin(self)
        report = progress.Progress(step, self._num_env_steps, self._num_members or 1)
        if self._checkpoints.latest is None:
            time_step = self._train_env.reset()
            init_steps = min(self._init_steps, self._num_env_steps)
            if step < init_steps:
                time_step = self.collect_random(init_steps - step)
                step = self.env_steps
        else:  # The checkpoint's last time step, LAST: the next step resets.
            time_step = ts.TimeStep(
                **{name: v.value() for name, v in self._last_time_step.items()}
            )
        if self._failures is not None:
            self._failures.take_snapshot()
            self._failures.write_markers(self.run_dirs, self._seed)
            self._member_train_writers = [
                tf.summary.create_file_writer(os.path.join(run_dir, "train"))
                for run_dir in self.run_dirs
            ]
        self._restart_random_streams(step)
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
                saves = stop % self._checkpoint_interval == 0 or (
                    stop == self._num_env_steps
                )
                if saves:
                    self._end_episode_after(stop - step)
                time_step = self.train_steps(time_step, stop - step)
                if saves:
                    time_step = self._end_members_episodes(time_step)
                step = stop
                if step % self._eval_interval == 0:
                    eval_return, evaluated_at = self._evaluate_and_report(step, report)
                if step % self._checkpoint_interval == 0:
                    self._save(time_step)
                    self._restart_random_streams(step)
        if evaluated_at != step:
            # A run stopped between its last checkpoint and its export has
            # its final evaluation in the CSV already.
            eval_return = self._recorded_returns().get(step)
            if eval_return is None:
                eval_return, _ = self._evaluate_and_report(step, report)
        self._save(time_step)
        self._export()
        for callback in self._callbacks:
            callback.on_train_end(self)
        return eval_return


    def _evaluate_and_report(self, step, report):
        """Evaluates, logs the progress line; (mean eval return, ``step``)."""
        live = self.live_members
        returns = self._evaluate(step, live)
        returns = [returns[k] for k in live]
        _LOG.info("%s", report.line(step, returns))
        return float(sum(returns) / len(returns)), step


def _checked_loss_name(message):
    """'the critic loss' from a check_numerics message 'Critic loss is inf or nan'."""
    found = re.search(r"([\w ]+?) is inf or nan", message, re.IGNORECASE)
    return found.group(1).strip().lower() if found else "loss"


def agent_arguments(make_agent, args):
    """{name: args[name]} for the keyword-only arguments of ``make_agent``."""
    return {
        name: args[name]
        for name, parameter in inspect.signature(make_agent).parameters.items()
        if parameter.kind == parameter.KEYWORD_ONLY
    }


def trainer_for(
    args,
    make_agent,
    *,
    discrete,
    eval_policy_fn=None,
    callbacks=(),
    member_policy_fn=None,
):
    """The `Trainer` that a training binary's checked arguments describe.

    Refuses to resume a checkpointed run started with other flags
    (`run_flags.check_resume`), makes the envs (`environments.make_envs`;
    nothing is written before), seeds Python, NumPy and TensorFlow with
    ``args["seed"]``, builds the agent and returns a `Trainer` on
    ``args["root_dir"]`` that records ``args`` when it runs.  With
    ``args["num_seeds"]`` N > 1 the agent is a population of N members
    (``make_agent(..., num_members=N)``), seeds seed … seed + N − 1.

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
      member_policy_fn: for populations, (population agent, single agent
        of the same configuration, k) -> member k's eval policy, exported
        to member k's folder.

    Raises:
      checks.ConfigError: for flags that differ from those of the
        checkpointed run in root_dir, an env the agent cannot use, a
        root_dir that cannot be written or one in use by another live
        process (`run_lock`).
    """
    run_flags.check_resume(
        args["root_dir"],
        args,
        has_checkpoint=checkpointed_env_steps(args["root_dir"]) is not None,
    )
    num_seeds = args.get("num_seeds", 1)
    train_env, eval_env = environments.make_envs(
        args["env"],
        args["num_distractors"],
        args["seed"],
        args["num_eval_episodes"],
        discrete=discrete,
        num_members=num_seeds,
        rescale_actions=args.get("rescale_actions", False),
    )
    try:
        lock = run_lock.RunLock(args["root_dir"])
    except checks.ConfigError:
        train_env.close()
        eval_env.close()
        raise
    tf.keras.utils.set_random_seed(args["seed"])  # Python, NumPy and TensorFlow.

    def make(num_members):
        return make_agent(
            args["agent"],
            train_env.time_step_spec(),
            train_env.action_spec(),
            **agent_arguments(make_agent, {**args, "num_members": num_members}),
        )

    agent = make(None if num_seeds == 1 else num_seeds)
    single = []  # Made at the first export: one agent whose weights each member lends.

    def member_policy(member):
        if not single:
            single.append(make(None))
        return member_policy_fn(agent, single[0], member)

    return Trainer(
        agent,
        train_env,
        eval_env,
        args["root_dir"],
        eval_policy=eval_policy_fn(agent) if eval_policy_fn else None,
        flags=args,
        callbacks=callbacks,
        seed=args["seed"],
        lock=lock,
        member_policy_fn=member_policy if member_policy_fn else None,
        **{name: args[name] for name in TRAINER_ARGUMENTS},
    )


def checkpointed_env_steps(root_dir):
    """Env steps (per seed) of the newest checkpoint of the run in
    ``root_dir``, where it would resume; None without one."""
    return checkpoints.latest_env_steps(os.path.join(root_dir, CHECKPOINT_DIR))


def recorded_train_seconds(root_dir):
    """`Trainer.train_seconds` of the newest checkpoint in ``root_dir``, a
    float; None without a checkpoint or for one of older code, which did
    not record it (before 2026-12-07)."""
    seconds = checkpoints.latest_variable(
        os.path.join(root_dir, CHECKPOINT_DIR), "train_seconds"
    )
    return None if seconds is None else float(seconds)


def run_and_close(trainer):
    """Runs ``trainer`` to its end, closes its envs; the final mean eval return."""
    try:
        return trainer.run()
    finally:
        trainer.close()
