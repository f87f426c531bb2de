"""Tabular model θ = (transition logits, rewards), its norm ball and the MLE loss.

Every parameterisation uses p_θ = softmax(E) with effective logits E = c·L,
r_θ = θ.rewards, and bounds the Euclidean norm of the effective parameters
(E, r) over all |S|·|A|·|S| + |S|·|A| entries.  They differ in the scale c, which
sets how fast Adam (a per-coordinate, scale-free step of size lr on θ) moves E,
and in the initial model, drawn from θ's uniform[0, 1) draw u:

==========  =====  ===================  =====================================
name        c      initial L            Adam step on E vs on r
==========  =====  ===================  =====================================
'paper'     1/α    u  (E = u/α)         1/α times larger (the paper's code)
'plain'     1      u  (E = u)           equal
'balanced'  1      u/α (E = u/α)        equal; same initial model as 'paper'
==========  =====  ===================  =====================================

The initial θ is then projected onto the ball like every later iterate, so with
'paper' and 'balanced' the large initial logits leave rewards of order κ·α.
"""

import collections

import numpy as np
import tensorflow as tf

PARAMETERIZATIONS = ("paper", "plain", "balanced")

ModelParams = collections.namedtuple("ModelParams", ["logits", "rewards"])
ModelParams.__doc__ = """θ: logits [..., S, A, S] and rewards [..., S, A], float64."""


class Parameterization:
    """Maps θ to the model (p_θ, r_θ) and projects θ onto {‖θ‖ <= κ}.

    Args:
      name: 'paper', 'plain' or 'balanced' (see the module docstring).
      alpha: the temperature α, which scales the logits ('paper') or their
        initial draw ('balanced').
    """

    def __init__(self, name="balanced", alpha=0.01):
        if name not in PARAMETERIZATIONS:
            raise ValueError(
                f"`parameterization` must be one of {PARAMETERIZATIONS}, got {name!r}."
            )
        if not alpha > 0:
            raise ValueError(f"`alpha` must be positive, got {alpha!r}.")
        self.name = name
        self.logit_scale = 1.0 / alpha if name == "paper" else 1.0
        self.initial_logit_scale = 1.0 / alpha if name == "balanced" else 1.0

    def initial(self, uniform_draw):
        """Initial θ (before projection) from a uniform[0, 1) `ModelParams` draw."""
        return uniform_draw._replace(
            logits=self.initial_logit_scale * uniform_draw.logits
        )

    def transition_logits(self, theta):
        """Effective logits E = c·L: [..., S, A, S]."""
        return self.logit_scale * theta.logits

    def transitions(self, theta):
        """p_θ(s'|s, a) = softmax(E): [..., S, A, S]."""
        return tf.nn.softmax(self.transition_logits(theta), axis=-1)

    def norm(self, theta):
        """‖(E, r)‖: [...]."""
        squares = tf.reduce_sum(
            tf.square(self.transition_logits(theta)), axis=[-3, -2, -1]
        ) + tf.reduce_sum(tf.square(theta.rewards), axis=[-2, -1])
        return tf.sqrt(squares)

    def project(self, theta, bound):
        """θ ← κθ/‖θ‖ where ‖θ‖ > κ, per problem; ``bound`` κ is [...]."""
        norm = self.norm(theta)
        factor = tf.where(norm > bound, tf.math.divide_no_nan(bound, norm), 1.0)
        return ModelParams(
            theta.logits * factor[..., None, None, None],
            theta.rewards * factor[..., None, None],
        )


def initial_draw(seeds, num_states, num_actions):
    """θ and the initial Q drawn uniform[0, 1) per seed, float64 numpy.

    Run ``i`` uses ``np.random.default_rng(seeds[i])``, so a seed gives the same
    draw in any batch and at any κ.

    Args:
      seeds: [R] ints.

    Returns:
      (θ as `ModelParams` of [R, S, A, S] and [R, S, A] arrays, Q [R, S, A]).
    """
    draws = []
    for seed in seeds:
        rng = np.random.default_rng(int(seed))
        draws.append(
            (
                rng.uniform(size=(num_states, num_actions, num_states)),
                rng.uniform(size=(num_states, num_actions)),
                rng.uniform(size=(num_states, num_actions)),
            )
        )
    logits, rewards, q = (np.stack(parts) for parts in zip(*draws))
    return ModelParams(logits, rewards), q


def mle_loss(theta, parameterization, mdp):
    """mean_{s,a} KL(p(·|s,a) ‖ p_θ(·|s,a)) + mean_{s,a} (r − r_θ)²: [...]."""
    log_p_theta = tf.nn.log_softmax(parameterization.transition_logits(theta), axis=-1)
    p = tf.constant(mdp.transitions)
    kl = tf.reduce_sum(tf.math.xlogy(p, p) - p * log_p_theta, axis=-1)  # [..., S, A]
    reward_error = tf.square(theta.rewards - mdp.rewards)
    return tf.reduce_mean(kl + reward_error, axis=[-2, -1])
