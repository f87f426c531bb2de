"""Output of a population run: one folder per member, and the members' mean ± se.

A population of N members (seeds seed … seed + N − 1) trained by one
`loop.Trainer` writes each member's evaluations and policy to its own
folder, named as separate runs of one configuration would be
(``<name>_s<seed + k>``), so `bin/summarize_runs.py` reads them as seeds;
the population's root_dir gets

  population_returns.csv: env_steps, mean_return, se_return, num_members
    (mean and standard error over members of their mean eval returns; a
    member that diverged is left out, `member_failures`),
  population_returns.png: the mean curve ± one standard error.
"""

import csv
import os

from omd_tf import atomic_file
from omd_tf.training import curves

CSV = "population_returns.csv"
PLOT = "population_returns.png"
CSV_FIELDS = ("env_steps", "mean_return", "se_return", "num_members")


def member_dirs(root_dir, seed, num_members):
    """[root_dir/<name>_s<seed + k> for k < num_members], name = root_dir's own.

    [root_dir] for ``num_members`` 1: a single run writes to its root_dir.
    """
    if num_members == 1:
        return [root_dir]
    name = os.path.basename(os.path.normpath(root_dir))
    return [
        os.path.join(root_dir, f"{name}_s{seed + k}") for k in range(num_members)
    ]


def write_summary(root_dir, run_dirs):
    """Writes root_dir's CSV and PNG from the members' eval CSVs so far.

    Writes nothing before every member has an evaluation.
    """
    try:
        member_curves = [curves.read(run_dir) for run_dir in run_dirs]
    except FileNotFoundError:
        return
    steps, mean, se = curves.mean_curve(member_curves)
    path = os.path.join(root_dir, CSV)
    with atomic_file.writing(path) as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        for row in zip(steps, mean, se):
            writer.writerow((row[0], f"{row[1]:.6g}", f"{row[2]:.6g}", len(run_dirs)))
    curves.plot(
        os.path.join(root_dir, PLOT),
        {curves.config_name(run_dirs[0]): member_curves},
        os.path.basename(os.path.normpath(root_dir)),
    )
