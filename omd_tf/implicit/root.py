"""Implicit differentiation of an inner solution w*(θ) with F(θ, w*) = 0.

By the implicit function theorem, for a cotangent v on w*,

    vᵀ dw*/dθ = −uᵀ ∂F/∂θ,   where (∂F/∂w)ᵀ u = v.

The optimality condition F is given either as a residual (``residual_fn``),
e.g. F = Q − B^θ Q for a fixed point, or as an inner loss (``inner_loss_fn``)
whose stationarity F = ∂L/∂w is the condition; then ∂F/∂w is the (symmetric)
Hessian and ∂F/∂θ the mixed second derivative, both applied matrix-free.
``solve='identity'`` takes u = v (the paper's approximation (∂F/∂w)⁻¹ ≈ I,
eq. 13), ``'cg'`` / ``'normal_cg'`` solve for u iteratively.

Two entry points share this rule:

* `custom_root`: functional, θ and w are nests of tensors (tabular OMD).
* `implicit_call`: w and θ are variables (Keras networks); the value of a
  computation on w gets gradients w.r.t. θ (function approximation OMD).
"""

import functools

import tensorflow as tf

from omd_tf.implicit import autodiff
from omd_tf.implicit import linear_solve
from omd_tf.implicit import tree


class OptimalityCondition:
    """F(θ, w) = 0 at the inner solution, as closures over lists of w and θ.

    Exactly one of ``residual_fn`` (zero-arg, returns a list shaped like w) and
    ``inner_loss_fn`` (zero-arg, returns a scalar L with F = ∂L/∂w) is given.
    """

    def __init__(
        self,
        inner,
        outer,
        residual_fn=None,
        inner_loss_fn=None,
        hvp_mode="forward_over_back",
    ):
        if (residual_fn is None) == (inner_loss_fn is None):
            raise ValueError(
                "Give exactly one of `residual_fn` (F(θ, w) = 0) and "
                "`inner_loss_fn` (F = ∂L/∂w)."
            )
        if hvp_mode not in autodiff.HVP_MODES:
            raise ValueError(
                f"`hvp_mode` must be one of {autodiff.HVP_MODES}, got {hvp_mode!r}."
            )
        self._inner = list(inner)
        self._outer = list(outer)
        self._residual_fn = residual_fn
        self._inner_loss_fn = inner_loss_fn
        self._hvp_mode = hvp_mode

    def matvec_transposed(self, v):
        """(∂F/∂w)ᵀ v."""
        if self._inner_loss_fn is not None:
            return autodiff.hvp(self._inner_loss_fn, self._inner, v, self._hvp_mode)
        return autodiff.vjp(self._residual_fn, self._inner, v)

    def matvec(self, v):
        """(∂F/∂w) v."""
        if self._inner_loss_fn is not None:
            return self.matvec_transposed(v)
        return autodiff.jvp(self._residual_fn, self._inner, v)

    def outer_vjp(self, u):
        """uᵀ ∂F/∂θ, a list shaped like θ."""
        if self._inner_loss_fn is not None:
            return autodiff.mixed_vjp(self._inner_loss_fn, self._inner, self._outer, u)
        return autodiff.vjp(self._residual_fn, self._outer, u)

    def implicit_vjp(self, cotangent, solve, solve_options):
        """vᵀ dw*/dθ = −uᵀ ∂F/∂θ with (∂F/∂w)ᵀ u = v; a list shaped like θ."""
        u = linear_solve.get_solver(solve)(
            self.matvec_transposed,
            list(cotangent),
            rmatvec=self.matvec,
            **solve_options,
        )
        return [-g for g in self.outer_vjp(u)]


def _check_solve(solve, solve_options):
    linear_solve.get_solver(solve)
    unknown = set(solve_options) - {"ridge", "max_iter", "tol", "batch_dims"}
    if unknown:
        raise ValueError(
            f"Unknown linear-solve option(s) {sorted(unknown)}; expected "
            "ridge, max_iter, tol, batch_dims."
        )
    linear_solve._validate(  # pylint: disable=protected-access
        solve_options.get("max_iter", 10),
        solve_options.get("tol", 1e-6),
        solve_options.get("ridge", 0.0),
    )


def custom_root(
    residual_fn=None,
    *,
    inner_loss_fn=None,
    solve="identity",
    hvp_mode="forward_over_back",
    **solve_options,
):
    """Decorates ``solver(theta) -> w*`` so that w* has implicit gradients.

    Args:
      residual_fn: F(theta, w) -> nest shaped like w, zero at the solution.
      inner_loss_fn: L(theta, w) -> scalar; the condition is ∂L/∂w = 0.
        Exactly one of the two is given.
      solve: 'identity' | 'cg' | 'normal_cg' (see `linear_solve`).
      hvp_mode: how Hessian-vector products of ``inner_loss_fn`` are taken.
      **solve_options: ridge, max_iter, tol, batch_dims of the linear solve.

    Returns:
      A decorator; the decorated function maps a nest of float tensors theta
      to the solver's w*, differentiable w.r.t. theta by the implicit function
      theorem (the solver itself is never differentiated).
    """
    if (residual_fn is None) == (inner_loss_fn is None):
        raise ValueError(
            "Give exactly one of `residual_fn` (F(θ, w) = 0) and "
            "`inner_loss_fn` (F = ∂L/∂w)."
        )
    _check_solve(solve, solve_options)

    def decorator(solver):

        @functools.wraps(solver)
        def solve_with_implicit_gradient(theta):
            flat_theta = [tf.convert_to_tensor(t) for t in tf.nest.flatten(theta)]
            tree.check_float(flat_theta, "theta")
            w_structure = []

            @tf.custom_gradient
            def root(*flat_theta):
                theta_in = tf.nest.pack_sequence_as(theta, flat_theta)
                w_star = solver(theta_in)
                flat_w = [tf.convert_to_tensor(t) for t in tf.nest.flatten(w_star)]
                tree.check_float(flat_w, "solver output")
                w_structure.append(w_star)

                def grad_fn(*cotangent):
                    w_const = [tf.stop_gradient(w) for w in flat_w]
                    theta_const = [tf.stop_gradient(t) for t in flat_theta]

                    def bind(fn):
                        if fn is None:
                            return None
                        return lambda: tf.nest.flatten(
                            fn(
                                tf.nest.pack_sequence_as(theta, theta_const),
                                tf.nest.pack_sequence_as(w_star, w_const),
                            )
                        )

                    condition = OptimalityCondition(
                        w_const,
                        theta_const,
                        residual_fn=bind(residual_fn),
                        inner_loss_fn=(
                            None
                            if inner_loss_fn is None
                            else lambda: bind(inner_loss_fn)()[0]
                        ),
                        hvp_mode=hvp_mode,
                    )
                    return condition.implicit_vjp(cotangent, solve, solve_options)

                return flat_w, grad_fn

            flat_w = root(*flat_theta)
            return tf.nest.pack_sequence_as(w_structure[-1], flat_w)

        return solve_with_implicit_gradient

    return decorator


def implicit_call(
    fn,
    inner_variables,
    outer_variables,
    *,
    residual_fn=None,
    inner_loss_fn=None,
    solve="identity",
    hvp_mode="forward_over_back",
    **solve_options,
):
    """Evaluates ``fn()`` with implicit gradients from w to θ.

    ``fn`` reads the inner variables w, which are taken to solve the inner
    problem F(θ, w) = 0 at their current values (run the inner solver first).
    Gradients of the result w.r.t. the outer variables θ are then
    ∂fn/∂θ + (∂fn/∂w) dw*/dθ with dw*/dθ from the implicit function theorem;
    every other variable (w included) gets its ordinary gradient.

    Args:
      fn: zero-argument callable returning a nest of float tensors.
      inner_variables: list of float variables w (e.g. Q-network weights).
      outer_variables: list of float variables θ (e.g. model weights).
      residual_fn / inner_loss_fn: the optimality condition, zero-argument
        closures reading w and θ (see `OptimalityCondition`).
      solve, hvp_mode, **solve_options: as in `custom_root`.

    Returns:
      ``fn()``'s value.
    """
    inner = list(inner_variables)
    outer = list(outer_variables)
    for name, variables in (("inner_variables", inner), ("outer_variables", outer)):
        if not variables or not all(isinstance(v, tf.Variable) for v in variables):
            raise TypeError(f"`{name}` must be a non-empty list of tf.Variable.")
        tree.check_float(variables, name)
    condition = OptimalityCondition(
        inner,
        outer,
        residual_fn=residual_fn,
        inner_loss_fn=inner_loss_fn,
        hvp_mode=hvp_mode,
    )
    _check_solve(solve, solve_options)
    outer_refs = [v.ref() for v in outer]
    inner_refs = [v.ref() for v in inner]
    structure = []

    @tf.custom_gradient
    def call():
        for v in outer:  # Reading θ makes custom_gradient route gradients to it.
            v.read_value()
        with tf.GradientTape(persistent=True) as tape:
            output = fn()
        flat_output = tf.nest.flatten(output)
        tree.check_float(flat_output, "fn's output")
        structure.append(output)

        def grad_fn(*cotangent, variables=()):
            variables = list(variables)
            refs = [v.ref() for v in variables]
            missing = [
                v
                for v, r in zip(inner + outer, inner_refs + outer_refs)
                if r not in refs
            ]
            direct = tape.gradient(
                flat_output, variables + missing, output_gradients=list(cotangent)
            )
            direct_by_ref = dict(zip(refs + [v.ref() for v in missing], direct))
            w_cotangent = [
                (
                    tf.zeros_like(v)
                    if direct_by_ref[r] is None
                    else tf.convert_to_tensor(direct_by_ref[r])
                )
                for v, r in zip(inner, inner_refs)
            ]
            implicit = dict(
                zip(
                    outer_refs,
                    condition.implicit_vjp(w_cotangent, solve, solve_options),
                )
            )
            grads = []
            for r in refs:
                g = direct_by_ref[r]
                if r in implicit:
                    g = (
                        implicit[r]
                        if g is None
                        else tf.convert_to_tensor(g) + implicit[r]
                    )
                grads.append(g)
            return [], grads

        return flat_output, grad_fn

    flat_output = call()
    return tf.nest.pack_sequence_as(structure[-1], flat_output)
