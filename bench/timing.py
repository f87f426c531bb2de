"""Round-robin timing for the benchmarks: the machine's noise hits every candidate alike."""

import statistics
import time

import tensorflow as tf


def _read_back(value):
    """A tensor's value on the host (so asynchronous work is timed); anything else as is."""
    return value.numpy() if tf.is_tensor(value) else value


def median_seconds(fns, repeats):
    """Median wall seconds per call of each fn(), timed round-robin.

    Args:
      fns: dict key -> function of no arguments; each is called once first
        (trace / compile), untimed.  The tensors it returns are read back
        inside the timing.
      repeats: timed calls of each function.
    Returns:
      dict key -> median seconds per call.
    """
    for fn in fns.values():
        fn()
    times = {key: [] for key in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            start = time.perf_counter()
            tf.nest.map_structure(_read_back, fn())
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(t) for key, t in times.items()}
