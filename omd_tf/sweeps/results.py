"""A finished sweep's figure: one row per grid point, as CSV and PNG.

A row is a grid point's final eval return, mean ± standard error over its
seeds (`curves.summarize`); with the Q-lr × τ selection, of the pair with
the largest mean final return at that point.  Seeds that diverged
(`member_failures`) are left out of the row and named in its
``diverged_seeds`` (space-separated; ``num_seeds`` counts the others).
q_lr, tau and adam_epsilon are those the trial ran with (its flags.json;
a trial recorded before adam_epsilon was a flag ran with Keras' 1e-7).  A
figure with ``model_error`` (Figure 5) also has each row's final next-state MSE of
the models, mean ± standard error over seeds of each seed's last recorded
value, and a second PNG of that MSE over training.
"""

import csv
import os
from typing import NamedTuple, Optional

import numpy as np
from matplotlib.figure import Figure

from omd_tf import atomic_file
from omd_tf.sweeps import figures
from omd_tf.training import curves
from omd_tf.training import member_failures
from omd_tf.training import population
from omd_tf.training import run_flags
from omd_tf.training import summaries

SELECTED = tuple(figures.Q_LR_TAU)
# The settings each row shows as its trial ran with them.
RECORDED = SELECTED + ("adam_epsilon",)
FIELDS = (
    "num_seeds",
    "env_steps",
    "final_mean",
    "final_se",
    "diverged_seeds",
    "trial",
)
MODEL_ERROR_TAG = "Diagnostics/model_next_obs_mse"
MODEL_ERROR_FIELDS = ("final_model_mse_mean", "final_model_mse_se")


class Members(NamedTuple):
    """What a row's seeds recorded: eval curves, and model errors if asked for.

    curves: [{env step: eval return}] per seed; model_errors: [{train step:
    next-state MSE per dimension}] per seed (see `model_errors`), or None.
    """

    curves: list
    model_errors: Optional[list] = None


def _point_key(point):
    return tuple((name, value) for name, value in point.items() if name not in SELECTED)


def model_errors(member_dirs):
    """[{train step: next-state MSE per dimension}] of each seed's model.

    Raises:
      ValueError: a seed's train summaries hold no next-state MSE.
    """
    member_errors = []
    for run_dir in member_dirs:
        points = summaries.read_scalars(run_dir, "train").get(MODEL_ERROR_TAG)
        if not points:
            raise ValueError(f"{run_dir}: no {MODEL_ERROR_TAG} in its train/ summaries.")
        member_errors.append(dict(points))
    return member_errors


def rows(trial_dirs, seed, num_seeds, model_error=False):
    """[(row dict, `Members`)] of the figure, one per grid point.

    Args:
      trial_dirs: {trial root_dir: grid point} of the finished trials.
      seed, num_seeds: the populations' seeds.
      model_error: add `MODEL_ERROR_FIELDS` to each row.
    """
    best = {}
    for root_dir, point in trial_dirs.items():
        all_members = population.member_dirs(root_dir, seed, num_seeds)
        member_dirs = member_failures.finished(all_members)
        diverged = [
            str(seed + k)
            for k, run_dir in enumerate(all_members)
            if run_dir not in member_dirs
        ]
        members = Members([curves.read(d) for d in member_dirs])
        name = os.path.basename(root_dir)
        summary = curves.summarize(name, members.curves)
        used = {**run_flags.ADDED_FLAGS, **run_flags.read(root_dir)}
        key = _point_key(point)
        row = {
            **dict(key),
            **{option: used[option] for option in RECORDED},
            "num_seeds": summary.num_seeds,
            "env_steps": summary.max_env_steps,
            "final_mean": summary.final_mean,
            "final_se": summary.final_se,
            "diverged_seeds": " ".join(diverged),
            "trial": name,
        }
        if model_error:
            members = members._replace(model_errors=model_errors(member_dirs))
            finals = [errors[max(errors)] for errors in members.model_errors]
            row[MODEL_ERROR_FIELDS[0]] = float(np.mean(finals))
            row[MODEL_ERROR_FIELDS[1]] = curves.standard_error(finals)
        if key not in best or row["final_mean"] > best[key][0]["final_mean"]:
            best[key] = (row, members)
    return list(best.values())


def write_csv(path, figure_rows):
    """One line per row; columns: the grid's axes, `RECORDED`, `FIELDS` (and
    `MODEL_ERROR_FIELDS` where the rows have them)."""
    header = list(figure_rows[0][0])
    with atomic_file.writing(path) as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(row for row, _ in figure_rows)


def _label(row, axes):
    """'OMD inverse=cg': the agent and the row's values of ``axes``."""
    return " ".join([row["agent"].upper()] + [f"{axis}={row[axis]}" for axis in axes])


def _seed_counts(line):
    """'5', or '4-5' where a line's points kept different numbers of seeds."""
    counts = sorted({row["num_seeds"] for row in line})
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def _title(spec, note):
    """The figure's title, with ``note`` (e.g. ' (10 of 18 trials so far)')
    on a line of its own."""
    return f"{spec.title}\n{note.strip()}" if note else spec.title


def plot(path, figure, figure_rows, note=""):
    """The figure's PNG: final return vs knob, or eval curves (`Figure.plot`);
    ``note`` is added to its title."""
    spec = figures.FIGURES[figure]
    if spec.plot == "curves":
        curves.plot(
            path,
            {_label(row, spec.axes): members.curves for row, members in figure_rows},
            _title(spec, note),
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
            label=f"{label} ({_seed_counts(line)} seeds)",
            marker="o",
            capsize=3,
        )
    ax.set_xticks(range(len(values)), [str(v) for v in values])
    ax.set(xlabel=knob, ylabel="final eval return (mean ± se)")
    ax.set_title(_title(spec, note))
    ax.legend(fontsize="small")
    fig.tight_layout()
    with atomic_file.writing(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)


def plot_model_error(path, figure, figure_rows, note=""):
    """The PNG of the models' next-state MSE vs train steps, one line per row.

    ``figure_rows`` as `rows` returns them with ``model_error=True``; ``note``
    is added to the title.
    """
    spec = figures.FIGURES[figure]
    curves.plot(
        path,
        {
            _label(row, spec.axes): members.model_errors
            for row, members in figure_rows
        },
        _title(spec, note),
        xlabel="train steps",
        ylabel="next-state MSE per dimension",
        yscale="log",
    )
