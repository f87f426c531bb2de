"""Matrix-free second-order products of scalar losses.

All functions take zero-argument closures that read the given variables (or
watched tensors) and return lists shaped like their ``variables`` argument;
no Hessian or Jacobian is ever formed.

* `hvp`:        ∂²L/∂w² · v        (forward-over-back or back-over-back)
* `mixed_vjp`:  vᵀ · ∂²L/∂θ∂w      (two nested GradientTapes)
* `vjp`, `jvp`: products with the Jacobian of a vector-valued function.
"""

import tensorflow as tf

from omd_tf.implicit import tree

HVP_MODES = ("forward_over_back", "back_over_back")
_ZERO = tf.UnconnectedGradients.ZERO


def _as_list(variables, name):
    variables = list(variables)
    if not variables:
        raise ValueError(f"`{name}` must be a non-empty list of variables or tensors.")
    tree.check_float(variables, name)
    return variables


def gradient(loss_fn, variables):
    """∂L/∂w for the scalar ``loss_fn()``; zeros where L does not depend on w."""
    variables = _as_list(variables, "variables")
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(variables)
        loss = loss_fn()
    return tape.gradient(loss, variables, unconnected_gradients=_ZERO)


def hvp(loss_fn, variables, vector, mode="forward_over_back"):
    """Hessian-vector product ∂²L/∂w² · v.

    Args:
      loss_fn: zero-argument callable returning a scalar L that reads
        ``variables``.
      variables: list of float variables (or tensors) w.
      vector: list of tensors v shaped like ``variables``.
      mode: 'forward_over_back' (a ForwardAccumulator over the gradient, about
        the cost of 2 gradients) or 'back_over_back' (reverse over reverse).

    Returns:
      List of tensors shaped like ``variables``.
    """
    variables = _as_list(variables, "variables")
    vector = list(vector)
    tree.check_same_structure(variables, vector, "variables", "vector")
    if mode == "forward_over_back":
        with tf.autodiff.ForwardAccumulator(variables, vector) as accumulator:
            grads = gradient(loss_fn, variables)
        return accumulator.jvp(grads, unconnected_gradients=_ZERO)
    if mode == "back_over_back":
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(variables)
            grads = gradient(loss_fn, variables)
        return tape.gradient(
            grads, variables, output_gradients=vector, unconnected_gradients=_ZERO
        )
    raise ValueError(f"`mode` must be one of {HVP_MODES}, got {mode!r}.")


def mixed_vjp(loss_fn, inner_variables, outer_variables, vector):
    """vᵀ · ∂²L/∂θ∂w = ∂/∂θ ⟨∂L/∂w, v⟩, with w inner and θ outer variables.

    Args:
      loss_fn: zero-argument callable returning a scalar L(θ, w).
      inner_variables: list of float variables w.
      outer_variables: list of float variables θ.
      vector: list of tensors v shaped like ``inner_variables``.

    Returns:
      List of tensors shaped like ``outer_variables``.
    """
    inner = _as_list(inner_variables, "inner_variables")
    outer = _as_list(outer_variables, "outer_variables")
    vector = list(vector)
    tree.check_same_structure(inner, vector, "inner_variables", "vector")
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(outer)
        grads = gradient(loss_fn, inner)
    return tape.gradient(
        grads, outer, output_gradients=vector, unconnected_gradients=_ZERO
    )


def vjp(fn, variables, cotangent):
    """(∂f/∂w)ᵀ · u for the nest-valued ``fn()``; u shaped like fn's output."""
    variables = _as_list(variables, "variables")
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(variables)
        outputs = fn()
    return tape.gradient(
        outputs, variables, output_gradients=cotangent, unconnected_gradients=_ZERO
    )


def jvp(fn, variables, tangent):
    """(∂f/∂w) · v for the nest-valued ``fn()``; v shaped like ``variables``."""
    variables = _as_list(variables, "variables")
    tangent = list(tangent)
    tree.check_same_structure(variables, tangent, "variables", "tangent")
    with tf.autodiff.ForwardAccumulator(variables, tangent) as accumulator:
        outputs = fn()
    return accumulator.jvp(outputs, unconnected_gradients=_ZERO)
