"""Tabular OMD vs MLE: reproduces the paper's Figures 2, 3 (right) and 6.

    python bin/tabular.py --experiment=all --out_dir=/tmp/tabular_run

Writes per-seed CSVs, PNG plots (mean ± standard error over seeds) and
summary.txt into --out_dir, and prints progress, the summary table and one
PASS/FAIL line per claim the paper's figures make.  Files appear only when
complete; summary.txt is written last.
"""

import os
import time

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags

EXPERIMENTS = ("misspecification", "bounds", "ift_noise", "all")

flags.DEFINE_enum("experiment", "all", EXPERIMENTS, "Which figure(s) to reproduce.")
flags.DEFINE_enum(
    "objective", "returns", ["returns", "bellman"], "OMD objective: J or L_true."
)
flags.DEFINE_enum(
    "parameterization",
    "balanced",
    ["paper", "plain", "balanced"],
    "Model p = softmax(E), norm over (E, r). paper: E = L/α, L0 ~ U[0,1) (the "
    "paper's code); plain: E = L, L0 ~ U[0,1); balanced: E = L, L0 ~ U[0,1)/α.",
)
flags.DEFINE_integer("num_seeds", 10, "Seeds per configuration.", lower_bound=1)
flags.DEFINE_integer("num_bounds", 20, "Number of norm bounds κ.", lower_bound=1)
flags.DEFINE_float(
    "max_bound", 6.0, "κ runs over linspace(0, max_bound, num_bounds).", lower_bound=0
)
flags.DEFINE_float(
    "noise_bound", 6.0, "κ of the IFT-noise experiment (Figure 6).", lower_bound=0
)
flags.DEFINE_integer("max_steps", 10000, "Outer (model) steps per run.", lower_bound=1)
flags.DEFINE_boolean("jit_compile", True, "Compile the training loops with XLA.")
flags.DEFINE_string("out_dir", None, "Folder for CSVs, PNGs and summary.txt.")
flags.mark_flag_as_required("out_dir")
flags.adopt_module_key_flags(console)

FLAGS = flags.FLAGS


def _progress():
    start = time.time()

    def report(label, done, total):
        print(
            f"  [{label}] step {done}/{total} ({time.time() - start:.1f} s)", flush=True
        )

    return report


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    # Imported here so that --help and flag errors do not wait for TensorFlow.
    from omd_tf.tabular import (
        claims as claims_lib,
    )  # pylint: disable=import-outside-toplevel
    from omd_tf.tabular import experiment  # pylint: disable=import-outside-toplevel
    from omd_tf.tabular import mdp as mdp_lib  # pylint: disable=import-outside-toplevel
    from omd_tf.tabular import metrics  # pylint: disable=import-outside-toplevel
    from omd_tf.tabular import report  # pylint: disable=import-outside-toplevel

    protocol = experiment.Protocol(
        num_seeds=FLAGS.num_seeds,
        num_bounds=FLAGS.num_bounds,
        max_bound=FLAGS.max_bound,
        max_steps=FLAGS.max_steps,
        objective=FLAGS.objective,
        parameterization=FLAGS.parameterization,
        noise_bound=FLAGS.noise_bound,
        jit_compile=FLAGS.jit_compile,
    )
    wanted = set(EXPERIMENTS[:3]) if FLAGS.experiment == "all" else {FLAGS.experiment}
    out = FLAGS.out_dir
    os.makedirs(out, exist_ok=True)
    mdp = mdp_lib.figure3_mdp()
    optimum = metrics.soft_optimal_return(mdp, protocol.alpha)
    header = (
        f"Figure-3 MDP, α={protocol.alpha}, objective={protocol.objective}, "
        f"parameterization={protocol.parameterization}, {protocol.num_seeds} seeds, "
        f"{protocol.max_steps} steps\n"
        f"J of the soft-optimal policy (reference line): {optimum:.6f}"
    )
    print(header, flush=True)
    sections, claims, start = [header], [], time.time()

    if wanted & {"misspecification", "bounds"}:
        sweep = experiment.run_bound_sweep(mdp, protocol, _progress())
        if "misspecification" in wanted:
            report.write_csv(
                os.path.join(out, "misspecification.csv"),
                *report.misspecification_rows(sweep),
            )
            report.plot_misspecification(
                os.path.join(out, "misspecification.png"), sweep, optimum
            )
            claims += claims_lib.misspecification_claims(sweep, optimum)
        if "bounds" in wanted:
            report.write_csv(
                os.path.join(out, "bounds.csv"), *report.bounds_rows(sweep)
            )
            report.plot_bounds(os.path.join(out, "bounds.png"), sweep)
            claims += claims_lib.bound_claims(sweep)
        sections.append(
            f"Bound sweep, mean ± se over {protocol.num_seeds} seeds "
            f"(max training fixed-point residual {sweep.max_residual:.1e}):\n"
            + report.sweep_table(sweep)
        )

    if "ift_noise" in wanted:
        noise = experiment.run_ift_noise(mdp, protocol, _progress())
        report.write_csv(os.path.join(out, "ift_noise.csv"), *report.noise_rows(noise))
        report.plot_ift_noise(os.path.join(out, "ift_noise.png"), noise, optimum)
        claims += claims_lib.noise_claims(noise)
        sections.append(
            f"IFT noise at κ={protocol.noise_bound:g}, mean ± se over "
            f"{protocol.num_seeds} seeds (max training fixed-point residual "
            f"{noise.max_residual:.1e}):\n" + report.noise_table(noise)
        )

    sections.append("Checks:\n" + report.claims_table(claims))
    sections.append(f"Total time {time.time() - start:.1f} s; files in {out}")
    summary = "\n\n".join(sections) + "\n"
    print("\n" + summary, end="", flush=True)
    report.write_text(os.path.join(out, "summary.txt"), summary)


if __name__ == "__main__":
    console.run(main)
