"""Finite MDPs: the Figure-3 MDP, seeded random MDPs, exact and sampled returns.

Arrays are float64 and indexed ``transitions[s, a, s']``, ``rewards[s, a]``.
"""

import dataclasses

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True, eq=False)
class TabularMDP:
    """A finite discounted MDP.

    Attributes:
      transitions: [S, A, S] float64, p(s'|s, a); every row sums to 1.
      rewards: [S, A] float64, r(s, a).
      initial: [S] float64, the initial-state distribution ρ0.
      discount: γ in [0, 1).
    """

    transitions: np.ndarray
    rewards: np.ndarray
    initial: np.ndarray
    discount: float

    def __post_init__(self):
        p = np.asarray(self.transitions, np.float64)
        r = np.asarray(self.rewards, np.float64)
        rho = np.asarray(self.initial, np.float64)
        if p.ndim != 3 or p.shape[0] != p.shape[2] or r.shape != p.shape[:2]:
            raise ValueError(
                f"`transitions` must be [S, A, S] and `rewards` [S, A]; got "
                f"{p.shape} and {r.shape}."
            )
        if rho.shape != p.shape[:1]:
            raise ValueError(f"`initial` must be [S]={p.shape[:1]}, got {rho.shape}.")
        for name, dist in (("transitions", p), ("initial", rho)):
            if np.any(dist < 0) or not np.allclose(dist.sum(-1), 1.0, atol=1e-12):
                raise ValueError(f"`{name}` must hold probability distributions.")
        if not 0 <= self.discount < 1:
            raise ValueError(f"`discount` must be in [0, 1), got {self.discount!r}.")
        object.__setattr__(self, "transitions", p)
        object.__setattr__(self, "rewards", r)
        object.__setattr__(self, "initial", rho)

    @property
    def num_states(self):
        return self.transitions.shape[0]

    @property
    def num_actions(self):
        return self.transitions.shape[1]


def figure3_mdp():
    """The 2-state, 2-action MDP of the paper's Figure 3 (Dadashi et al. 2019).

    γ = 0.9 and a uniform ρ0.  Dadashi et al. (2019, app. A(d)) list
    P[a][s][s']; it is stored here as transitions[s, a, s'].
    """
    p_by_action = np.array(
        [[[0.70, 0.30], [0.20, 0.80]], [[0.99, 0.01], [0.99, 0.01]]], np.float64
    )
    return TabularMDP(
        transitions=p_by_action.transpose(1, 0, 2),
        rewards=np.array([[-0.45, -0.10], [0.50, 0.50]], np.float64),
        initial=np.full(2, 0.5),
        discount=0.9,
    )


def random_mdp(num_states, num_actions, seed, discount=0.9):
    """A seeded random MDP: Dirichlet(1) rows, rewards U[-1, 1), Dirichlet(1) ρ0."""
    rng = np.random.default_rng(seed)
    return TabularMDP(
        transitions=rng.dirichlet(np.ones(num_states), size=(num_states, num_actions)),
        rewards=rng.uniform(-1.0, 1.0, size=(num_states, num_actions)),
        initial=rng.dirichlet(np.ones(num_states)),
        discount=discount,
    )


def policy_values(p_pi, r_pi, discount):
    """V = (I − γ P_π)⁻¹ r_π, batched over leading axes.

    I − γ P_π is strictly diagonally dominant (P_π is row-stochastic, γ < 1), so
    Gaussian elimination needs no pivoting; it is unrolled over the S states,
    which for small S is much faster than a batched LU solve under XLA.

    Args:
      p_pi: [..., S, S] float64, state-to-state transitions under π.
      r_pi: [..., S] float64, expected one-step reward under π.
      discount: γ in [0, 1).

    Returns:
      [..., S] float64 tensor.
    """
    p_pi = tf.convert_to_tensor(p_pi, tf.float64)
    r_pi = tf.convert_to_tensor(r_pi, tf.float64)
    n = p_pi.shape[-1]
    eye = np.eye(n)
    rows = [eye[i] - discount * p_pi[..., i, :] for i in range(n)]
    rhs = [r_pi[..., i] for i in range(n)]
    for k in range(n):
        for i in range(k + 1, n):
            factor = rows[i][..., k] / rows[k][..., k]
            rows[i] = rows[i] - factor[..., None] * rows[k]
            rhs[i] = rhs[i] - factor * rhs[k]
    values = [None] * n
    for i in reversed(range(n)):
        total = rhs[i]
        for j in range(i + 1, n):
            total = total - rows[i][..., j] * values[j]
        values[i] = total / rows[i][..., i]
    return tf.stack(values, axis=-1)


def expected_return(mdp, policy):
    """J(π) = ρ0ᵀ (I − γ P_π)⁻¹ r_π in ``mdp`` (closed form, `policy_values`).

    Args:
      mdp: a `TabularMDP`.
      policy: [..., S, A] float64 tensor, π(a|s).

    Returns:
      [...] float64 tensor, the expected discounted return (no entropy term).
    """
    policy = tf.convert_to_tensor(policy, tf.float64)
    p_pi = tf.einsum("...sa,sat->...st", policy, tf.constant(mdp.transitions))
    r_pi = tf.reduce_sum(policy * mdp.rewards, axis=-1)
    values = policy_values(p_pi, r_pi, mdp.discount)
    return tf.reduce_sum(values * mdp.initial, axis=-1)


def monte_carlo_return(mdp, policy, num_episodes, horizon, seed):
    """Sampled estimate of J(π): discounted returns of ``horizon``-step rollouts.

    The truncation bias is at most γ^horizon · max|r| / (1 − γ).

    Args:
      mdp: a `TabularMDP`.
      policy: [S, A] numpy array, π(a|s).
      num_episodes, horizon: ints; seed: int seeding numpy's generator.

    Returns:
      (mean, standard error) of the sampled returns, floats.
    """
    rng = np.random.default_rng(seed)
    next_cdf = np.cumsum(mdp.transitions, axis=-1)
    action_cdf = np.cumsum(np.asarray(policy, np.float64), axis=-1)
    states = rng.choice(mdp.num_states, size=num_episodes, p=mdp.initial)
    returns = np.zeros(num_episodes)
    for t in range(horizon):
        actions = _sample(action_cdf[states], rng)
        returns += mdp.discount**t * mdp.rewards[states, actions]
        states = _sample(next_cdf[states, actions], rng)
    return returns.mean(), returns.std(ddof=1) / np.sqrt(num_episodes)


def _sample(cdf, rng):
    """One index per row of the [N, K] cumulative distributions ``cdf``."""
    u = rng.random(len(cdf))[:, None]
    return np.minimum((u >= cdf).sum(axis=-1), cdf.shape[-1] - 1)
