"""A run's TensorBoard scalars, read back without TensorBoard."""

import glob
import os

import tensorflow as tf


def read_scalars(root_dir, folder):
    """{tag: [(step, value)]} of the scalar summaries under ``root_dir/folder``.

    ``folder`` is 'train' or 'eval' (see the README's table of tags); steps
    are as written (train steps for 'train', env steps for 'eval').  Returns
    {} when the folder holds no event files.
    """
    values = {}
    pattern = os.path.join(root_dir, folder, "events.out.tfevents.*")
    for path in sorted(glob.glob(pattern)):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                values.setdefault(value.tag, []).append(
                    (event.step, float(tf.make_ndarray(value.tensor)))
                )
    return values
