"""Mean ± standard error over seeds of finished training runs.

    python bin/summarize_runs.py --out_dir=runs/summary runs/omd_h1_s0 runs/omd_h1_s1 ...

Each positional argument is the --root_dir of a `bin/train_eval.py` or
`bin/train_sac.py` run; runs whose directory names differ only in a trailing
``_s<seed>`` are seeds of one configuration.  Prints a Markdown table (final
eval return, mean of each seed's last --last_n evals, each seed's best eval;
each as mean ± standard error over seeds; where runs
recorded model_alive.json, which of each seed's model MLPs were alive at
initialisation) and writes it to --out_dir as summary.md and summary.csv,
with eval_returns.png (mean curve ± one standard error per configuration).
A population member that diverged (its folder's diverged.json) is left out,
with a line saying so.
"""

import csv
import math
import os

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags

from omd_tf import atomic_file
from omd_tf.training import cli
from omd_tf.training import curves
from omd_tf.training import member_failures
from omd_tf.training import model_health

flags.DEFINE_string("out_dir", None, "Where summary.md/.csv and the PNG go.")
flags.DEFINE_integer("last_n", 10, "Evaluations averaged per seed.")
flags.DEFINE_string("title", "", "Title of the plot.")
flags.mark_flag_as_required("out_dir")
flags.adopt_module_key_flags(console)
FLAGS = flags.FLAGS


def _pm(mean, se):
    return f"{mean:.1f}" if math.isnan(se) else f"{mean:.1f} ± {se:.1f}"


def alive_at_init(run_dirs):
    """'s0 ✗✓, s1 ✓✓': per run, whether its dynamics and reward MLPs were alive
    at initialisation (model_alive.json), '?' where the run did not record it."""
    marks = []
    for run_dir in run_dirs:
        init = model_health.read(run_dir).get("init")
        name = os.path.basename(os.path.normpath(run_dir))
        seed = name[len(curves.config_name(run_dir)) + 1 :] or name
        flags_ = "?" if init is None else "".join(
            "✓" if init[mlp] else "✗" for mlp in ("dynamics", "reward")
        )
        marks.append(f"{seed} {flags_}")
    return ", ".join(marks)


def markdown_table(summaries, last_n, alive=None):
    """The summaries as Markdown table lines.

    ``alive``: {config: `alive_at_init` text}, a last column if given.
    """
    alive_header = " model alive at init (dynamics, reward) |" if alive else ""
    lines = [
        f"| config | seeds | env steps | final | mean of last {last_n} | best |"
        + alive_header,
        "| --- | --- | --- | --- | --- | --- |" + (" --- |" if alive else ""),
    ]
    for s in summaries:
        low, high = s.min_env_steps, s.max_env_steps
        steps = f"{low}" if low == high else f"{low}-{high}"
        lines.append(
            f"| {s.config} | {s.num_seeds} | {steps} | "
            f"{_pm(s.final_mean, s.final_se)} | "
            f"{_pm(s.last_n_mean, s.last_n_se)} | {_pm(s.best_mean, s.best_se)} |"
            + (f" {alive[s.config]} |" if alive else "")
        )
    return lines


def main(argv):
    run_dirs = argv[1:]
    if not run_dirs:
        raise app.UsageError("Give one or more run directories (--root_dir of runs).")
    cli.require_positive("last_n")
    for run_dir in run_dirs:
        record = member_failures.diverged(run_dir)
        if record is not None:
            print(
                f"left out: {run_dir} (seed {record['seed']} diverged at env step "
                f"{record['env_step']})"
            )
    run_dirs = member_failures.finished(run_dirs)
    if not run_dirs:
        raise app.UsageError("Every run given has diverged: nothing to summarize.")
    dirs_by_config = curves.group_by_config(run_dirs)
    try:
        groups = {
            config: [curves.read(d) for d in dirs]
            for config, dirs in dirs_by_config.items()
        }
    except FileNotFoundError as err:
        raise app.UsageError(str(err)) from err
    summaries = [curves.summarize(c, g, FLAGS.last_n) for c, g in groups.items()]
    alive = None
    if any(model_health.read(d) for d in run_dirs):
        alive = {c: alive_at_init(dirs) for c, dirs in dirs_by_config.items()}
    table = markdown_table(summaries, FLAGS.last_n, alive)
    print("\n".join(table))

    os.makedirs(FLAGS.out_dir, exist_ok=True)
    with atomic_file.writing(os.path.join(FLAGS.out_dir, "summary.md")) as f:
        f.write("\n".join(table) + "\n")
    with atomic_file.writing(os.path.join(FLAGS.out_dir, "summary.csv")) as f:
        writer = csv.writer(f)
        writer.writerow(curves.Summary._fields)
        writer.writerows(summaries)
    plot_path = os.path.join(FLAGS.out_dir, "eval_returns.png")
    curves.plot(plot_path, groups, FLAGS.title)
    print(f"wrote {FLAGS.out_dir}/summary.md, summary.csv, eval_returns.png")


if __name__ == "__main__":
    console.run(main)
