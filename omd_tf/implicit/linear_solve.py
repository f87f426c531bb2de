"""Matrix-free linear solves over nests of tensors.

Each solver takes ``matvec`` (a function v -> A v on nests of tensors) and
``b`` and returns x with A x ≈ b.  The identity solver returns b (the
paper's default approximation A⁻¹ ≈ I); conjugate gradient assumes A is
symmetric positive (semi)definite; normal-equation CG solves
(AᵀA + ridge·I) x = Aᵀ b and also needs ``rmatvec`` (v -> Aᵀ v), which makes
it suitable for the non-symmetric or indefinite systems of TD losses.
"""

import tensorflow as tf

from omd_tf.implicit import tree


def _validate(max_iter, tol, ridge):
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter <= 0:
        raise ValueError(f"`max_iter` must be a positive int, got {max_iter!r}.")
    if not tol >= 0:
        raise ValueError(f"`tol` must be a non-negative number, got {tol!r}.")
    if not ridge >= 0:
        raise ValueError(f"`ridge` must be a non-negative number, got {ridge!r}.")


def solve_identity(matvec, b, **unused_options):
    """Approximates A⁻¹ by the identity: returns ``b`` unchanged."""
    del matvec, unused_options
    return b


def solve_cg(
    matvec, b, *, ridge=0.0, max_iter=10, tol=1e-6, batch_dims=0, rmatvec=None
):
    """Conjugate gradient for (A + ridge·I) x = b, A symmetric PSD.

    Args:
      matvec: v -> A v on nests of tensors shaped like ``b``.
      b: a nest of float tensors.
      ridge: damping added to the diagonal (>= 0).
      max_iter: iteration cap (positive int).
      tol: a problem stops when ‖r‖ <= tol·‖b‖ (each of a batch on its own).
      batch_dims: leading axes of every leaf that index independent systems.
      rmatvec: unused (A is symmetric); accepted so solvers are interchangeable.

    Returns:
      x, a nest shaped like ``b`` (x0 = 0).
    """
    del rmatvec
    _validate(max_iter, tol, ridge)
    flat_b, matvec = _flatten_system(b, matvec)

    def operator(v):
        return tree.add_scaled(matvec(v), ridge, v) if ridge else matvec(v)

    x = _cg(operator, flat_b, max_iter, tol, batch_dims)
    return tf.nest.pack_sequence_as(b, x)


def solve_normal_cg(
    matvec, b, *, rmatvec, ridge=0.0, max_iter=10, tol=1e-6, batch_dims=0
):
    """CG on the normal equations (AᵀA + ridge·I) x = Aᵀ b.

    Args as `solve_cg`, plus ``rmatvec``: v -> Aᵀ v (required).
    """
    if rmatvec is None:
        raise ValueError("`rmatvec` (v -> Aᵀv) is required by solve='normal_cg'.")
    _validate(max_iter, tol, ridge)
    flat_b, matvec = _flatten_system(b, matvec)
    _, rmatvec = _flatten_system(b, rmatvec)

    def operator(v):
        normal = rmatvec(matvec(v))
        return tree.add_scaled(normal, ridge, v) if ridge else normal

    x = _cg(operator, rmatvec(flat_b), max_iter, tol, batch_dims)
    return tf.nest.pack_sequence_as(b, x)


def _flatten_system(b, matvec):
    """Flat float tensors of the nest ``b`` and ``matvec`` acting on flat lists."""
    flat_b = [tf.convert_to_tensor(t) for t in tf.nest.flatten(b)]
    tree.check_float(flat_b, "b")

    def flat_matvec(v):
        return tf.nest.flatten(matvec(tf.nest.pack_sequence_as(b, v)))

    return flat_b, flat_matvec


def _cg(operator, b, max_iter, tol, batch_dims):
    """Plain CG from x0 = 0 on the SPD ``operator``; a tf.while_loop.

    With ``batch_dims`` a system that has converged (‖r‖ <= tol·‖b‖) takes
    no further steps while others go on, so its x is the one it would get
    solved alone: batched problems (population members) stay independent.
    """
    x = [tf.zeros_like(t) for t in b]
    r = list(b)
    p = list(b)
    rs = tree.vdot(r, r, batch_dims)
    threshold = tf.cast(tol, rs.dtype) ** 2 * rs

    def cond(i, x, r, p, rs):
        del x, r, p
        return tf.logical_and(i < max_iter, tf.reduce_any(rs > threshold))

    def body(i, x, r, p, rs):
        ap = operator(p)
        active = rs > threshold
        alpha = tf.where(
            active, tf.math.divide_no_nan(rs, tree.vdot(p, ap, batch_dims)), 0.0
        )
        x = tree.axpy(alpha, p, x, batch_dims)
        r = tree.axpy(-alpha, ap, r, batch_dims)
        rs_new = tree.vdot(r, r, batch_dims)
        beta = tf.where(active, tf.math.divide_no_nan(rs_new, rs), 0.0)
        p = tree.axpy(beta, p, r, batch_dims)
        return i + 1, x, r, p, rs_new

    _, x, _, _, _ = tf.while_loop(cond, body, (tf.constant(0), x, r, p, rs))
    return x


SOLVERS = {
    "identity": solve_identity,
    "cg": solve_cg,
    "normal_cg": solve_normal_cg,
}


def get_solver(name):
    """Returns the solver registered under ``name`` ('identity'|'cg'|'normal_cg')."""
    if name not in SOLVERS:
        raise ValueError(f"`solve` must be one of {sorted(SOLVERS)}, got {name!r}.")
    return SOLVERS[name]
