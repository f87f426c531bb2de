"""Files written whole or not at all.

`writing(path)` writes under a temporary name beside ``path`` and renames the
file into place when the block ends without error, so any file that exists
at ``path`` is complete; on an error the temporary file is removed and
``path`` is left as it was.  Uses `tf.io.gfile`, so ``path`` may be on any
file system TensorFlow can write to.
"""

import contextlib
import os

import tensorflow as tf


@contextlib.contextmanager
def writing(path, mode="w"):
    """Yields a file object open for writing ('w' text or 'wb' bytes) in place of ``path``."""
    if mode not in ("w", "wb"):
        raise ValueError(f"`mode` must be 'w' or 'wb', got {mode!r}.")
    partial = f"{path}.partial{os.getpid()}"
    try:
        with tf.io.gfile.GFile(partial, mode) as f:
            yield f
        tf.io.gfile.rename(partial, path, overwrite=True)
    finally:
        if tf.io.gfile.exists(partial):
            tf.io.gfile.remove(partial)
