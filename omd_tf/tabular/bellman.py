"""Soft Bellman optimality operator, its fixed point, and the Bellman error L_true.

Q-functions are float64 tensors [..., S, A]; leading axes index independent
problems (runs).  With temperature α,

    B Q(s, a) = r(s, a) + γ Σ_s' p(s'|s, a) α logsumexp_a' Q(s', a')/α,
    π_Q(a|s)  = softmax_a Q(s, a)/α.
"""

import collections

import tensorflow as tf

from omd_tf.tabular import mdp as mdp_lib

FixedPoint = collections.namedtuple("FixedPoint", ["q", "residual", "iterations"])
FixedPoint.__doc__ = """Result of `fixed_point`.

q: [..., S, A] float64, the solution.
residual: [...] float64, max_{s,a} |B Q − Q| at ``q`` (its distance to the fixed
  point is at most residual/(1 − γ)).
iterations: int32 scalar, iterations taken (all problems advance together).
"""


def soft_value(q, alpha):
    """V(s) = α logsumexp_a Q(s, a)/α: [..., S, A] -> [..., S]."""
    return alpha * tf.reduce_logsumexp(q / alpha, axis=-1)


def soft_policy(q, alpha):
    """π_Q(a|s) = softmax_a Q(s, a)/α: [..., S, A] -> [..., S, A]."""
    return tf.nn.softmax(q / alpha, axis=-1)


def soft_bellman(q, transitions, rewards, discount, alpha):
    """B Q for the model (transitions [..., S, A, S], rewards [..., S, A]).

    Leading axes broadcast, so one MDP can act on a batch of Q-functions.
    Returns a [..., S, A] tensor.
    """
    return _backup(soft_value(q, alpha), transitions, rewards, discount)


def _backup(values, transitions, rewards, discount):
    """r(s, a) + γ Σ_s' p(s'|s, a) V(s') for V [..., S]: [..., S, A]."""
    return rewards + discount * tf.linalg.matvec(transitions, values[..., None, :])


def soft_policy_q(q, transitions, rewards, discount, alpha):
    """Q^π of the policy π = softmax(Q/α), exactly (soft policy evaluation).

    Q^π = r + γ P V^π with V^π(s) = Σ_a π(a|s) (Q^π(s, a) − α log π(a|s)),
    solved as V^π = (I − γ P_π)⁻¹ r_π^soft.  This is one Newton step on
    Q − B Q.  Shapes as in `soft_bellman`.
    """
    log_pi = tf.nn.log_softmax(q / alpha, axis=-1)
    pi = tf.exp(log_pi)
    p_pi = tf.reduce_sum(pi[..., None] * transitions, axis=-2)  # [..., S, S]
    r_pi = tf.reduce_sum(pi * (rewards - alpha * log_pi), axis=-1)  # [..., S]
    values = mdp_lib.policy_values(p_pi, r_pi, discount)
    return _backup(values, transitions, rewards, discount)


def fixed_point(transitions, rewards, q_init, discount, alpha, tol=1e-10, max_iter=100):
    """Q* = B Q* by soft policy iteration, until max|B Q − Q| <= ``tol``.

    Soft policy iteration (Q ← Q^{π_Q}, `soft_policy_q`) is Newton's method on
    Q − B Q: it converges from any start, quadratically near Q*, in a handful
    of iterations for every problem, where iterating B (value iteration) needs
    log(tol)/log(γ) ≈ 200 at γ = 0.9.  Only the result matters to the outer
    gradient (the implicit function theorem never differentiates the solver).

    Args:
      transitions, rewards: the model, as in `soft_bellman`.
      q_init: [..., S, A] float64, the starting point (e.g. a warm start).
      discount, alpha: γ and the temperature.
      tol: stopping threshold on the sup-norm residual.
      max_iter: iteration cap; when it is hit, ``residual > tol`` reports the
        problems that did not converge.

    Returns:
      A `FixedPoint`.
    """
    q_init = tf.convert_to_tensor(q_init, tf.float64)

    def residual(q):
        gap = soft_bellman(q, transitions, rewards, discount, alpha) - q
        return tf.reduce_max(tf.abs(gap), axis=[-2, -1])

    def cond(i, q, res):
        del q
        return tf.logical_and(i < max_iter, tf.reduce_any(res > tol))

    def body(i, q, res):
        del res
        q = soft_policy_q(q, transitions, rewards, discount, alpha)
        return i + 1, q, residual(q)

    iterations, q, res = tf.while_loop(
        cond, body, (tf.constant(0), q_init, residual(q_init))
    )
    return FixedPoint(q, res, iterations)


def bellman_error(q, mdp, alpha):
    """L_true(Q) = mean_{s,a} (Q − B Q)² with the true operator of ``mdp``.

    Args:
      q: [..., S, A] float64; mdp: a `TabularMDP`; alpha: temperature.

    Returns:
      [...] float64.
    """
    target = soft_bellman(q, mdp.transitions, mdp.rewards, mdp.discount, alpha)
    return tf.reduce_mean(tf.square(q - target), axis=[-2, -1])
