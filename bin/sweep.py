"""One of the paper's CartPole figures as a sweep of Ray Tune trials.

    python bin/sweep.py --figure=4_hidden --out_dir=runs/fig4_hidden [--num_seeds=10]
        [--num_env_steps=200000] [--protocol=reference] [--select_q_lr_tau]
        [--ray_address=host:6379] [--cpus_per_trial=1] [--gpus_per_trial=0]
        [--records_dir=DIR] [--so_far]

Each grid point of the figure (see --figure's help for the paper's values)
is one trial: a population of --num_seeds seeds trained by
`soft_q.train_eval` in out_dir/trials/<name> (per seed <name>_s<seed>, the
layout bin/summarize_runs.py reads).  Prints one line per finished trial
with the sweep's progress and ETA; Ray's own output goes to out_dir/ray.log.
When every trial has finished, writes out_dir/figure_<figure>.csv (one row
per grid point: final eval return, mean and standard error over seeds) and
.png; for Figure 5 also each point's final model next-state MSE in the CSV
and figure_5_model_error.png, that MSE over training.  Re-running the same
command runs only the unfinished trials (a half-run one resumes from its
checkpoint) and then writes the figure.  --records_dir=DIR keeps every
finished trial's records (the few kB its figure row is read from) in DIR
too, and takes a trial found finished there instead of running it: a figure
run piece by piece on several machines or sessions, with DIR kept (e.g. in
version control), is written by the same command.  --so_far runs nothing
and writes out_dir/figure_<figure>_so_far.csv and .png from the trials
finished so far, naming the others.
Local Ray is started by the command; --ray_address joins a cluster, whose
nodes must have this package installed and see --out_dir.
"""

import os
import sys

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags

from omd_tf.sweeps import figures
from omd_tf.sweeps import results
from omd_tf.sweeps import run
from omd_tf.training import checks
from omd_tf.training import config
from omd_tf.training import loop
from omd_tf.training import protocol
from omd_tf.training import soft_q

# `train_eval` arguments the sweep passes to every trial unchanged.
TRAIN_FLAGS = (
    "num_env_steps",
    "num_seeds",
    "seed",
    "hidden_dim",
    "init_steps",
    "batch_size",
    "eval_interval",
    "num_eval_episodes",
)

flags.DEFINE_enum(
    "figure",
    None,
    list(figures.FIGURES),
    "The figure; its grid:\n" + figures.table_text(),
)
flags.DEFINE_string("out_dir", None, "Output directory (re-running resumes).")
flags.DEFINE_string(
    "records_dir",
    "",
    "Keep each finished trial's records (flags, marker, per-seed eval CSVs: "
    "a few kB, no checkpoints) in this folder too; a trial found finished "
    "there is copied to --out_dir instead of being run.  Not for --figure=5, "
    "whose model errors are read from the train summaries.",
)
flags.DEFINE_enum(
    "protocol",
    "default",
    list(protocol.PROTOCOLS),
    "The trials' --protocol (bin/train_eval.py): this project's choices or the "
    "paper's code's.",
)
flags.DEFINE_boolean(
    "select_q_lr_tau",
    False,
    "The paper's selection: run every point at each q_lr × tau and show the "
    "best (6× the trials); otherwise the protocol's q_lr and tau 0.01.",
)
flags.DEFINE_boolean(
    "so_far",
    False,
    "Run nothing: write the figure of the trials finished so far with these "
    "flags' settings (in --out_dir or --records_dir) as "
    "out_dir/figure_<figure>_so_far.csv and .png, and name the others.",
)
flags.DEFINE_list("agents", None, "A subset of the figure's agents (unset: all).")
flags.DEFINE_list(
    "knob_values", None, "A subset of the figure's first axis (unset: all)."
)
flags.DEFINE_string(
    "ray_address",
    "",
    "Ray cluster to join (host:port, ray://host:port, auto); empty: local Ray.",
)
flags.DEFINE_integer("cpus_per_trial", 1, "CPUs (TensorFlow threads) per trial.")
flags.DEFINE_float("gpus_per_trial", 0.0, "GPUs per trial (fractions share one).")
_DEFAULTS = config.defaults(soft_q.SoftQConfig)
for _name in TRAIN_FLAGS:
    flags.DEFINE_integer(
        _name,
        10 if _name == "num_seeds" else _DEFAULTS[_name],
        config.help_text(soft_q.SoftQConfig, _name),
    )
flags.mark_flags_as_required(["figure", "out_dir"])
flags.adopt_module_key_flags(console)
FLAGS = flags.FLAGS


def _checked_subset(name, given, allowed):
    """``given`` (strings) as the values of ``allowed`` they spell; None: all."""
    if given is None:
        return None
    by_text = {str(value): value for value in allowed}
    unknown = [text for text in given if text not in by_text]
    if unknown or not given:
        raise checks.ConfigError(
            f"--{name} must be among {', '.join(by_text)} for --figure="
            f"{FLAGS.figure}, got {','.join(given)!r}."
        )
    return [by_text[text] for text in given]


def _configs():
    """(grid points, their trials' configs) from the flags.

    Raises:
      checks.ConfigError: naming a bad flag.
    """
    for name in ("num_env_steps", "num_seeds", "hidden_dim", "batch_size",
                 "eval_interval", "num_eval_episodes", "cpus_per_trial"):
        checks.positive_int(name, FLAGS[name].value)
    for name in ("seed", "init_steps"):
        checks.non_negative_int(name, FLAGS[name].value)
    checks.in_interval("gpus_per_trial", FLAGS.gpus_per_trial, 0, float("inf"))
    spec = figures.FIGURES[FLAGS.figure]
    if FLAGS.records_dir and spec.model_error:
        raise checks.ConfigError(
            f"--records_dir keeps no train summaries, from which --figure="
            f"{FLAGS.figure} reads its model errors."
        )
    points = figures.grid(
        FLAGS.figure,
        agents=_checked_subset("agents", FLAGS.agents, spec.agents),
        knob_values=_checked_subset(
            "knob_values", FLAGS.knob_values, next(iter(spec.axes.values()))
        ),
        select_q_lr_tau=FLAGS.select_q_lr_tau,
    )
    train_kwargs = {name: FLAGS[name].value for name in TRAIN_FLAGS}
    train_kwargs["protocol"] = FLAGS.protocol
    configs = [
        run.trial_config(
            FLAGS.out_dir,
            point,
            train_kwargs,
            FLAGS.cpus_per_trial,
            records_dir=FLAGS.records_dir or None,
        )
        for point in points
    ]
    return points, configs


def _write_figure(path, point_by_dir, note=""):
    """The figure of the finished trials {folder: grid point} as ``path``.csv
    and .png (and _model_error.png for Figure 5); ``note`` is added to the
    titles.  Returns what was written, as text; exits 1 if a trial's records
    lack what the figure shows."""
    model_error = figures.FIGURES[FLAGS.figure].model_error
    try:
        figure_rows = results.rows(
            point_by_dir, FLAGS.seed, FLAGS.num_seeds, model_error=model_error
        )
    except ValueError as err:
        program = os.path.basename(sys.argv[0])
        print(f"{program}: cannot write the figure: {err}", file=sys.stderr)
        sys.exit(1)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    results.write_csv(path + ".csv", figure_rows)
    results.plot(path + ".png", FLAGS.figure, figure_rows, note)
    if model_error:
        results.plot_model_error(
            path + "_model_error.png", FLAGS.figure, figure_rows, note
        )
    written = ".csv, .png and _model_error.png" if model_error else ".csv and .png"
    points = f"{len(figure_rows)} point" + ("s" if len(figure_rows) != 1 else "")
    return f"{path}{written} ({points})"


def _unfinished_note(trial):
    """' (run with other settings: …)' or ' (checkpointed at env step S of
    N)' for an unfinished trial; '' for one not started."""
    differ = run.outdated_settings(trial)
    if differ:
        return f" (run with other settings: {'; '.join(differ)})"
    steps = loop.checkpointed_env_steps(trial["root_dir"])
    if steps is None:
        return ""
    return f" (checkpointed at env step {steps} of {trial['kwargs']['num_env_steps']})"


def _write_so_far(points, configs):
    """--so_far: the figure of the trials finished so far; names the others."""
    folders = [run.finished_folder(trial) for trial in configs]
    done = {folder: point for folder, point in zip(folders, points) if folder}
    missing = []
    for trial, folder in zip(configs, folders):
        if not folder:
            missing.append(os.path.basename(trial["root_dir"]) + _unfinished_note(trial))
    if not done:
        print(
            f"{os.path.basename(sys.argv[0])}: none of the {len(configs)} trials "
            f"has finished with these flags' settings; nothing to write.",
            file=sys.stderr,
        )
        sys.exit(1)
    # Trials, not points: with --select_q_lr_tau a point's row is the best
    # of its finished q_lr × tau trials.
    note = f" ({len(done)} of {len(configs)} trials so far)"
    path = os.path.join(FLAGS.out_dir, f"figure_{FLAGS.figure}_so_far")
    print(f"figure so far: {_write_figure(path, done, note)}")
    if missing:
        print(f"not finished ({len(missing)} of {len(configs)}): {', '.join(missing)}")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    try:
        points, configs = _configs()
        if FLAGS.so_far:
            _write_so_far(points, configs)
            return
        unfinished = run.run_trials(
            FLAGS.out_dir,
            configs,
            FLAGS.cpus_per_trial,
            FLAGS.gpus_per_trial,
            FLAGS.ray_address,
        )
    except checks.ConfigError as err:
        raise app.UsageError(str(err)) from err
    if unfinished:
        names = ", ".join(os.path.basename(c["root_dir"]) for c in unfinished)
        print(
            f"{os.path.basename(argv[0])}: {len(unfinished)} of {len(configs)} trials "
            f"did not finish ({names}); re-run the same command to resume them.",
            file=sys.stderr,
        )
        sys.exit(2)
    path = os.path.join(FLAGS.out_dir, f"figure_{FLAGS.figure}")
    point_by_dir = {config["root_dir"]: point for config, point in zip(configs, points)}
    print(f"figure: {_write_figure(path, point_by_dir)}")


if __name__ == "__main__":
    console.run(main)
