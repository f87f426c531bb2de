"""Eval-return curves of training runs: read, aggregate over seeds, plot."""

import csv
import math
import os
import re
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from omd_tf import atomic_file

# A training run's eval returns under its root_dir (`loop.Trainer` writes both).
EVAL_CSV = "eval_returns.csv"
EVAL_PLOT = "eval_returns.png"
_SEED_SUFFIX = re.compile(r"_s\d+$")


def read(run_dir):
    """{env step: mean eval return} from ``run_dir``'s eval_returns.csv.

    Raises:
      FileNotFoundError: ``run_dir`` has no eval_returns.csv (not a
        ``--root_dir`` of a training binary, or no evaluation yet).
    """
    path = os.path.join(run_dir, EVAL_CSV)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} does not exist: {run_dir!r} is not the --root_dir of a "
            "training run with at least one evaluation."
        )
    with open(path, newline="") as f:
        return {
            int(row["env_steps"]): float(row["average_return"])
            for row in csv.DictReader(f)
        }


def config_name(run_dir):
    """The run's directory name without a trailing ``_s<seed>``."""
    return _SEED_SUFFIX.sub("", os.path.basename(os.path.normpath(run_dir)))


def group_by_config(run_dirs):
    """{config name: [run dirs]} in first-seen order (see `config_name`)."""
    groups = {}
    for run_dir in run_dirs:
        groups.setdefault(config_name(run_dir), []).append(run_dir)
    return groups


def standard_error(values):
    """Sample standard deviation / √n of ``values``; nan for fewer than 2."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return math.nan
    return float(np.std(values, ddof=1) / np.sqrt(values.size))


def mean_and_se_text(values):
    """'187.3' for one value, '187.3 ± 12.0' (mean ± standard error) for several."""
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{np.mean(values):.1f} ± {standard_error(values):.1f}"


class Summary(NamedTuple):
    """One configuration over its seeds; returns are mean eval returns.

    final_*: the last evaluation of each seed; last_n_*: each seed's mean over
    its last n evaluations; best_*: each seed's largest evaluation; *_se:
    standard errors over seeds; min/max_env_steps: the seeds' last
    evaluated env steps (equal for finished runs of one budget).
    """

    config: str
    num_seeds: int
    min_env_steps: int
    max_env_steps: int
    final_mean: float
    final_se: float
    last_n_mean: float
    last_n_se: float
    best_mean: float
    best_se: float


def last_n_mean(curve, last_n):
    """Mean of the last ``last_n`` returns of ``curve`` ({env step: return})."""
    return float(np.mean([curve[step] for step in sorted(curve)[-last_n:]]))


def summarize(config, curves, last_n=10):
    """`Summary` of ``config`` from its seeds' curves ({step: return} each)."""
    if not curves or any(not curve for curve in curves):
        raise ValueError(f"{config}: every seed needs at least one evaluation.")
    if last_n <= 0:
        raise ValueError(f"`last_n` must be a positive int, got {last_n!r}.")
    finals = [curve[max(curve)] for curve in curves]
    last_means = [last_n_mean(curve, last_n) for curve in curves]
    bests = [max(curve.values()) for curve in curves]
    last_steps = [max(curve) for curve in curves]
    return Summary(
        config=config,
        num_seeds=len(curves),
        min_env_steps=min(last_steps),
        max_env_steps=max(last_steps),
        final_mean=float(np.mean(finals)),
        final_se=standard_error(finals),
        last_n_mean=float(np.mean(last_means)),
        last_n_se=standard_error(last_means),
        best_mean=float(np.mean(bests)),
        best_se=standard_error(bests),
    )


def mean_curve(curves):
    """(steps, mean [S], standard error [S]) over the steps all curves share."""
    steps = sorted(set.intersection(*(set(curve) for curve in curves)))
    returns = np.array([[curve[s] for s in steps] for curve in curves])
    se = [standard_error(column) for column in returns.T]
    return steps, returns.mean(axis=0), np.nan_to_num(se)


def plot(
    path,
    curves_by_name,
    title,
    xlabel="env steps",
    ylabel="mean eval return",
    yscale="linear",
):
    """Eval return vs env steps to ``path`` (PNG), one line per name.

    ``curves_by_name`` maps a name to a list of seeds' curves ({step:
    value}, by default eval returns); with several seeds the line is their
    mean and the band ± one standard error.
    """
    fig = Figure(figsize=(5, 3.5))
    ax = fig.add_subplot()
    for name, curves in curves_by_name.items():
        steps, mean, se = mean_curve(curves)
        label = name if len(curves) == 1 else f"{name} ({len(curves)} seeds)"
        (line,) = ax.plot(steps, mean, label=label)
        if len(curves) > 1:
            ax.fill_between(
                steps, mean - se, mean + se, color=line.get_color(), alpha=0.2
            )
    ax.set(xlabel=xlabel, ylabel=ylabel, yscale=yscale)
    ax.set_title(title, wrap=True)  # A long title on two lines, not cut.
    ax.legend(fontsize="small")
    fig.tight_layout()
    with atomic_file.writing(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
