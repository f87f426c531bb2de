"""Finite MDPs: the Figure-3 MDP and the closed-form return against sampling."""

import numpy as np
import pytest

from omd_tf.tabular import mdp as mdp_lib


def test_figure3_mdp_is_the_design_mdp():
    mdp = mdp_lib.figure3_mdp()
    # Dadashi et al. (2019) list P[a][s][s']; stored as transitions[s, a, s'].
    np.testing.assert_array_equal(mdp.transitions[0, 0], [0.70, 0.30])
    np.testing.assert_array_equal(mdp.transitions[1, 0], [0.20, 0.80])
    np.testing.assert_array_equal(mdp.transitions[:, 1], [[0.99, 0.01]] * 2)
    np.testing.assert_array_equal(mdp.rewards, [[-0.45, -0.10], [0.50, 0.50]])
    assert mdp.discount == 0.9 and list(mdp.initial) == [0.5, 0.5]


def test_closed_form_return_matches_monte_carlo():
    """J = ρ0ᵀ(I − γP_π)⁻¹r_π equals the sampled mean within 3 standard errors.

    The 300-step truncation bias, γ^300 · 1/(1 − γ) ≈ 2e-13, is negligible.
    """
    mdp = mdp_lib.random_mdp(num_states=4, num_actions=3, seed=1)
    policy = np.random.default_rng(2).dirichlet(np.ones(3), size=4)
    exact = float(mdp_lib.expected_return(mdp, policy))
    mean, se = mdp_lib.monte_carlo_return(
        mdp, policy, num_episodes=20000, horizon=300, seed=3
    )
    assert abs(exact - mean) <= 3 * se, (exact, mean, se)


def test_expected_return_is_batched():
    mdp = mdp_lib.random_mdp(3, 2, seed=4)
    policies = np.random.default_rng(5).dirichlet(np.ones(2), size=(2, 5, 3))
    batched = mdp_lib.expected_return(mdp, policies).numpy()
    assert batched.shape == (2, 5)
    np.testing.assert_allclose(
        batched[1, 3], mdp_lib.expected_return(mdp, policies[1, 3]), rtol=1e-14
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(discount=1.0), "discount"),
        (dict(transitions=np.full((2, 2, 2), 0.7)), "transitions"),
        (dict(rewards=np.zeros(2)), "rewards"),
    ],
)
def test_invalid_mdp_is_rejected(change, message):
    mdp = mdp_lib.figure3_mdp()
    fields = dict(
        transitions=mdp.transitions,
        rewards=mdp.rewards,
        initial=mdp.initial,
        discount=mdp.discount,
    )
    with pytest.raises(ValueError, match=message):
        mdp_lib.TabularMDP(**{**fields, **change})
