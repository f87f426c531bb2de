"""Inner solvers: callables that move inner variables towards w*(θ)."""

import tensorflow as tf


def gradient_steps(inner_loss_fn, inner_variables, optimizer, num_steps=1):
    """Returns a zero-argument callable doing ``num_steps`` optimiser steps.

    Warm-started: each call continues from the variables' current values (the
    paper's K inner steps per outer step).

    Args:
      inner_loss_fn: zero-argument callable returning the scalar L(θ, w).
      inner_variables: list of variables w to update.
      optimizer: a `tf.keras.optimizers.Optimizer`.
      num_steps: K, a positive int.
    """
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps <= 0:
        raise ValueError(f"`num_steps` must be a positive int, got {num_steps!r}.")
    variables = list(inner_variables)

    def run():
        for _ in range(num_steps):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(variables)
                loss = inner_loss_fn()
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    return run
