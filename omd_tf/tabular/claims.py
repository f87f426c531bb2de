"""What the tabular run must show (Figures 2, 3 right and 6), checked on its results.

Standard errors are over seeds (std with ddof = 1 over √N); a difference of two
means is compared with its combined standard error √(se₁² + se₂²), floored at
``EQUAL_TOLERANCE`` because converged runs often agree to ~1e-8 with se ≈ 0.
"""

import collections

import numpy as np

Claim = collections.namedtuple("Claim", ["name", "passed", "detail"])
Claim.__doc__ = """One checked statement: a short name, a bool, and the numbers."""

OPTIMUM_TOLERANCE = 0.01  # |J − J*| allowed at the largest κ.
CLEAR_MARGIN_SE = 3.0  # "clearly higher": by more than this many standard errors.
SMALL_BOUND_FRACTION = 0.25  # "small κ": 0 < κ <= this × max κ.
BOUND_SLACK = 1e-9  # numerical slack of "error <= Theorem 2 bound".
EQUAL_TOLERANCE = 1e-6  # returns closer than this count as equal.
MAX_NOISE_SIGMA = 0.1  # Figure 6 agreement is claimed for σ <= this.


def mean_and_se(values):
    """Mean and standard error over the last axis (se = 0 for one seed)."""
    values = np.asarray(values, np.float64)
    n = values.shape[-1]
    se = (
        values.std(axis=-1, ddof=1) / np.sqrt(n)
        if n > 1
        else np.zeros(values.shape[:-1])
    )
    return values.mean(axis=-1), se


def _difference(a, b):
    """mean(a) − mean(b) and its combined standard error (floored), per row."""
    (mean_a, se_a), (mean_b, se_b) = mean_and_se(a), mean_and_se(b)
    return mean_a - mean_b, np.maximum(np.hypot(se_a, se_b), EQUAL_TOLERANCE)


def _listing(mask, name, keys, diff, se):
    """'name=key: diff (se …)' for the rows selected by ``mask``."""
    return ", ".join(
        f"{name}={k:.3g}: {d:+.4f} (se {e:.4f})"
        for k, d, e in zip(keys[mask], diff[mask], se[mask])
    )


def misspecification_claims(sweep, optimum):
    """Figure 2 claims on a `SweepResult`, with J* = ``optimum``."""
    omd, mle = sweep.evaluations["omd"].returns, sweep.evaluations["mle"].returns
    bounds = sweep.bounds
    diff, se = _difference(omd, mle)
    below = diff < -se
    small = (bounds > 0) & (bounds <= SMALL_BOUND_FRACTION * bounds.max())
    unclear = small & ~(diff > CLEAR_MARGIN_SE * se)
    gaps = {
        agent: abs(mean_and_se(sweep.evaluations[agent].returns[-1])[0] - optimum)
        for agent in ("omd", "mle")
    }
    return [
        Claim(
            "OMD >= MLE - 1 se at every κ",
            not below.any(),
            (
                "OMD − MLE below −se at " + _listing(below, "κ", bounds, diff, se)
                if below.any()
                else f"smallest OMD − MLE + se = {np.min(diff + se):+.4f}"
            ),
        ),
        Claim(
            f"OMD > MLE + {CLEAR_MARGIN_SE:g} se at small κ "
            f"(0 < κ <= {SMALL_BOUND_FRACTION * bounds.max():.2f})",
            bool(small.any()) and not unclear.any(),
            "OMD − MLE: " + _listing(small, "κ", bounds, diff, se),
        ),
        Claim(
            f"|J − J*| <= {OPTIMUM_TOLERANCE} at κ = {bounds[-1]:.2f} (OMD and MLE)",
            max(gaps.values()) <= OPTIMUM_TOLERANCE,
            f"OMD {gaps['omd']:.4f}, MLE {gaps['mle']:.4f}",
        ),
    ]


def bound_claims(sweep):
    """Figure 3 (right): max|Q* − Q̂| <= the Theorem 2 bound of the same agent."""
    claims = []
    for agent in ("omd", "mle"):
        evaluation = sweep.evaluations[agent]
        bound = getattr(evaluation, f"{agent}_bound")
        slack = bound - evaluation.q_error
        claims.append(
            Claim(
                f"{agent.upper()}: max|Q* − Q̂| <= Theorem 2 bound, every (κ, seed)",
                bool(np.all(slack >= -BOUND_SLACK)),
                f"min(bound − error) = {slack.min():.3g}",
            )
        )
    return claims


def noise_claims(noise):
    """Figure 6: exact and identity inverse agree within 1 se for σ <= 0.1."""
    diff, se = _difference(noise.returns["exact"], noise.returns["identity"])
    checked = noise.sigmas <= MAX_NOISE_SIGMA
    apart = checked & (np.abs(diff) > se)
    return [
        Claim(
            f"|exact − identity| <= 1 se for σ <= {MAX_NOISE_SIGMA}",
            bool(checked.any()) and not apart.any(),
            f"{checked.sum()} σ values checked"
            + (
                "; exact − identity beyond se at "
                + _listing(apart, "σ", noise.sigmas, diff, se)
                if apart.any()
                else f", max |diff| = {np.max(np.abs(diff[checked]), initial=0):.2e}"
            ),
        )
    ]
