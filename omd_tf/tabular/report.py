"""Per-seed CSV files, PNG figures and the summary table of the tabular runs.

Files are written whole or not at all (`omd_tf.atomic_file`).  Curves are
mean ± standard error over seeds.
"""

import csv

from matplotlib.figure import Figure

from omd_tf import atomic_file
from omd_tf.tabular import claims as claims_lib

AGENT_LABELS = {"omd": "OMD", "mle": "MLE"}
INVERSE_LABELS = {"exact": "exact inverse", "identity": "identity inverse"}


def write_csv(path, header, rows):
    """Writes ``rows`` (sequences matching ``header``) as CSV, atomically."""
    with atomic_file.writing(path) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_text(path, text):
    """Writes ``text`` atomically."""
    with atomic_file.writing(path) as f:
        f.write(text)


def misspecification_rows(sweep):
    """Header and per-(agent, κ, seed) rows of J."""
    rows = [
        (agent, f"{kappa:.6g}", seed, f"{j:.10g}")
        for agent, evaluation in sweep.evaluations.items()
        for kappa, per_seed in zip(sweep.bounds, evaluation.returns)
        for seed, j in enumerate(per_seed)
    ]
    return ("agent", "kappa", "seed", "returns"), rows


BOUND_COLUMNS = (
    "q_error",
    "operator_error",
    "reward_error",
    "transition_error",
    "omd_bound",
    "mle_bound",
)


def bounds_rows(sweep):
    """Header and per-(agent, κ, seed) rows of the Q* error and Theorem 2 terms.

    ``theorem2_bound`` is the bound of the row's own agent.
    """
    rows = []
    for agent, evaluation in sweep.evaluations.items():
        own = getattr(evaluation, f"{agent}_bound")
        for k, kappa in enumerate(sweep.bounds):
            for seed in range(own.shape[1]):
                values = [getattr(evaluation, c)[k, seed] for c in BOUND_COLUMNS]
                rows.append(
                    (agent, f"{kappa:.6g}", seed, f"{own[k, seed]:.10g}")
                    + tuple(f"{v:.10g}" for v in values)
                )
    return ("agent", "kappa", "seed", "theorem2_bound") + BOUND_COLUMNS, rows


def noise_rows(noise):
    """Header and per-(inverse, σ, seed) rows of J."""
    rows = [
        (inverse, f"{sigma:.6g}", seed, f"{j:.10g}")
        for inverse, returns in noise.returns.items()
        for sigma, per_seed in zip(noise.sigmas, returns)
        for seed, j in enumerate(per_seed)
    ]
    return ("inverse", "sigma", "seed", "returns"), rows


def _band(ax, x, values, label, **style):
    mean, se = claims_lib.mean_and_se(values)
    (line,) = ax.plot(x, mean, label=label, **style)
    ax.fill_between(x, mean - se, mean + se, color=line.get_color(), alpha=0.25)


def _save(fig, path):
    fig.tight_layout()
    with atomic_file.writing(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)


def plot_misspecification(path, sweep, optimum):
    """Figure 2: J vs κ for OMD and MLE, with J of the soft-optimal policy."""
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    for agent, evaluation in sweep.evaluations.items():
        _band(ax, sweep.bounds, evaluation.returns, AGENT_LABELS[agent], marker=".")
    ax.axhline(optimum, color="k", linestyle="--", linewidth=1, label="optimal (soft)")
    ax.set(xlabel="norm bound κ", ylabel="expected return J", title="Misspecification")
    ax.legend()
    _save(fig, path)


def plot_bounds(path, sweep):
    """Figure 3 (right): max|Q* − Q̂| and each agent's Theorem 2 bound, log scale."""
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    for agent, evaluation in sweep.evaluations.items():
        label = AGENT_LABELS[agent]
        color = "C0" if agent == "omd" else "C1"
        _band(ax, sweep.bounds, evaluation.q_error, f"{label} error", color=color)
        _band(
            ax,
            sweep.bounds,
            getattr(evaluation, f"{agent}_bound"),
            f"{label} bound",
            color=color,
            linestyle="--",
        )
    ax.set_yscale("log", nonpositive="mask")
    ax.set(xlabel="norm bound κ", ylabel="max |Q* − Q̂|", title="Q* error and bounds")
    ax.legend(fontsize="small")
    _save(fig, path)


def plot_ift_noise(path, noise, optimum):
    """Figure 6: J vs noise σ on Q*, exact vs identity inverse."""
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    for inverse, returns in noise.returns.items():
        _band(ax, noise.sigmas, returns, INVERSE_LABELS[inverse], marker=".")
    ax.axhline(optimum, color="k", linestyle="--", linewidth=1, label="optimal (soft)")
    ax.set_xscale("log")
    ax.set(xlabel="noise σ on Q*", ylabel="expected return J", title="IFT noise")
    ax.legend()
    _save(fig, path)


def _cell(values):
    mean, se = claims_lib.mean_and_se(values)
    return f"{mean:+.4f} ± {se:.4f}"


def sweep_table(sweep):
    """Rows per κ: J and max|Q* − Q̂| (Theorem 2 bound) per agent, mean ± se."""
    omd, mle = sweep.evaluations["omd"], sweep.evaluations["mle"]
    lines = [
        f"{'κ':>5}  {'J OMD':>17}  {'J MLE':>17}  {'Q err OMD (bound)':>19}  "
        f"{'Q err MLE (bound)':>19}"
    ]
    for k, kappa in enumerate(sweep.bounds):
        errors = [
            f"{e.q_error[k].mean():8.4f} ({getattr(e, a + '_bound')[k].mean():8.4f})"
            for a, e in (("omd", omd), ("mle", mle))
        ]
        lines.append(
            f"{kappa:5.2f}  {_cell(omd.returns[k]):>17}  {_cell(mle.returns[k]):>17}  "
            f"{errors[0]:>19}  {errors[1]:>19}"
        )
    return "\n".join(lines)


def noise_table(noise):
    """Rows per σ: J with the exact and the identity inverse, mean ± se."""
    exact, identity = noise.returns["exact"], noise.returns["identity"]
    lines = [f"{'σ':>8}  {'J exact':>17}  {'J identity':>17}"]
    for m, sigma in enumerate(noise.sigmas):
        lines.append(f"{sigma:8.4f}  {_cell(exact[m]):>17}  {_cell(identity[m]):>17}")
    return "\n".join(lines)


def claims_table(claims):
    """One 'PASS|FAIL  name: detail' line per claim."""
    return "\n".join(
        f"{'PASS' if c.passed else 'FAIL'}  {c.name}: {c.detail}" for c in claims
    )
