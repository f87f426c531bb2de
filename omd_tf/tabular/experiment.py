"""The tabular experiments of the paper: Figures 2, 3 (right) and 6.

* bound sweep (Figures 2 and 3 right): OMD and MLE trained at every κ on
  linspace(0, max_bound, num_bounds) for every seed, then evaluated (J in the
  true MDP, max|Q* − Q̂| and the Theorem 2 bounds).  One training serves both
  figures.
* IFT noise (Figure 6): OMD at κ = noise_bound with Gaussian noise of std σ
  added to Q* before every outer gradient, exact vs identity inverse; J of the
  final (noise-free) model.

Runs of one agent are batched: seeds × bounds (or seeds × σ) advance in one
compiled loop (`train.Trainer`).
"""

import collections
import dataclasses

import numpy as np

from omd_tf.tabular import metrics
from omd_tf.tabular import train

SweepResult = collections.namedtuple(
    "SweepResult", ["bounds", "evaluations", "max_residual"]
)
SweepResult.__doc__ = """bounds: [K] κ values.  evaluations: {'omd', 'mle'} ->
`metrics.Evaluation` of [K, N] arrays (N seeds).  max_residual: OMD's largest
training fixed-point residual."""

NoiseResult = collections.namedtuple(
    "NoiseResult", ["sigmas", "returns", "max_residual"]
)
NoiseResult.__doc__ = """sigmas: [M] noise stds.  returns: {'exact', 'identity'}
-> [M, N] J of the final models.  max_residual: largest training residual."""


@dataclasses.dataclass(frozen=True)
class Protocol:
    """Everything that defines a run of the tabular experiments.

    Attributes:
      num_seeds: seeds 0 .. num_seeds − 1 (θ and the initial Q per seed).
      num_bounds, max_bound: κ on linspace(0, max_bound, num_bounds).
      max_steps: outer steps per run.
      objective: OMD's objective, 'returns' (J) or 'bellman' (L_true).
      parameterization: 'paper', 'plain' or 'balanced' (`omd_tf.tabular.model`).
      noise_bound: κ of the IFT-noise experiment.
      noise_sigmas: the σ values of Figure 6.
      learning_rate, alpha: Adam's step size; the temperature.
      chunk_steps: steps per compiled call (progress granularity).
      jit_compile: compile training with XLA.
    """

    num_seeds: int = 10
    num_bounds: int = 20
    max_bound: float = 6.0
    max_steps: int = 10000
    objective: str = "returns"
    parameterization: str = "balanced"
    noise_bound: float = 6.0
    noise_sigmas: tuple = tuple(np.logspace(-3, 0.5, 30))
    learning_rate: float = 0.01
    alpha: float = 0.01
    chunk_steps: int = 1000
    jit_compile: bool = True

    def __post_init__(self):
        for name in ("num_seeds", "num_bounds", "max_steps", "chunk_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"`{name}` must be >= 1, got {getattr(self, name)}.")
        for name in ("max_bound", "noise_bound"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"`{name}` must be >= 0, got {getattr(self, name)}.")
        if min(self.noise_sigmas, default=-1.0) < 0:
            raise ValueError("`noise_sigmas` must be a non-empty tuple of stds >= 0.")
        # Validates objective and parameterization.
        self.agent_config("omd")

    @property
    def bounds(self):
        """[K] float64, the κ grid."""
        return np.linspace(0.0, self.max_bound, self.num_bounds)

    @property
    def seeds(self):
        """[N] int, the seeds."""
        return np.arange(self.num_seeds)

    def agent_config(self, agent, inverse="exact"):
        """The `train.AgentConfig` of ``agent`` ('omd'|'mle') under this protocol."""
        return train.AgentConfig(
            agent=agent,
            objective=self.objective,
            inverse=inverse,
            parameterization=self.parameterization,
            learning_rate=self.learning_rate,
            alpha=self.alpha,
            jit_compile=self.jit_compile,
        )


def run_bound_sweep(mdp, protocol, progress=None):
    """Trains and evaluates OMD and MLE at every (κ, seed).

    Args:
      mdp: the true `TabularMDP`.
      protocol: a `Protocol`.
      progress: optional callable(label, steps_done, max_steps).

    Returns:
      A `SweepResult`.
    """
    bounds, seeds = protocol.bounds, protocol.seeds
    grid = (len(bounds), len(seeds))
    evaluations, max_residual = {}, 0.0
    for agent in ("omd", "mle"):
        trainer = train.Trainer(mdp, protocol.agent_config(agent))
        state = trainer.train(
            np.tile(seeds, len(bounds)),
            np.repeat(bounds, len(seeds)),
            max_steps=protocol.max_steps,
            chunk_steps=protocol.chunk_steps,
            progress=_label(progress, f"bound sweep, {agent.upper()}"),
        )
        evaluation = metrics.evaluate(
            mdp, trainer.parameterization, state.theta, protocol.alpha
        )
        evaluations[agent] = metrics.Evaluation(
            *(np.reshape(x, grid) for x in evaluation)
        )
        max_residual = max(max_residual, float(np.max(state.max_residual)))
    return SweepResult(bounds, evaluations, max_residual)


def run_ift_noise(mdp, protocol, progress=None):
    """OMD at κ = noise_bound under noisy Q*, exact vs identity inverse.

    Both inverses see the same noise draws (same seed and batch layout).

    Returns:
      A `NoiseResult`.
    """
    sigmas, seeds = np.asarray(protocol.noise_sigmas), protocol.seeds
    runs = len(sigmas) * len(seeds)
    returns, max_residual = {}, 0.0
    for inverse in ("exact", "identity"):
        trainer = train.Trainer(mdp, protocol.agent_config("omd", inverse))
        state = trainer.train(
            np.tile(seeds, len(sigmas)),
            np.full(runs, protocol.noise_bound),
            sigmas=np.repeat(sigmas, len(seeds)),
            max_steps=protocol.max_steps,
            chunk_steps=protocol.chunk_steps,
            progress=_label(progress, f"IFT noise, {inverse} inverse"),
        )
        evaluation = metrics.evaluate(
            mdp, trainer.parameterization, state.theta, protocol.alpha
        )
        returns[inverse] = evaluation.returns.reshape(len(sigmas), len(seeds))
        max_residual = max(max_residual, float(np.max(state.max_residual)))
    return NoiseResult(sigmas, returns, max_residual)


def _label(progress, label):
    if progress is None:
        return None
    return lambda done, total: progress(label, done, total)
