"""A finished sweep's figure: one row per grid point, as CSV and PNG.

A row is a grid point's final eval return, mean ± standard error over its
seeds (`curves.summarize`); with the Q-lr × τ selection, of the pair with
the largest mean final return at that point.  q_lr and tau are those the
trial ran with (its flags.json).
"""

import csv
import os

from matplotlib.figure import Figure

from omd_tf import atomic_file
from omd_tf.sweeps import figures
from omd_tf.training import curves
from omd_tf.training import population
from omd_tf.training import run_flags

SELECTED = tuple(figures.Q_LR_TAU)
FIELDS = ("num_seeds", "env_steps", "final_mean", "final_se", "trial")


def _point_key(point):
    return tuple((name, value) for name, value in point.items() if name not in SELECTED)


def rows(trial_dirs, seed, num_seeds):
    """[(row dict, member curves)] of the figure, one per grid point.

    Args:
      trial_dirs: {trial root_dir: grid point} of the finished trials.
      seed, num_seeds: the populations' seeds.
    """
    best = {}
    for root_dir, point in trial_dirs.items():
        member_curves = [
            curves.read(d) for d in population.member_dirs(root_dir, seed, num_seeds)
        ]
        name = os.path.basename(root_dir)
        summary = curves.summarize(name, member_curves)
        used = run_flags.read(root_dir)
        key = _point_key(point)
        row = {
            **dict(key),
            **{option: used[option] for option in SELECTED},
            "num_seeds": summary.num_seeds,
            "env_steps": summary.max_env_steps,
            "final_mean": summary.final_mean,
            "final_se": summary.final_se,
            "trial": name,
        }
        if key not in best or row["final_mean"] > best[key][0]["final_mean"]:
            best[key] = (row, member_curves)
    return list(best.values())


def write_csv(path, figure_rows):
    """One line per row; columns: the grid's axes, q_lr, tau, then `FIELDS`."""
    header = list(figure_rows[0][0])
    with atomic_file.writing(path) as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(row for row, _ in figure_rows)


def _label(row, axes):
    """'OMD inverse=cg': the agent and the row's values of ``axes``."""
    return " ".join([row["agent"].upper()] + [f"{axis}={row[axis]}" for axis in axes])


def plot(path, figure, figure_rows):
    """The figure's PNG: final return vs knob, or eval curves (`Figure.plot`)."""
    spec = figures.FIGURES[figure]
    if spec.plot == "curves":
        curves.plot(
            path,
            {_label(row, spec.axes): member_curves for row, member_curves in figure_rows},
            spec.title,
        )
        return
    knob, *others = spec.axes
    lines = {}
    for row, _ in figure_rows:
        lines.setdefault(_label(row, others), []).append(row)
    fig = Figure(figsize=(5, 3.5))
    ax = fig.add_subplot()
    values = spec.axes[knob]
    for label, line in lines.items():
        line.sort(key=lambda row: values.index(row[knob]))
        ax.errorbar(
            [values.index(row[knob]) for row in line],
            [row["final_mean"] for row in line],
            yerr=[row["final_se"] for row in line],
            label=f"{label} ({line[0]['num_seeds']} seeds)",
            marker="o",
            capsize=3,
        )
    ax.set_xticks(range(len(values)), [str(v) for v in values])
    ax.set(xlabel=knob, ylabel="final eval return (mean ± se)", title=spec.title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    with atomic_file.writing(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
