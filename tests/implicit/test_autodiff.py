"""HVPs and mixed products against explicit Hessians/Jacobians (float64)."""

import numpy as np
import pytest
import tensorflow as tf

from omd_tf import implicit

RTOL = 1e-6


def _mlp_variables(rng, sizes):
    """Weights and biases of an MLP with layer sizes ``sizes``, float64."""
    variables = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        variables.append(
            tf.Variable(rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in))
        )
        variables.append(tf.Variable(rng.normal(size=(fan_out,)) * 0.1))
    return variables


def _mlp(variables, x):
    h = x
    for i in range(0, len(variables), 2):
        h = tf.matmul(h, variables[i]) + variables[i + 1]
        if i + 2 < len(variables):
            h = tf.tanh(h)
    return h


def _flat(tensors):
    return tf.concat([tf.reshape(t, [-1]) for t in tensors], axis=0)


def _dense_jacobian(fn, variables):
    """d flat(fn()) / d flat(variables) as a dense [out, in] matrix."""
    with tf.GradientTape() as tape:
        out = _flat(fn())
    blocks = tape.jacobian(out, variables)
    return tf.concat([tf.reshape(b, [out.shape[0], -1]) for b in blocks], axis=1)


@pytest.fixture
def problem():
    rng = np.random.default_rng(1)
    w = _mlp_variables(rng, [3, 5, 2])
    theta = [tf.Variable(rng.normal(size=(3, 2))), tf.Variable(rng.normal(size=(2,)))]
    x = tf.constant(rng.normal(size=(7, 3)))

    def loss():
        target = tf.matmul(x, theta[0]) + theta[1]
        return tf.reduce_mean(tf.square(_mlp(w, x) - tf.sin(target)))

    v = [tf.constant(rng.normal(size=var.shape)) for var in w]
    return w, theta, loss, v


@pytest.mark.parametrize("mode", ["forward_over_back", "back_over_back"])
def test_hvp_equals_explicit_hessian_product(problem, mode):
    w, _, loss, v = problem
    hessian = _dense_jacobian(lambda: implicit.gradient(loss, w), w)
    expected = tf.linalg.matvec(hessian, _flat(v))
    actual = _flat(implicit.hvp(loss, w, v, mode=mode))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-12)


def test_mixed_vjp_equals_explicit_mixed_jacobian(problem):
    w, theta, loss, v = problem
    mixed = _dense_jacobian(lambda: implicit.gradient(loss, w), theta)  # [Pw, Pθ]
    expected = tf.linalg.matvec(mixed, _flat(v), transpose_a=True)
    actual = _flat(implicit.mixed_vjp(loss, w, theta, v))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-12)


def test_vjp_and_jvp_equal_explicit_jacobian_products(problem):
    w, theta, loss, v = problem
    residual = lambda: implicit.gradient(loss, w)
    jac = _dense_jacobian(residual, w)
    np.testing.assert_allclose(
        _flat(implicit.vjp(residual, w, v)),
        tf.linalg.matvec(jac, _flat(v), transpose_a=True),
        rtol=RTOL,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        _flat(implicit.jvp(residual, w, v)),
        tf.linalg.matvec(jac, _flat(v)),
        rtol=RTOL,
        atol=1e-12,
    )
    del theta


def test_hvp_rejects_bad_input(problem):
    w, _, loss, v = problem
    with pytest.raises(ValueError, match="`mode`"):
        implicit.hvp(loss, w, v, mode="forward")
    with pytest.raises(ValueError, match="`variables` and `vector`"):
        implicit.hvp(loss, w, v[:-1])
    with pytest.raises(TypeError, match="`variables`"):
        implicit.hvp(lambda: 0.0, [tf.Variable([1, 2])], [tf.constant([1, 2])])
    with pytest.raises(ValueError, match="`inner_variables`"):
        implicit.mixed_vjp(loss, [], w, v)
