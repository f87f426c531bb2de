"""Batched OMD / MLE training: implicit gradients, batching, a short run."""

import numpy as np
import pytest
import tensorflow as tf

from omd_tf.tabular import mdp as mdp_lib
from omd_tf.tabular import metrics
from omd_tf.tabular import model as model_lib
from omd_tf.tabular import train


def _theta(seed, runs=2, scale=0.05):
    """Small random θ: soft policies at α = 0.01, so J has useful gradients."""
    rng = np.random.default_rng(seed)
    return model_lib.ModelParams(
        tf.constant(rng.normal(size=(runs, 2, 2, 2))),
        tf.constant(scale * rng.normal(size=(runs, 2, 2))),
    )


@pytest.mark.parametrize(
    "objective, parameterization",
    [("returns", "paper"), ("returns", "plain"), ("bellman", "plain")],
)
def test_omd_gradient_matches_central_finite_differences(objective, parameterization):
    """Exact-inverse IFT gradient vs (L(θ + εe) − L(θ − εe))/2ε, ε = 1e-6.

    Q* is solved to 1e-13, so the differences are accurate to ~1e-7 absolute.
    """
    trainer = train.Trainer(
        mdp_lib.figure3_mdp(),
        train.AgentConfig(
            objective=objective,
            parameterization=parameterization,
            fixed_point_tol=1e-13,
            jit_compile=False,
        ),
    )
    theta = _theta(seed=1)
    if parameterization == "paper":  # Effective logits L/α of order 1.
        theta = theta._replace(logits=0.01 * theta.logits)
    q_init = tf.zeros([2, 2, 2], tf.float64)

    @tf.function
    def loss(th):
        return tf.reduce_sum(trainer.omd_losses(th, q_init, tf.zeros_like(q_init))[0])

    with tf.GradientTape() as tape:
        tape.watch(theta)
        value = loss(theta)
    grads = tape.gradient(value, theta)
    eps = 1e-6
    for k, (param, grad) in enumerate(zip(theta, grads)):
        flat = param.numpy().ravel()
        fd = np.empty_like(flat)
        for i in range(flat.size):
            shifted = []
            for sign in (1, -1):
                p = flat.copy()
                p[i] += sign * eps
                shifted.append(
                    loss(theta._replace(**{theta._fields[k]: p.reshape(param.shape)}))
                )
            fd[i] = (shifted[0] - shifted[1]) / (2 * eps)
        np.testing.assert_allclose(grad.numpy().ravel(), fd, rtol=1e-5, atol=1e-6)


def test_batched_runs_match_separate_runs():
    """A run's trajectory does not depend on the other runs of its batch."""
    trainer = train.Trainer(mdp_lib.figure3_mdp(), train.AgentConfig(jit_compile=False))
    batched = trainer.train([0, 1], [0.5, 3.0], max_steps=30)
    alone = trainer.train([1], [3.0], max_steps=30)
    for b, a in zip(batched.theta, alone.theta):
        np.testing.assert_allclose(b[1:], a, rtol=1e-6, atol=1e-9)


def test_short_omd_run_beats_mle_at_small_bound():
    """κ = 0.6, 3 seeds, 300 steps: OMD's mean J exceeds MLE's by > 0.1."""
    mdp = mdp_lib.figure3_mdp()
    seeds, bounds = [0, 1, 2], [0.6] * 3
    returns = {}
    for agent in ("omd", "mle"):
        trainer = train.Trainer(mdp, train.AgentConfig(agent=agent))
        state = trainer.train(seeds, bounds, max_steps=300, chunk_steps=300)
        norms = trainer.parameterization.norm(state.theta).numpy()
        assert np.all(norms <= 0.6 * (1 + 1e-12))
        returns[agent] = metrics.evaluate(
            mdp, trainer.parameterization, state.theta, 0.01
        ).returns
    assert returns["omd"].mean() > returns["mle"].mean() + 0.1, returns


def test_noise_reaches_the_outer_gradient_only():
    """σ > 0 changes OMD's trajectory; the reported fixed point stays converged."""
    trainer = train.Trainer(mdp_lib.figure3_mdp(), train.AgentConfig(jit_compile=False))
    quiet = trainer.train([0], [2.0], max_steps=20)
    noisy = trainer.train([0], [2.0], sigmas=[0.5], max_steps=20)
    assert not np.allclose(quiet.theta.rewards, noisy.theta.rewards)
    assert float(noisy.max_residual[0]) <= 1e-10


@pytest.mark.parametrize("field", ["agent", "objective", "inverse", "parameterization"])
def test_invalid_config_names_the_field(field):
    with pytest.raises(ValueError, match=field):
        train.AgentConfig(**{field: "unknown"})


def test_compiled_loop_traces_once_per_batch_size():
    trainer = train.Trainer(mdp_lib.figure3_mdp(), train.AgentConfig(agent="mle"))
    for seeds in ([0, 1], [2, 3]):
        trainer.train(seeds, [1.0, 2.0], max_steps=5, chunk_steps=2)
    assert trainer.num_traces == 1


def test_balanced_starts_from_the_papers_initial_model():
    """Same p_θ and r_θ after the initial projection; only Adam's scale differs."""
    mdp = mdp_lib.figure3_mdp()
    trainers = {
        name: train.Trainer(mdp, train.AgentConfig(parameterization=name))
        for name in ("paper", "balanced")
    }
    models = []
    for trainer in trainers.values():
        theta = trainer.initial_state([0, 1], [0.5, 6.0]).theta
        models.append((trainer.parameterization.transitions(theta), theta.rewards))
    for paper, balanced in zip(*models):
        np.testing.assert_allclose(paper, balanced, rtol=1e-12)
