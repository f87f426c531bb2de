"""The implicit-gradient primitive against closed forms and finite differences."""

import numpy as np
import pytest
import tensorflow as tf

from omd_tf import implicit

# Quadratic bilevel problem, float64:
#   inner  L_in(θ, w) = ½ wᵀA w − wᵀB θ     ⇒  w*(θ) = A⁻¹Bθ
#   outer  L_out(w)   = ½ ‖w − c‖²          ⇒  dL_out/dθ = (w* − c)ᵀ A⁻¹ B


class Quadratic:

    def __init__(self, seed=0, n=5, m=3):
        rng = np.random.default_rng(seed)
        q = rng.normal(size=(n, n))
        self.a = tf.constant(q @ q.T + n * np.eye(n))
        self.b = tf.constant(rng.normal(size=(n, m)))
        self.c = tf.constant(rng.normal(size=(n,)))
        self.theta = tf.Variable(rng.normal(size=(m,)))
        self.w = tf.Variable(tf.zeros([n], tf.float64))

    def inner_loss(self):
        return 0.5 * tf.tensordot(
            self.w, tf.linalg.matvec(self.a, self.w), 1
        ) - tf.tensordot(self.w, tf.linalg.matvec(self.b, self.theta), 1)

    def outer_loss(self):
        return 0.5 * tf.reduce_sum(tf.square(self.w - self.c))

    def solve_inner(self):
        self.w.assign(
            tf.linalg.solve(self.a, tf.linalg.matvec(self.b, self.theta)[:, None])[:, 0]
        )

    def exact_hypergradient(self):
        w_star = tf.linalg.solve(self.a, tf.linalg.matvec(self.b, self.theta)[:, None])[
            :, 0
        ]
        u = tf.linalg.solve(self.a, (w_star - self.c)[:, None])[:, 0]
        return tf.linalg.matvec(self.b, u, transpose_a=True)

    def identity_hypergradient(self):
        """−∇_w L_out · ∂²L_in/∂θ∂w with ∂²L_in/∂θ∂w = −B, written out."""
        return tf.linalg.matvec(self.b, self.w - self.c, transpose_a=True)

    def hypergradient(self, **solve):
        with tf.GradientTape() as tape:
            loss = implicit.implicit_call(
                self.outer_loss,
                [self.w],
                [self.theta],
                inner_loss_fn=self.inner_loss,
                **solve
            )
        return tape.gradient(loss, self.theta)


@pytest.mark.parametrize("hvp_mode", ["forward_over_back", "back_over_back"])
def test_cg_hypergradient_equals_closed_form(hvp_mode):
    problem = Quadratic()
    problem.solve_inner()
    grad = problem.hypergradient(solve="cg", max_iter=50, tol=1e-14, hvp_mode=hvp_mode)
    np.testing.assert_allclose(grad, problem.exact_hypergradient(), rtol=1e-6)


def test_identity_hypergradient_equals_mixed_term():
    problem = Quadratic(seed=1)
    problem.solve_inner()
    grad = problem.hypergradient(solve="identity")
    np.testing.assert_allclose(grad, problem.identity_hypergradient(), rtol=1e-10)


def test_residual_condition_matches_loss_condition():
    """F given as ∂L/∂w by hand (normal-equation CG) gives the same gradient."""
    problem = Quadratic(seed=2)
    problem.solve_inner()
    residual = lambda: [
        tf.linalg.matvec(problem.a, problem.w)
        - tf.linalg.matvec(problem.b, problem.theta)
    ]
    with tf.GradientTape() as tape:
        loss = implicit.implicit_call(
            problem.outer_loss,
            [problem.w],
            [problem.theta],
            residual_fn=residual,
            solve="normal_cg",
            max_iter=100,
            tol=1e-14,
        )
    np.testing.assert_allclose(
        tape.gradient(loss, problem.theta), problem.exact_hypergradient(), rtol=1e-6
    )


def test_keras_layer_runs_inner_solver_and_yields_hypergradient():
    """ImplicitLayer: K optimiser steps, then tape.gradient w.r.t. the model."""
    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(size=(64, 3)), tf.float32)
    y_true = tf.constant(rng.normal(size=(64, 1)), tf.float32)
    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])  # θ: makes targets
    net = tf.keras.Sequential([tf.keras.layers.Dense(1)])  # w: fits them
    model.build([None, 3])
    net.build([None, 3])
    inner_loss = lambda: tf.reduce_mean(tf.square(net(x) - model(x)))
    inner_solver = implicit.gradient_steps(
        inner_loss, net.trainable_variables, tf.keras.optimizers.SGD(0.5), num_steps=200
    )
    layer = implicit.ImplicitLayer(
        net,
        lambda: model.trainable_variables,
        inner_loss_fn=inner_loss,
        inner_solver=inner_solver,
        solve="cg",
        solve_options={"max_iter": 20, "tol": 1e-10},
    )
    with tf.GradientTape() as tape:
        outer = tf.reduce_mean(tf.square(layer(x) - y_true))
    grads = tape.gradient(outer, model.trainable_variables)
    assert len(layer.trainable_variables) == 2  # the model is not tracked
    # Linear least squares: w* reproduces θ exactly, so d outer/dθ = d/dθ of
    # mean((model(x) − y)²), which we take directly.
    with tf.GradientTape() as tape:
        direct = tf.reduce_mean(tf.square(model(x) - y_true))
    expected = tape.gradient(direct, model.trainable_variables)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-3, atol=1e-5)


# Fixed-point mode: Q* = B^θ Q* on a random tabular MDP; F(θ, Q) = Q − B^θ Q.
GAMMA, ALPHA = 0.9, 0.5


def _soft_bellman(theta, q):
    logits, rewards = theta  # [S, A, S], [S, A]
    v = ALPHA * tf.reduce_logsumexp(q / ALPHA, axis=-1)  # [S]
    return rewards + GAMMA * tf.einsum("sat,t->sa", tf.nn.softmax(logits), v)


def _fixed_point(theta):
    # Contraction 0.9^400 ≈ 5e-19.
    return tf.while_loop(
        lambda i, q: i < 400,
        lambda i, q: (i + 1, _soft_bellman(theta, q)),
        (0, tf.zeros_like(theta[1])),
    )[1]


def _random_theta(seed, s=3, a=2):
    rng = np.random.default_rng(seed)
    return (
        tf.constant(rng.normal(size=(s, a, s))),
        tf.constant(rng.uniform(size=(s, a))),
    )


def test_fixed_point_ift_gradient_matches_finite_differences():
    theta = _random_theta(4)
    weights = tf.constant(np.random.default_rng(5).normal(size=(3, 2)))
    root = implicit.custom_root(
        lambda th, q: q - _soft_bellman(th, q),
        solve="normal_cg",
        max_iter=50,
        tol=1e-14,
    )(_fixed_point)
    objective = tf.function(lambda th: tf.reduce_sum(weights * root(th)))
    with tf.GradientTape() as tape:
        tape.watch(theta)
        value = objective(theta)
    grads = tape.gradient(value, theta)
    eps = 1e-6
    for k, (param, grad) in enumerate(zip(theta, grads)):
        flat = param.numpy().ravel()
        fd = np.zeros_like(flat)
        for i in range(flat.size):
            plus, minus = flat.copy(), flat.copy()
            plus[i] += eps
            minus[i] -= eps
            at = lambda p: objective(
                tuple(
                    tf.constant(p.reshape(param.shape)) if j == k else theta[j]
                    for j in range(2)
                )
            )
            fd[i] = (at(plus) - at(minus)) / (2 * eps)
        np.testing.assert_allclose(grad.numpy().ravel(), fd, rtol=1e-4, atol=1e-9)


def test_fixed_point_identity_gradient_is_the_mixed_term():
    """Identity inverse: the gradient is −(∂F/∂θ)ᵀ v = (∂B/∂θ)ᵀ v."""
    theta = _random_theta(6)
    v = tf.ones([3, 2], tf.float64)
    root = implicit.custom_root(lambda th, q: q - _soft_bellman(th, q))(_fixed_point)
    with tf.GradientTape() as tape:
        tape.watch(theta)
        value = tf.reduce_sum(v * root(theta))
    q_star = _fixed_point(theta)
    with tf.GradientTape() as tape2:
        tape2.watch(theta)
        bq = _soft_bellman(theta, q_star)
    expected = tape2.gradient(bq, theta, output_gradients=v)
    for g, e in zip(tape.gradient(value, theta), expected):
        np.testing.assert_allclose(g, e, rtol=1e-10)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_compiled_step_traces_once_and_matches_eager(jit_compile):
    problem = Quadratic(seed=7)
    traces = []

    @tf.function(
        jit_compile=jit_compile, input_signature=[tf.TensorSpec([3], tf.float64)]
    )
    def step(theta):
        traces.append(1)
        problem.theta.assign(theta)
        problem.solve_inner()
        return problem.hypergradient(solve="cg", max_iter=50, tol=1e-14)

    rng = np.random.default_rng(8)
    for _ in range(10):
        theta = tf.constant(rng.normal(size=(3,)))
        grad = step(theta)
        np.testing.assert_allclose(grad, problem.exact_hypergradient(), rtol=1e-6)
    assert len(traces) == 1


def test_bad_arguments_raise_clear_errors():
    problem = Quadratic()
    call = lambda **kw: implicit.implicit_call(
        problem.outer_loss, [problem.w], [problem.theta], **kw
    )
    with pytest.raises(ValueError, match="exactly one of"):
        call()
    with pytest.raises(ValueError, match="exactly one of"):
        call(inner_loss_fn=problem.inner_loss, residual_fn=problem.inner_loss)
    with pytest.raises(ValueError, match="`solve` must be one of"):
        call(inner_loss_fn=problem.inner_loss, solve="cholesky")
    with pytest.raises(ValueError, match="`max_iter`"):
        call(inner_loss_fn=problem.inner_loss, solve="cg", max_iter=0)
    with pytest.raises(ValueError, match="Unknown linear-solve option"):
        call(inner_loss_fn=problem.inner_loss, solve="cg", maxiter=3)
    with pytest.raises(ValueError, match="`hvp_mode`"):
        call(inner_loss_fn=problem.inner_loss, hvp_mode="fwd")
    with pytest.raises(TypeError, match="`outer_variables`"):
        implicit.implicit_call(
            problem.outer_loss,
            [problem.w],
            [tf.Variable([1, 2])],
            inner_loss_fn=problem.inner_loss,
        )
    with pytest.raises(TypeError, match="`inner_variables`"):
        implicit.implicit_call(
            problem.outer_loss,
            [tf.constant(1.0)],
            [problem.theta],
            inner_loss_fn=problem.inner_loss,
        )
    with pytest.raises(TypeError, match="`theta`"):
        implicit.custom_root(lambda t, w: w)(lambda t: t)(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="`num_steps`"):
        implicit.gradient_steps(
            problem.inner_loss, [problem.w], tf.keras.optimizers.SGD(0.1), num_steps=0
        )
