"""A sweep's trials on Ray Tune: one trial per grid point, only the unfinished ones.

Each trial trains one grid point's population of seeds with `soft_q.train_eval`
in ``out_dir/trials/<name>`` and, when it is done, writes ``trial_done.json``
there (with the final returns of the seeds that did not diverge and {seed: env
step} of those that did, `member_failures`). A trial is finished when that file
exists, records the same training arguments, and its flags.json holds the
settings those arguments give with this code (a protocol preset may have
changed since); a re-run launches only the others, and a trial stopped half-way
resumes from its checkpoint (the trainer resumes when its root_dir holds one).
A trial folder holding a run of other settings stops the sweep before it starts
(it could not resume), naming the settings that differ. With a records folder,
a finished trial's records (`RECORDS`, `MEMBER_RECORDS` and its marker: the
files its figure row is read from, a few kB; no checkpoints, summaries or
policies) are copied there, and a trial whose records there are finished (as
above) is copied back instead of being run: a figure built over several
machines or sessions, or kept in version control, is written by the same
command. The trial's own log lines (`train_eval`'s progress, diverged members)
go to ``TRIAL_LOG`` in its folder. This marker, rather than `Tuner.restore`,
decides what runs: it survives kill -9 of the driver at any moment (Tune's
experiment state may be mid-write then), it does not depend on the Tune
experiment that ran the trial, and a changed flag is seen per trial.
"""

import contextlib
import heapq
import json
import logging
import os
import shutil
import socket
import sys
import time

import ray
from ray import tune
import tensorflow as tf

from omd_tf import atomic_file
from omd_tf.sweeps import figures
from omd_tf.training import checks
from omd_tf.training import curves
from omd_tf.training import loop
from omd_tf.training import member_failures
from omd_tf.training import model_health
from omd_tf.training import population
from omd_tf.training import run_flags
from omd_tf.training import soft_q

DONE = "trial_done.json"
TRIAL_LOG = "train_eval.log"
LOG = "ray.log"
TRIALS_DIR = "trials"
# A finished trial's records: its own files (and `DONE`, copied last), each seed's.
RECORDS = (run_flags.FILE, population.CSV)
MEMBER_RECORDS = (curves.EVAL_CSV, model_health.FILE, member_failures.MARKER)


def trial_dir(out_dir, point):
    """out_dir/trials/<`figures.trial_name`>: the population's root_dir."""
    return os.path.join(out_dir, TRIALS_DIR, figures.trial_name(point))


def trial_config(out_dir, point, train_kwargs, threads, records_dir=None):
    """What one trial runs: root_dir, `train_eval` keywords, TF threads, and
    the folder of its records (under ``records_dir``, or None)."""
    kwargs = {**train_kwargs, **point}
    return {
        "root_dir": os.path.abspath(trial_dir(out_dir, point)),
        "kwargs": kwargs,
        "threads": threads,
        "records_dir": records_dir and os.path.abspath(trial_dir(records_dir, point)),
    }


def setting_differences(config, root_dir=None):
    """How the run in the trial's folder (its root_dir, or ``root_dir``)
    differs from what ``config``'s arguments give with this code
    (`run_flags.differences`): e.g. a protocol preset changed since it ran."""
    folder = root_dir or config["root_dir"]
    now = soft_q.resolved_args(folder, **config["kwargs"])
    return run_flags.differences(folder, now)


def finished(config, root_dir=None):
    """Whether the trial of ``config`` has finished with these arguments and
    the settings they give now (in its root_dir, or in ``root_dir`` if given)."""
    path = os.path.join(root_dir or config["root_dir"], DONE)
    if not os.path.isfile(path):
        return False
    with open(path) as f:
        if json.load(f)["kwargs"] != config["kwargs"]:
            return False
    return not setting_differences(config, root_dir)


def finished_folder(config):
    """The folder where ``config``'s trial has finished (`finished`): its
    root_dir, else its records folder; None when it has in neither."""
    for folder in (config["root_dir"], config["records_dir"]):
        if folder and finished(config, folder):
            return folder
    return None


def outdated_settings(config):
    """`setting_differences` of the trial's run in its root_dir or, where
    there is none, of its records: [] for a trial not run yet, or run (or
    running) there with the settings its arguments give today."""
    if run_flags.read(config["root_dir"]) is None and config["records_dir"]:
        return setting_differences(config, config["records_dir"])
    return setting_differences(config)


def check_settings(configs):
    """Raises `checks.ConfigError` if a trial's root_dir holds a run made
    with other settings than its arguments give now (it could not resume).
    """
    stale = [
        f"{os.path.basename(config['root_dir'])}: {'; '.join(differ)}"
        for config in configs
        if (differ := setting_differences(config))
    ]
    if stale:
        raise checks.ConfigError(
            f"--out_dir holds trials run with other settings than these flags "
            f"give now ({' | '.join(stale)}); move those trial folders aside to "
            f"re-run them."
        )


def _copy_records(config, source, destination):
    """Copies the `RECORDS`, `MEMBER_RECORDS` and `DONE` of ``config``'s
    trial that ``source`` (a trial folder) holds into ``destination``."""
    kwargs = config["kwargs"]
    # The marker first: records of a superseded trial being replaced are not
    # taken for a finished one meanwhile.
    if os.path.isfile(os.path.join(destination, DONE)):
        os.remove(os.path.join(destination, DONE))
    members = zip(
        population.member_dirs(source, kwargs["seed"], kwargs["num_seeds"]),
        population.member_dirs(destination, kwargs["seed"], kwargs["num_seeds"]),
    )
    pairs = [(source, destination, name) for name in RECORDS]
    pairs += [(a, b, name) for a, b in members for name in MEMBER_RECORDS]
    for from_dir, to_dir, name in pairs:
        copy = os.path.join(to_dir, name)
        if os.path.isfile(os.path.join(from_dir, name)):
            os.makedirs(to_dir, exist_ok=True)
            shutil.copyfile(os.path.join(from_dir, name), copy)
        elif os.path.isfile(copy):  # A superseded trial's, e.g. a seed's divergence.
            os.remove(copy)
    # The marker last: a copy cut short is not taken for a finished trial.
    os.makedirs(destination, exist_ok=True)
    shutil.copyfile(os.path.join(source, DONE), os.path.join(destination, DONE))


def sync_records(config):
    """Copies a finished trial's records between its root_dir and records_dir.

    To records_dir when the trial has finished in its root_dir and its
    records are not there yet; to root_dir when records_dir holds it
    finished with the same arguments and root_dir does not.  Nothing
    without a records_dir.  Returns whether the trial has finished (in either).
    """
    records_dir = config["records_dir"]
    done_here = finished(config)
    if records_dir is None:
        return done_here
    done_there = finished(config, records_dir)
    if done_here and not done_there:
        _copy_records(config, config["root_dir"], records_dir)
    elif done_there and not done_here:
        _copy_records(config, records_dir, config["root_dir"])
    return done_here or done_there


@contextlib.contextmanager
def _logging_to(path):
    """This package's log records of level INFO and above, appended to ``path``."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("omd_tf")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()


def _train(tune_config):
    """Ray Tune function trainable: trains one population, writes its marker.

    ``tune_config["trial"]``: a `trial_config`.
    """
    config = tune_config["trial"]
    tf.config.threading.set_intra_op_parallelism_threads(config["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(config["threads"])
    kwargs = config["kwargs"]
    os.makedirs(config["root_dir"], exist_ok=True)
    with _logging_to(os.path.join(config["root_dir"], TRIAL_LOG)):
        soft_q.train_eval(config["root_dir"], **kwargs)
    member_dirs = population.member_dirs(
        config["root_dir"], kwargs["seed"], kwargs["num_seeds"]
    )
    finished = member_failures.finished(member_dirs)
    finals = [curve[max(curve)] for curve in map(curves.read, finished)]
    diverged = [member_failures.diverged(d) for d in member_dirs if d not in finished]
    result = {
        "kwargs": kwargs,
        "final_returns": finals,
        "diverged": {str(d["seed"]): d["env_step"] for d in diverged},
        # The run's own time, over all its resumes (None: not recorded).
        "wall_s": loop.recorded_train_seconds(config["root_dir"]),
    }
    with atomic_file.writing(os.path.join(config["root_dir"], DONE)) as f:
        json.dump(result, f, indent=1)
    sync_records(config)
    tune.report(
        {
            "final_returns": finals,
            "diverged_seeds": [d["seed"] for d in diverged],
            "wall_s": result["wall_s"],
        }
    )


def _trial_name(trial):
    """The name of a Tune trial's folder under ray_results: its grid point's."""
    return os.path.basename(trial.config["trial"]["root_dir"])


def _duration(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def eta_seconds(trial_seconds, running_elapsed, queued, slots):
    """Seconds until the sweep's last trial ends, by list scheduling.

    Args:
      trial_seconds: the expected wall time of one trial, s (the mean of
        those finished so far).
      running_elapsed: seconds that each running trial has run so far; each
        is expected to end at ``trial_seconds`` (or now, if it has run longer).
      queued: trials not started yet; each starts on the first free slot.
      slots: trials that run at once.
    """
    free_at = [max(0.0, trial_seconds - elapsed) for elapsed in running_elapsed]
    end = max(free_at, default=0.0)
    free_at += [0.0] * max(0, slots - len(free_at))
    heapq.heapify(free_at)
    for _ in range(queued):
        finish = heapq.heappop(free_at) + trial_seconds
        heapq.heappush(free_at, finish)
        end = max(end, finish)
    return end


class _Progress(tune.Callback):
    """One line per finished or failed trial: sweep progress and ETA."""

    def __init__(self, total, done_before, log_path, terminal_fd):
        self._total, self._done = total, done_before
        # The runs' wall time of each trial finished here whose run recorded it.
        self._trial_seconds = []
        self._started = {}  # trial_id: time.monotonic() at its start.
        self._slots = 1  # The most trials seen running at once.
        self._log_path = log_path
        self._terminal_fd = terminal_fd  # A file descriptor: Tune pickles callbacks.

    def _print(self, line):
        os.write(self._terminal_fd, f"{line}\n".encode())

    def on_trial_start(self, iteration, trials, trial, **info):
        self._started[trial.trial_id] = time.monotonic()
        # The starting trial may not be marked RUNNING yet.
        running = sum(t.status == t.RUNNING or t is trial for t in trials)
        self._slots = max(self._slots, running)

    def _eta(self, trials, finished_trial):
        """The `eta_seconds` text, '?' while no finished trial's time is known."""
        if not self._trial_seconds:
            return "?"
        now = time.monotonic()
        others = [t for t in trials if t is not finished_trial]
        running = [
            now - self._started.get(t.trial_id, now)
            for t in others
            if t.status == t.RUNNING
        ]
        queued = sum(t.status == t.PENDING for t in others)
        return _duration(
            eta_seconds(
                sum(self._trial_seconds) / len(self._trial_seconds),
                running,
                queued,
                self._slots,
            )
        )

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._done += 1
        result = trial.last_result
        seconds = result["wall_s"]
        if seconds is not None:
            self._trial_seconds.append(seconds)
        took = "? (not recorded by its run)" if seconds is None else _duration(seconds)
        diverged = result["diverged_seeds"]
        left_out = (
            f" (seeds {', '.join(map(str, diverged))} diverged, left out)"
            if diverged
            else ""
        )
        self._print(
            f"[{self._done}/{self._total}] {_trial_name(trial)}: final return "
            f"{curves.mean_and_se_text(result['final_returns'])}{left_out} in "
            f"{took}; "
            f"{100 * self._done // self._total}% done, "
            f"ETA {self._eta(trials, trial)}"
        )

    def on_trial_error(self, iteration, trials, trial, **info):
        self._print(f"[failed] {_trial_name(trial)}: its error is in {self._log_path}")


def _check_reachable(address):
    """Raises `checks.ConfigError` naming --ray_address if host:port does not answer."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise checks.ConfigError(
            f"--ray_address must be host:port, ray://host:port or auto, got {address!r}."
        )
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as err:
        raise checks.ConfigError(
            f"--ray_address={address!r} cannot be reached: {err.strerror or err}."
        ) from err


def connect(address):
    """Starts a new local Ray (``address`` empty) or joins the cluster at ``address``.

    Raises:
      checks.ConfigError: naming --ray_address, for a cluster that does not
        answer.
    """
    if not address:  # 'local': a new instance, never a Ray already running here.
        ray.init(address="local", include_dashboard=False, log_to_driver=False)
        return
    if address != "auto":
        _check_reachable(address)
    try:
        ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError) as err:
        first_sentence = str(err).strip().split(". ")[0].rstrip(".")
        raise checks.ConfigError(
            f"--ray_address={address!r}: no Ray cluster there ({first_sentence})."
        ) from err


@contextlib.contextmanager
def _output_to(log_path):
    """Sends this process's stdout and stderr (Ray's lines) to ``log_path``.

    Yields a file descriptor of the original stdout, for the sweep's own lines.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield saved[0]
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def run_trials(out_dir, configs, cpus, gpus, address):
    """Runs the unfinished ``configs`` (see `trial_config`) as Ray Tune trials.

    Args:
      out_dir: the sweep's folder; Ray's log goes to out_dir/ray.log and
        Tune's records to out_dir/ray_results.
      configs: every trial of the sweep; those finished in their records
        folder are copied from there and not run, those finished here are
        copied to their records folder (`sync_records`).  Records made with
        other settings (`finished`) are replaced when the trial finishes.
      cpus, gpus: resources per trial (TensorFlow gets ``cpus`` threads).
      address: '' for local Ray, else the cluster (see `connect`).

    Returns:
      The configs that did not finish (empty when all did): failed, or
      stopped by Ctrl-C.

    Raises:
      checks.ConfigError: naming --ray_address (`connect`), or --out_dir
        when a trial folder holds a run of other settings (`check_settings`).
    """
    check_settings(configs)
    todo = [config for config in configs if not sync_records(config)]
    done_before = len(configs) - len(todo)
    print(
        f"{len(configs)} trials, {done_before} finished before; running {len(todo)} "
        f"({cpus} CPUs, {gpus} GPUs each); Ray's log: {os.path.join(out_dir, LOG)}",
        flush=True,
    )
    if not todo:
        return []
    log_path = os.path.join(out_dir, LOG)
    os.makedirs(out_dir, exist_ok=True)
    with _output_to(log_path) as terminal:
        connect(address)
        try:
            tuner = tune.Tuner(
                tune.with_resources(_train, {"cpu": cpus, "gpu": gpus}),
                param_space={"trial": tune.grid_search(todo)},
                tune_config=tune.TuneConfig(
                    reuse_actors=False, trial_dirname_creator=_trial_name
                ),
                run_config=tune.RunConfig(
                    name=time.strftime("sweep_%Y%m%d_%H%M%S"),
                    storage_path=os.path.abspath(os.path.join(out_dir, "ray_results")),
                    verbose=0,
                    callbacks=[
                        _Progress(
                            len(configs),
                            done_before,
                            log_path,
                            terminal,
                        )
                    ],
                ),
            )
            tuner.fit()
        except KeyboardInterrupt:  # A second Ctrl-C; Tune handles the first.
            pass
        finally:
            ray.shutdown()
    return [config for config in todo if not finished(config)]
