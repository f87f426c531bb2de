"""Shared test set-up: quiet TensorFlow logs, seeded randomness."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=g-import-not-at-top
import pytest  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global seeds."""
    tf.random.set_seed(0)
    np.random.seed(0)


@pytest.fixture
def nan_rewards():
    """``nan_rewards(experience, members)``: a population's [N, B, T]
    ``experience`` with the rewards of ``members`` (indices) NaN."""

    def poison(experience, members):
        rows = tf.reduce_any(
            tf.range(tf.shape(experience.reward)[0])[:, None] == members, axis=1
        )
        return experience._replace(
            reward=tf.where(rows[:, None, None], np.nan, experience.reward)
        )

    return poison
