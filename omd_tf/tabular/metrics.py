"""What a trained model is worth: J in the true MDP, Q* error, Theorem 2 bounds.

Theorem 2 (paper section 5.2, proof in appendix G), for a model with fixed
point Q̂ of its operator B̂ and Q* the fixed point of the true operator B:

* OMD:  max|Q* − Q̂| <= ε/(1 − γ),  ε = max_{s,a} |B Q̂ − B̂ Q̂|;
* MLE:  max|Q* − Q̂| <= ε_r/(1 − γ) + γ ε_p r_max / (2(1 − γ)²),
  ε_r = max_{s,a} |r − r̂|,  ε_p = max_{s,a} ‖p(·|s,a) − p̂(·|s,a)‖₁.

The theorem assumes r ∈ [0, r_max]; shifting r and r̂ by the same constant
changes neither side, so r_max here is the reward range max r − min r.  The
OMD bound holds for the soft operator as well (B is a γ-contraction).
"""

import collections

import numpy as np
import tensorflow as tf

from omd_tf.tabular import bellman
from omd_tf.tabular import mdp as mdp_lib

EVAL_TOL = 1e-12
EVAL_MAX_ITER = 200

Evaluation = collections.namedtuple(
    "Evaluation",
    [
        "returns",
        "q_error",
        "operator_error",
        "reward_error",
        "transition_error",
        "omd_bound",
        "mle_bound",
        "residual",
    ],
)
Evaluation.__doc__ = """Per-model numbers, numpy float64 arrays [...].

returns: J(π_Q̂) in the true MDP.   q_error: max|Q* − Q̂|.
operator_error: ε;  reward_error: ε_r;  transition_error: ε_p (see module doc).
omd_bound, mle_bound: the two Theorem 2 bounds.
residual: max|B̂ Q̂ − Q̂| of the model's fixed point (convergence check).
"""


def optimal_q(mdp, alpha):
    """Q* of the true soft operator: [S, A] float64 tensor."""
    shape = (mdp.num_states, mdp.num_actions)
    return bellman.fixed_point(
        mdp.transitions,
        mdp.rewards,
        tf.zeros(shape, tf.float64),
        mdp.discount,
        alpha,
        EVAL_TOL,
        EVAL_MAX_ITER,
    ).q


def soft_optimal_return(mdp, alpha):
    """J of the soft-optimal policy π_{Q*} (the reference line of Figure 2)."""
    policy = bellman.soft_policy(optimal_q(mdp, alpha), alpha)
    return float(mdp_lib.expected_return(mdp, policy))


def evaluate(mdp, parameterization, theta, alpha):
    """Evaluates models θ (a `ModelParams` of [..., S, A, S], [..., S, A]).

    Returns:
      An `Evaluation`.
    """
    theta = tf.nest.map_structure(lambda t: tf.convert_to_tensor(t, tf.float64), theta)
    p_hat = parameterization.transitions(theta)
    r_hat = theta.rewards
    gamma = mdp.discount
    fixed = bellman.fixed_point(
        p_hat,
        r_hat,
        tf.zeros_like(r_hat),
        gamma,
        alpha,
        EVAL_TOL,
        EVAL_MAX_ITER,
    )
    q_hat = fixed.q
    returns = mdp_lib.expected_return(mdp, bellman.soft_policy(q_hat, alpha))
    q_error = _max_abs(optimal_q(mdp, alpha) - q_hat)
    operator_error = _max_abs(
        bellman.soft_bellman(q_hat, mdp.transitions, mdp.rewards, gamma, alpha)
        - bellman.soft_bellman(q_hat, p_hat, r_hat, gamma, alpha)
    )
    reward_error = _max_abs(r_hat - mdp.rewards)
    transition_error = tf.reduce_max(
        tf.reduce_sum(tf.abs(p_hat - mdp.transitions), axis=-1), axis=[-2, -1]
    )
    r_max = float(np.ptp(mdp.rewards))
    mle_bound = reward_error / (1 - gamma) + gamma * transition_error * r_max / (
        2 * (1 - gamma) ** 2
    )
    return Evaluation(
        *(
            np.asarray(x)
            for x in (
                returns,
                q_error,
                operator_error,
                reward_error,
                transition_error,
                operator_error / (1 - gamma),
                mle_bound,
                fixed.residual,
            )
        )
    )


def _max_abs(x):
    """max over the last two axes of |x|: [..., S, A] -> [...]."""
    return tf.reduce_max(tf.abs(x), axis=[-2, -1])
