"""Model parameterisations: norm-ball projection, MLE loss, seeded draws."""

import numpy as np
import pytest
import tensorflow as tf

from omd_tf.tabular import mdp as mdp_lib
from omd_tf.tabular import model as model_lib


@pytest.mark.parametrize("name", model_lib.PARAMETERIZATIONS)
def test_projection_keeps_norm_within_bound(name):
    parameterization = model_lib.Parameterization(name, alpha=0.01)
    rng = np.random.default_rng(0)
    theta = model_lib.ModelParams(
        tf.constant(rng.normal(size=(6, 2, 2, 2))),
        tf.constant(rng.normal(size=(6, 2, 2))),
    )
    norms = parameterization.norm(theta).numpy()
    bounds = np.array([0.0, 0.1, 0.5, 0.9, 1.0, 2.0]) * norms
    projected = parameterization.project(theta, tf.constant(bounds))
    new_norms = parameterization.norm(projected).numpy()
    assert np.all(new_norms <= bounds * (1 + 1e-12))
    assert new_norms[0] == 0
    # Inside the ball (and on its boundary) θ is left unchanged.
    for i in (4, 5):
        np.testing.assert_array_equal(projected.logits[i], theta.logits[i])
    # Outside, it is scaled onto the sphere.
    np.testing.assert_allclose(new_norms[1:4], bounds[1:4], rtol=1e-12)


def test_paper_norm_is_over_scaled_logits():
    theta = model_lib.ModelParams(
        tf.fill([2, 2, 2], tf.constant(0.01, tf.float64)),
        tf.zeros([2, 2], tf.float64),
    )
    paper = model_lib.Parameterization("paper", alpha=0.01)
    plain = model_lib.Parameterization("plain")
    np.testing.assert_allclose(paper.norm(theta), np.sqrt(8.0), rtol=1e-12)
    np.testing.assert_allclose(plain.norm(theta), np.sqrt(8.0) * 0.01, rtol=1e-12)


@pytest.mark.parametrize("name", model_lib.PARAMETERIZATIONS)
def test_mle_loss_vanishes_at_the_true_model(name):
    mdp = mdp_lib.figure3_mdp()
    parameterization = model_lib.Parameterization(name, alpha=0.01)
    logits = np.log(mdp.transitions) / parameterization.logit_scale
    true = model_lib.ModelParams(tf.constant(logits), tf.constant(mdp.rewards))
    assert abs(float(model_lib.mle_loss(true, parameterization, mdp))) < 1e-14
    off = model_lib.ModelParams(true.logits, true.rewards + 0.1)
    np.testing.assert_allclose(
        model_lib.mle_loss(off, parameterization, mdp), 0.01, rtol=1e-12
    )


def test_initial_draw_is_seeded_per_run():
    theta, q = model_lib.initial_draw([3, 7, 3], num_states=2, num_actions=2)
    assert theta.logits.shape == (3, 2, 2, 2) and q.shape == (3, 2, 2)
    np.testing.assert_array_equal(theta.logits[0], theta.logits[2])
    assert not np.array_equal(theta.rewards[0], theta.rewards[1])
    assert 0 <= theta.logits.min() and theta.logits.max() < 1


def test_unknown_parameterization_is_rejected():
    with pytest.raises(ValueError, match="parameterization"):
        model_lib.Parameterization("scaled")
