"""Matrix-free linear solvers against dense solves."""

import numpy as np
import pytest
import tensorflow as tf

from omd_tf import implicit


def _spd(rng, n):
    m = rng.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def test_cg_matches_dense_solve_on_spd_system():
    rng = np.random.default_rng(0)
    a = tf.constant(_spd(rng, 12))
    b = {
        "x": tf.constant(rng.normal(size=(4, 2))),
        "y": tf.constant(rng.normal(size=(4,))),
    }

    def matvec(v):
        flat = tf.concat([tf.reshape(v["x"], [-1]), v["y"]], 0)
        out = tf.linalg.matvec(a, flat)
        return {"x": tf.reshape(out[:8], [4, 2]), "y": out[8:]}

    x = implicit.solve_cg(matvec, b, max_iter=50, tol=1e-12)
    flat_b = tf.concat([tf.reshape(b["x"], [-1]), b["y"]], 0)
    expected = tf.linalg.solve(a, flat_b[:, None])[:, 0]
    np.testing.assert_allclose(
        tf.concat([tf.reshape(x["x"], [-1]), x["y"]], 0),
        expected,
        rtol=1e-8,
        atol=1e-10,
    )


def test_cg_with_ridge_solves_damped_system():
    rng = np.random.default_rng(1)
    a = tf.constant(_spd(rng, 6))
    b = tf.constant(rng.normal(size=(6,)))
    x = implicit.solve_cg(
        lambda v: [tf.linalg.matvec(a, v[0])], [b], ridge=0.5, max_iter=30, tol=1e-12
    )
    expected = np.linalg.solve(a.numpy() + 0.5 * np.eye(6), b.numpy())
    np.testing.assert_allclose(x[0], expected, rtol=1e-8)


def test_normal_cg_solves_nonsymmetric_system():
    rng = np.random.default_rng(2)
    a = tf.constant(rng.normal(size=(5, 5)) + 5 * np.eye(5))
    b = tf.constant(rng.normal(size=(5,)))
    x = implicit.solve_normal_cg(
        lambda v: [tf.linalg.matvec(a, v[0])],
        [b],
        rmatvec=lambda v: [tf.linalg.matvec(a, v[0], transpose_a=True)],
        max_iter=50,
        tol=1e-14,
    )
    np.testing.assert_allclose(x[0], np.linalg.solve(a.numpy(), b.numpy()), rtol=1e-8)


def test_batched_cg_solves_each_system_independently():
    rng = np.random.default_rng(3)
    a = tf.constant(np.stack([_spd(rng, 4) for _ in range(3)]))  # [B, n, n]
    b = tf.constant(rng.normal(size=(3, 4)))
    x = implicit.solve_cg(
        lambda v: [tf.linalg.matvec(a, v[0])], [b], batch_dims=1, max_iter=4, tol=0.0
    )
    expected = np.stack([np.linalg.solve(a[i], b[i]) for i in range(3)])
    # Per-problem step sizes: exact in n = 4 iterations up to round-off.
    np.testing.assert_allclose(x[0], expected, rtol=1e-8)


def test_batched_cg_freezes_a_converged_system_while_others_iterate():
    """System 1 converges in one step; system 0's data must not touch it."""
    rng = np.random.default_rng(4)
    easy = 3.0 * np.eye(4)  # b is an eigenvector: exact after one step.
    b = tf.constant(rng.normal(size=(2, 4)))

    def solve(system_0):
        a = tf.constant(np.stack([system_0, easy]))
        return implicit.solve_cg(
            lambda v: [tf.linalg.matvec(a, v[0])],
            [b],
            batch_dims=1,
            max_iter=4,
            tol=1e-12,
        )[0].numpy()

    hard = solve(_spd(rng, 4))  # System 0 needs all 4 iterations.
    alone = solve(easy)  # Both converge after one step.
    np.testing.assert_array_equal(hard[1], alone[1])
    np.testing.assert_allclose(hard[1], b[1] / 3.0, rtol=1e-12)


def test_identity_solver_returns_rhs():
    b = [tf.constant([1.0, 2.0])]
    assert implicit.solve_identity(None, b) is b


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_iter": 0}, "`max_iter`"),
        ({"max_iter": 2.5}, "`max_iter`"),
        ({"tol": -1.0}, "`tol`"),
        ({"ridge": -0.1}, "`ridge`"),
    ],
)
def test_cg_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        implicit.solve_cg(lambda v: v, [tf.constant([1.0])], **kwargs)


def test_solver_lookup_and_dtype_errors():
    with pytest.raises(ValueError, match="`solve` must be one of"):
        implicit.get_solver("lu")
    with pytest.raises(TypeError, match="`b`"):
        implicit.solve_cg(lambda v: v, [tf.constant([1, 2])])
    with pytest.raises(ValueError, match="`rmatvec`"):
        implicit.solve_normal_cg(lambda v: v, [tf.constant([1.0])], rmatvec=None)
