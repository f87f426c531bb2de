"""Batched projected-Adam training of tabular models by OMD or MLE.

R independent runs (the leading axis of every tensor; each run has its own
norm bound κ, noise level σ and seed) advance together in one compiled
`tf.function`, which runs a `tf.while_loop` of outer steps.  One outer step:

* OMD: Q* = fixed point of B^θ (warm-started from the previous step's Q*,
  never differentiated), optionally Q* + σ·N(0, I) (Appendix C), then the
  objective −J(π_Q) or L_true(Q) and its gradient through
  `omd_tf.implicit.custom_root` with the residual F(θ, Q) = Q − B^θ Q, solved
  exactly (normal-equation CG) or with the identity approximation;
* MLE: the gradient of `model.mle_loss`;

then an Adam step (on tensors, per entry) and the projection θ ← κθ/‖θ‖.
"""

import collections
import dataclasses

import numpy as np
import tensorflow as tf

from omd_tf import implicit
from omd_tf.tabular import bellman
from omd_tf.tabular import mdp as mdp_lib
from omd_tf.tabular import model as model_lib

AGENTS = ("omd", "mle")
OBJECTIVES = ("returns", "bellman")
INVERSES = ("exact", "identity")

TrainState = collections.namedtuple(
    "TrainState", ["theta", "adam_m", "adam_v", "q", "step", "max_residual"]
)
TrainState.__doc__ = """State of R runs (float64 unless noted).

theta, adam_m, adam_v: `ModelParams` of [R, S, A, S] and [R, S, A] tensors.
q: [R, S, A], the last fixed point of B^θ (OMD's warm start; MLE: the draw).
step: int64 scalar, outer steps taken.
max_residual: [R], the largest fixed-point residual max|B^θQ − Q| seen (OMD).
"""


@dataclasses.dataclass(frozen=True)
class AgentConfig:
    """How one agent trains its model.

    Attributes:
      agent: 'omd' or 'mle'.
      objective: OMD's outer objective, 'returns' (maximise J(π_Q) in the true
        MDP) or 'bellman' (minimise L_true(Q)).
      inverse: OMD's (∂F/∂Q)⁻¹, 'exact' (normal-equation CG) or 'identity'.
      parameterization: 'paper', 'plain' or 'balanced' (see `omd_tf.tabular.model`).
      learning_rate: Adam's step size.
      alpha: temperature of the soft operator and the policy (and the logit
        scale of the 'paper' / 'balanced' parameterisations).
      fixed_point_tol, fixed_point_max_iter: stopping rule of the inner solver.
      cg_max_iter, cg_tol: the exact inverse's CG iterations and tolerance.
      jit_compile: compile the training loop with XLA.
    """

    agent: str = "omd"
    objective: str = "returns"
    inverse: str = "exact"
    parameterization: str = "balanced"
    learning_rate: float = 0.01
    alpha: float = 0.01
    fixed_point_tol: float = 1e-10
    fixed_point_max_iter: int = 100
    cg_max_iter: int = 40
    cg_tol: float = 1e-12
    jit_compile: bool = True

    def __post_init__(self):
        for name, choices in (
            ("agent", AGENTS),
            ("objective", OBJECTIVES),
            ("inverse", INVERSES),
            ("parameterization", model_lib.PARAMETERIZATIONS),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"`{name}` must be one of {choices}, got {getattr(self, name)!r}."
                )
        if not self.learning_rate > 0:
            raise ValueError(
                f"`learning_rate` must be positive, got {self.learning_rate!r}."
            )


def adam_update(params, grads, m, v, step, learning_rate, eps=1e-8):
    """One Adam step (β1 = 0.9, β2 = 0.999, ε outside the square root) on nests.

    ``step`` is the 1-based step count (float64 scalar).  Returns
    (params, m, v), nests shaped like ``params``.
    """
    b1, b2 = 0.9, 0.999
    m = tf.nest.map_structure(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
    v = tf.nest.map_structure(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
    params = tf.nest.map_structure(
        lambda p, m, v: p
        - learning_rate * (m / (1 - b1**step)) / (tf.sqrt(v / (1 - b2**step)) + eps),
        params,
        m,
        v,
    )
    return params, m, v


class Trainer:
    """Trains R runs of one agent on ``mdp``; the compiled loop is built once.

    Args:
      mdp: a `TabularMDP` (the true MDP).
      config: an `AgentConfig`.
    """

    def __init__(self, mdp, config):
        self.mdp = mdp
        self.config = config
        self.parameterization = model_lib.Parameterization(
            config.parameterization, config.alpha
        )
        self._run_steps = tf.function(
            self._run_steps_eager, jit_compile=config.jit_compile, autograph=False
        )

    @property
    def num_traces(self):
        """How often the compiled loop was traced (once per batch size R)."""
        return self._run_steps.experimental_get_tracing_count()

    def initial_state(self, seeds, bounds):
        """Initial `TrainState`: θ and Q drawn uniform[0, 1) per seed.

        θ is mapped by `Parameterization.initial` and projected onto ‖θ‖ <= κ.

        Args:
          seeds: [R] ints; bounds: [R] floats κ.
        """
        theta, q = model_lib.initial_draw(
            seeds, self.mdp.num_states, self.mdp.num_actions
        )
        theta = self.parameterization.project(
            tf.nest.map_structure(tf.constant, self.parameterization.initial(theta)),
            tf.constant(bounds, tf.float64),
        )
        zeros = tf.nest.map_structure(tf.zeros_like, theta)
        return TrainState(
            theta,
            zeros,
            zeros,
            tf.constant(q),
            tf.constant(0, tf.int64),
            tf.zeros([len(seeds)], tf.float64),
        )

    def train(
        self,
        seeds,
        bounds,
        sigmas=None,
        max_steps=10000,
        chunk_steps=1000,
        noise_seed=0,
        progress=None,
    ):
        """Runs ``max_steps`` outer steps for every run.

        Args:
          seeds: [R] ints seeding θ and the initial Q.
          bounds: [R] norm bounds κ >= 0.
          sigmas: [R] std of the Gaussian noise added to Q* before the outer
            gradient (OMD only); None for no noise.
          max_steps: outer steps.
          chunk_steps: steps per call of the compiled loop (progress granularity).
          noise_seed: int seeding the noise stream (shared by equal batches).
          progress: optional callable(steps_done, max_steps).

        Returns:
          The final `TrainState`.
        """
        bounds = np.asarray(bounds, np.float64)
        sigmas = (
            np.zeros_like(bounds) if sigmas is None else np.asarray(sigmas, np.float64)
        )
        for name, values in (("bounds", bounds), ("sigmas", sigmas)):
            if np.any(values < 0):
                raise ValueError(f"`{name}` must be >= 0, got min {values.min()}.")
        if sigmas.shape != bounds.shape or len(seeds) != len(bounds):
            raise ValueError("`seeds`, `bounds` and `sigmas` must all have shape [R].")
        state = self.initial_state(seeds, bounds)
        done = 0
        while done < max_steps:
            num_steps = min(chunk_steps, max_steps - done)
            state = self._run_steps(
                state,
                tf.constant(bounds),
                tf.constant(sigmas),
                tf.constant(num_steps, tf.int64),
                tf.constant(noise_seed, tf.int64),
            )
            done += num_steps
            if progress is not None:
                progress(done, max_steps)
        return state

    def _run_steps_eager(self, state, bounds, sigmas, num_steps, noise_seed):
        def body(i, state):
            return i + 1, self._step(state, bounds, sigmas, noise_seed)

        _, state = tf.while_loop(
            lambda i, _: i < num_steps, body, (tf.constant(0, tf.int64), state)
        )
        return state

    def _step(self, state, bounds, sigmas, noise_seed):
        config = self.config
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(state.theta)
            if config.agent == "mle":
                losses = model_lib.mle_loss(
                    state.theta, self.parameterization, self.mdp
                )
                q, residual = state.q, tf.zeros_like(state.max_residual)
            else:
                noise = sigmas[:, None, None] * tf.random.stateless_normal(
                    tf.shape(state.q),
                    tf.stack([noise_seed, state.step]),
                    dtype=tf.float64,
                )
                losses, fixed = self.omd_losses(state.theta, state.q, noise)
                q, residual = fixed.q, fixed.residual
            total = tf.reduce_sum(losses)  # runs are independent: per-run gradients
        grads = tape.gradient(total, state.theta)
        step = state.step + 1
        theta, m, v = adam_update(
            state.theta,
            grads,
            state.adam_m,
            state.adam_v,
            tf.cast(step, tf.float64),
            config.learning_rate,
        )
        theta = self.parameterization.project(theta, bounds)
        return TrainState(
            theta, m, v, q, step, tf.maximum(state.max_residual, residual)
        )

    def omd_losses(self, theta, q_warm, noise):
        """OMD's per-run losses, differentiable w.r.t. θ by the IFT.

        Args:
          theta: `ModelParams` of [R, S, A, S] and [R, S, A] float64 tensors.
          q_warm: [R, S, A], the fixed-point solver's starting point.
          noise: [R, S, A], added to Q* before the objective (zeros for none).

        Returns:
          (losses [R]: −J(π_Q) or L_true(Q), the noise-free `FixedPoint` of B^θ).
        """
        config, mdp = self.config, self.mdp
        model = self.parameterization

        def model_bellman(th, q):
            return bellman.soft_bellman(
                q, model.transitions(th), th.rewards, mdp.discount, config.alpha
            )

        const = tf.nest.map_structure(tf.stop_gradient, theta)
        fixed = bellman.fixed_point(
            model.transitions(const),
            const.rewards,
            q_warm,
            mdp.discount,
            config.alpha,
            config.fixed_point_tol,
            config.fixed_point_max_iter,
        )
        root = implicit.custom_root(
            lambda th, q: q - model_bellman(th, q),
            solve="normal_cg" if config.inverse == "exact" else "identity",
            max_iter=config.cg_max_iter,
            tol=config.cg_tol,
            batch_dims=1,
        )
        # The solver is a black box for the IFT: it returns the fixed point found
        # above (plus Appendix C's noise); its gradient comes from F alone.
        q = root(lambda _: fixed.q + noise)(theta)
        if config.objective == "returns":
            losses = -mdp_lib.expected_return(mdp, bellman.soft_policy(q, config.alpha))
        else:
            losses = bellman.bellman_error(q, mdp, config.alpha)
        return losses, fixed
