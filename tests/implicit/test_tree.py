"""tree.norm: the L2 norm of a list of tensors, per problem, without overflow."""

import numpy as np
import pytest
import tensorflow as tf

from omd_tf.implicit import tree


@pytest.mark.parametrize("magnitude", [1e-3, 1.0, 1e25])
def test_norm_matches_float64_numpy_at_any_finite_scale(magnitude):
    """1e25: the float32 sum of squares overflows (> 3.4e38); the norm does not."""
    rng = np.random.default_rng(0)
    leaves = [rng.normal(size=(3, 4)), rng.normal(size=(3, 5, 2))]
    x = [tf.constant(leaf * magnitude, tf.float32) for leaf in leaves]
    got = tree.norm(x).numpy()
    want = np.sqrt(sum(np.sum(np.square(leaf * magnitude)) for leaf in leaves))
    assert np.isfinite(got)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    per_problem = tree.norm(x, batch_dims=1).numpy()  # Leading axis of 3.
    want = np.sqrt(
        sum(np.sum(np.square(leaf * magnitude), axis=tuple(range(1, leaf.ndim)))
            for leaf in leaves)
    )
    np.testing.assert_allclose(per_problem, want, rtol=1e-5)


def test_norm_of_zeros_is_zero_per_problem():
    x = [tf.constant([[0.0, 0.0], [3.0, 4.0]])]
    np.testing.assert_array_equal(tree.norm(x, batch_dims=1).numpy(), [0.0, 5.0])
