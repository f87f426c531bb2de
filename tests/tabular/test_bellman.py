"""Soft Bellman operator: fixed point, non-convergence report, L_true."""

import numpy as np
import tensorflow as tf

from omd_tf.tabular import bellman
from omd_tf.tabular import mdp as mdp_lib

ALPHA = 0.01


def _models(num_models=3, seed=0):
    """A batch of random models of a 4-state, 3-action MDP."""
    models = [mdp_lib.random_mdp(4, 3, seed=seed + i) for i in range(num_models)]
    return (
        tf.constant(np.stack([m.transitions for m in models])),
        tf.constant(np.stack([m.rewards for m in models])),
    )


def test_fixed_point_satisfies_bellman_equation():
    transitions, rewards = _models()
    q_init = tf.constant(np.random.default_rng(0).uniform(size=(3, 4, 3)))
    fixed = bellman.fixed_point(transitions, rewards, q_init, 0.9, ALPHA, tol=1e-10)
    gap = fixed.q - bellman.soft_bellman(fixed.q, transitions, rewards, 0.9, ALPHA)
    assert np.max(np.abs(gap)) <= 1e-8
    assert np.all(fixed.residual <= 1e-10)


def test_fixed_point_reports_non_convergence():
    transitions, rewards = _models()
    fixed = bellman.fixed_point(
        transitions, rewards, tf.zeros([3, 4, 3], tf.float64), 0.9, ALPHA, max_iter=1
    )
    assert int(fixed.iterations) == 1
    assert np.all(fixed.residual > 1e-10)


def test_soft_value_approaches_max_as_alpha_vanishes():
    q = tf.constant([[1.0, 0.5], [0.2, 0.3]], tf.float64)
    np.testing.assert_allclose(bellman.soft_value(q, 1e-3), [1.0, 0.3], atol=1e-12)
    np.testing.assert_allclose(
        bellman.soft_policy(q, 1.0).numpy().sum(-1), [1.0, 1.0], rtol=1e-15
    )


def test_bellman_error_vanishes_only_at_the_true_fixed_point():
    mdp = mdp_lib.figure3_mdp()
    q_star = bellman.fixed_point(
        mdp.transitions, mdp.rewards, tf.zeros([2, 2], tf.float64), 0.9, ALPHA, 1e-13
    ).q
    assert float(bellman.bellman_error(q_star, mdp, ALPHA)) < 1e-24
    # Shifting Q by c shifts B Q by γc: L_true = ((1 − γ)c)².
    np.testing.assert_allclose(
        bellman.bellman_error(q_star + 0.1, mdp, ALPHA), 1e-4, rtol=1e-9
    )
