"""Arithmetic on flat lists of tensors (the vectors of the implicit core).

A "vector" here is a list of float tensors, one per variable.  With
``batch_dims = k`` the first ``k`` axes of every leaf index independent
problems (e.g. seeds), and inner products keep those axes.
"""

import tensorflow as tf


def check_float(values, name):
    """Raises TypeError unless every leaf of ``values`` has a floating dtype."""
    for i, value in enumerate(tf.nest.flatten(values)):
        dtype = tf.as_dtype(value.dtype)
        if not dtype.is_floating:
            raise TypeError(
                f"`{name}` must hold floating-point tensors; element {i} has dtype "
                f"{dtype.name}."
            )


def check_same_structure(a, b, name_a, name_b):
    """Raises ValueError unless ``a`` and ``b`` are nests of the same shape."""
    try:
        tf.nest.assert_same_structure(a, b, expand_composites=False)
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"`{name_a}` and `{name_b}` must have the same nested structure: {e}"
        ) from None
    for i, (x, y) in enumerate(zip(tf.nest.flatten(a), tf.nest.flatten(b))):
        if not x.shape.is_compatible_with(y.shape):
            raise ValueError(
                f"`{name_a}` and `{name_b}` differ in shape at element {i}: "
                f"{x.shape} vs {y.shape}."
            )


def vdot(a, b, batch_dims=0):
    """Sum over leaves of <a_i, b_i>, reduced over all but the batch axes."""
    total = 0.0
    for x, y in zip(a, b):
        axes = list(range(batch_dims, len(x.shape)))
        total += tf.reduce_sum(x * y, axis=axes)
    return total


def norm(x, batch_dims=0):
    """‖x‖₂ over all leaves, one per problem; finite for every finite ``x``.

    Computed as m·‖x / m‖ with m the largest |x_i|, so that the sum of
    squares does not overflow float32 for norms above ~1e19.
    """
    largest = 0.0
    for xi in x:
        axes = list(range(batch_dims, len(xi.shape)))
        largest = tf.maximum(largest, tf.reduce_max(tf.abs(xi), axis=axes))
    divisor = tf.where(largest > 0, largest, tf.ones_like(largest))
    scaled = scale(1.0 / divisor, x, batch_dims)
    return largest * tf.sqrt(vdot(scaled, scaled, batch_dims))


def _expand(scalar, like, batch_dims):
    """Reshapes a per-problem scalar [B...] so that it broadcasts over ``like``."""
    return (
        tf.reshape(
            scalar,
            tf.concat(
                [tf.shape(scalar), tf.ones([len(like.shape) - batch_dims], tf.int32)],
                axis=0,
            ),
        )
        if batch_dims
        else scalar
    )


def axpy(alpha, x, y, batch_dims=0):
    """alpha * x + y, leafwise; alpha is a scalar or has the batch shape."""
    return [_expand(alpha, xi, batch_dims) * xi + yi for xi, yi in zip(x, y)]


def scale(alpha, x, batch_dims=0):
    """alpha * x, leafwise."""
    return [_expand(alpha, xi, batch_dims) * xi for xi in x]


def add_scaled(x, alpha, y):
    """x + alpha * y for a Python/scalar alpha, leafwise."""
    return [xi + alpha * yi for xi, yi in zip(x, y)]
