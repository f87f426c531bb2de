"""Gymnasium environments as TF-Agents `PyEnvironment`s."""

import numbers
from typing import Optional

import gymnasium

from omd_tf.envs.distractors import DistractorWrapper
from omd_tf.envs.gymnasium_adapter import (
    GymnasiumEnvironment,
    action_spec_from_space,
    observation_spec_from_space,
)

__all__ = [
    "DistractorWrapper",
    "GymnasiumEnvironment",
    "action_spec_from_space",
    "load",
    "observation_spec_from_space",
]


def load(
    env_name: str,
    num_distractors: int = 0,
    seed: Optional[int] = None,
    rescale_actions: bool = False,
) -> GymnasiumEnvironment:
    """`gymnasium.make(env_name)` as a `GymnasiumEnvironment`.

    With `num_distractors` > 0 the observation gains that many N(0, 1) float
    dims (`DistractorWrapper`). `seed` seeds the first reset.
    `rescale_actions` maps a `Box` action space linearly onto [-1, 1]
    (gymnasium's `RescaleAction`): the agent acts in [-1, 1] and the env
    receives low + (a + 1)·(high − low)/2.
    """
    if (
        not isinstance(num_distractors, numbers.Integral)
        or isinstance(num_distractors, bool)
        or num_distractors < 0
    ):
        raise ValueError(
            f"num_distractors must be a non-negative int, got {num_distractors!r}."
        )
    try:
        env = gymnasium.make(env_name)
    except gymnasium.error.UnregisteredEnv as err:
        raise ValueError(
            f"env_name={env_name!r} is not a registered gymnasium id: {err}"
        ) from err
    if rescale_actions and isinstance(env.action_space, gymnasium.spaces.Box):
        env = gymnasium.wrappers.RescaleAction(env, -1.0, 1.0)
    if num_distractors:
        env = DistractorWrapper(env, num_distractors)
    return GymnasiumEnvironment(env, seed=seed)
