"""Keras face of the implicit core: a network whose weights solve an inner problem."""

import tensorflow as tf

from omd_tf.implicit import root


class ImplicitLayer(tf.keras.layers.Layer):
    """Calls ``network`` with gradients w.r.t. outer variables by the IFT.

    The network's trainable weights w are the inner solution of a problem
    parameterised by ``outer_variables`` θ (for OMD: Q-network weights trained
    on a model's predictions).  ``layer(inputs)`` first runs ``inner_solver``
    (if given, e.g. K optimiser steps) and then returns ``network(inputs)``;
    ``tape.gradient(loss(layer(x)), model.trainable_variables)`` is the
    implicit hypergradient dL/dθ.

    Args:
      network: a Keras layer/model or callable owning the inner variables.
      outer_variables: sequence of θ variables, or a zero-argument callable
        returning them (e.g. ``lambda: model.trainable_variables``).  They
        are not tracked as this layer's weights.
      inner_loss_fn / residual_fn: the optimality condition (zero-argument
        closures), see `omd_tf.implicit.implicit_call`.
      inner_solver: optional zero-argument callable moving w towards w*(θ).
      solve: 'identity' | 'cg' | 'normal_cg'.
      hvp_mode: 'forward_over_back' | 'back_over_back'.
      solve_options: dict of ridge, max_iter, tol.
    """

    def __init__(
        self,
        network,
        outer_variables,
        *,
        inner_loss_fn=None,
        residual_fn=None,
        inner_solver=None,
        solve="identity",
        hvp_mode="forward_over_back",
        solve_options=None,
        **kwargs
    ):
        super().__init__(**kwargs)
        if not callable(network):
            raise TypeError("`network` must be callable (a Keras layer or model).")
        self.network = network
        outer = outer_variables if callable(outer_variables) else tuple(outer_variables)
        self._outer_variables = outer if callable(outer) else (lambda: outer)
        self._condition = dict(
            inner_loss_fn=inner_loss_fn,
            residual_fn=residual_fn,
            solve=solve,
            hvp_mode=hvp_mode,
            **(solve_options or {})
        )
        self._inner_solver = inner_solver

    def call(self, inputs):
        if self._inner_solver is not None:
            self._inner_solver()
        return root.implicit_call(
            lambda: self.network(inputs),
            self.network.trainable_variables,
            self._outer_variables(),
            **self._condition
        )
