"""Writes training runs' TensorBoard scalars as one CSV.

    python bin/export_summaries.py --out_csv=runs/diag.csv runs/omd_s0 runs/mle_s0

Each positional argument is the --root_dir of a `bin/train_eval.py` or
`bin/train_sac.py` run (for a population, one member's folder).  The CSV
has one row per scalar: run (the directory's name), folder ('train' or
'eval'), tag, step (train steps in 'train', env steps in 'eval'), value.
`--tags` keeps only the tags that contain one of its comma-separated parts.
"""

import csv
import os

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags

from omd_tf import atomic_file
from omd_tf.training import summaries

FOLDERS = ("train", "eval")

flags.DEFINE_string("out_csv", None, "The CSV to write.")
flags.DEFINE_list("tags", [], "Keep tags containing one of these (all if empty).")
flags.mark_flag_as_required("out_csv")
flags.adopt_module_key_flags(console)
FLAGS = flags.FLAGS


def rows(run_dir, tag_parts):
    """(run, folder, tag, step, value) of every kept scalar of ``run_dir``."""
    name = os.path.basename(os.path.normpath(run_dir))
    for folder in FOLDERS:
        for tag, points in sorted(summaries.read_scalars(run_dir, folder).items()):
            if not tag_parts or any(part in tag for part in tag_parts):
                for step, value in points:
                    yield name, folder, tag, step, value


def main(argv):
    run_dirs = argv[1:]
    if not run_dirs:
        raise app.UsageError("Give one or more run directories (--root_dir of runs).")
    for run_dir in run_dirs:
        if not any(os.path.isdir(os.path.join(run_dir, f)) for f in FOLDERS):
            raise app.UsageError(
                f"{run_dir} is not the --root_dir of a training run (no train/ or "
                "eval/ summaries)."
            )
    table = [row for run_dir in run_dirs for row in rows(run_dir, FLAGS.tags)]
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.out_csv)), exist_ok=True)
    with atomic_file.writing(FLAGS.out_csv) as f:
        writer = csv.writer(f)
        writer.writerow(("run", "folder", "tag", "step", "value"))
        writer.writerows(table)
    print(f"wrote {len(table)} scalars of {len(run_dirs)} runs to {FLAGS.out_csv}")


if __name__ == "__main__":
    console.run(main)
