"""The PASS/FAIL checks of the tabular run, on synthetic results."""

import numpy as np

from omd_tf.tabular import claims
from omd_tf.tabular import experiment
from omd_tf.tabular import metrics


def _sweep(omd_returns, mle_returns, bounds):
    def evaluation(returns):
        returns = np.asarray(returns, np.float64)
        zeros = np.zeros_like(returns)
        return metrics.Evaluation(returns, *([zeros] * 7))

    return experiment.SweepResult(
        np.asarray(bounds),
        {"omd": evaluation(omd_returns), "mle": evaluation(mle_returns)},
        0.0,
    )


def test_mean_and_standard_error():
    mean, se = claims.mean_and_se([[1.0, 2.0, 3.0], [4.0, 4.0, 4.0]])
    np.testing.assert_allclose(mean, [2.0, 4.0])
    np.testing.assert_allclose(se, [1 / np.sqrt(3), 0.0])
    assert claims.mean_and_se([[5.0]])[1] == 0.0


def test_misspecification_claims_pass_and_fail():
    bounds = [0.0, 1.0, 4.0, 6.0]
    rng = np.random.default_rng(0)
    noise = 0.01 * rng.normal(size=(4, 5))
    mle = np.array([[-0.8], [-0.7], [0.9], [1.0]]) + noise
    good = np.array([[-0.8], [0.5], [0.99], [1.0]]) + noise
    results = claims.misspecification_claims(_sweep(good, mle, bounds), optimum=1.0)
    assert [c.passed for c in results] == [True, True, True], results
    bad = good.copy()
    bad[2] -= 0.2  # far below MLE at κ = 4
    bad[3] -= 0.05  # 0.05 off the optimum at κ = 6
    results = claims.misspecification_claims(_sweep(bad, mle, bounds), optimum=1.0)
    assert [c.passed for c in results] == [False, True, False], results
    assert "κ=4" in results[0].detail


def test_identical_converged_runs_count_as_equal():
    """se = 0 and a 1e-9 difference: equal within the 1e-6 floor."""
    noise = experiment.NoiseResult(
        np.array([0.01, 0.5]),
        {"exact": np.full((2, 3), 1.0), "identity": np.full((2, 3), 1.0 + 1e-9)},
        0.0,
    )
    (claim,) = claims.noise_claims(noise)
    assert claim.passed, claim
