"""Adapter exposing a `gymnasium.Env` as a TF-Agents `PyEnvironment`.

TF-Agents 0.19 only wraps the legacy `gym` package; this covers gymnasium
environments with `Box` observations and `Discrete` or `Box` actions.
"""

from typing import Any, Dict, Optional

import gymnasium
import numpy as np
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts

_F32 = np.finfo(np.float32)
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)


def _float32_bounds(bound: np.ndarray) -> np.ndarray:
    """Space bounds as float32; values beyond the float32 range are clipped."""
    return np.clip(bound, _F32.min, _F32.max).astype(np.float32)


def observation_spec_from_space(space: gymnasium.Space) -> array_spec.BoundedArraySpec:
    """`Box` of shape S -> float32 `BoundedArraySpec` of shape S.

    Infinite bounds become the float32 min / max (what `BoundedArraySpec`
    itself does with inf), so `validate_py_environment` accepts them.
    """
    if not isinstance(space, gymnasium.spaces.Box):
        raise TypeError(
            f"Unsupported observation space {space!r}: only gymnasium.spaces.Box "
            "observations are supported."
        )
    return array_spec.BoundedArraySpec(
        shape=space.shape,
        dtype=np.float32,
        minimum=_float32_bounds(space.low),
        maximum=_float32_bounds(space.high),
        name="observation",
    )


def action_spec_from_space(space: gymnasium.Space) -> array_spec.BoundedArraySpec:
    """`Discrete(n, start)` -> int64 scalar spec in [start, start + n - 1];
    `Box` of shape S -> float32 spec of shape S with the space's bounds."""
    if isinstance(space, gymnasium.spaces.Discrete):
        start = int(space.start)
        return array_spec.BoundedArraySpec(
            shape=(),
            dtype=np.int64,
            minimum=start,
            maximum=start + int(space.n) - 1,
            name="action",
        )
    if isinstance(space, gymnasium.spaces.Box):
        return array_spec.BoundedArraySpec(
            shape=space.shape,
            dtype=np.float32,
            minimum=_float32_bounds(space.low),
            maximum=_float32_bounds(space.high),
            name="action",
        )
    raise TypeError(
        f"Unsupported action space {space!r}: only gymnasium.spaces.Discrete "
        "and gymnasium.spaces.Box actions are supported."
    )


class GymnasiumEnvironment(py_environment.PyEnvironment):
    """A `gymnasium.Env` as an unbatched TF-Agents `PyEnvironment`.

    Time steps: observation float32 with the `Box` shape, reward float32 (),
    discount float32 (): 0 on termination, 1 on truncation and otherwise.
    Auto reset: `step` after a LAST time step ignores its action and returns
    the FIRST time step of a new episode (done by the `PyEnvironment` base
    class, which this enables with `handle_auto_reset=True`).  `seed` and
    `truncate_after` let a training loop end an episode at a chosen step and
    start the next one from a chosen seed (see `loop.Trainer`).
    """

    def __init__(self, env: gymnasium.Env, seed: Optional[int] = None):
        """Args:
        env: the gymnasium environment; `close()` closes it.
        seed: passed to `env.reset(seed=...)` on the first reset only; later
            resets continue the environment's RNG stream.
        """
        super().__init__(handle_auto_reset=True)
        self._env = env
        self._observation_spec = observation_spec_from_space(env.observation_space)
        self._action_spec = action_spec_from_space(env.action_space)
        self._discrete = isinstance(env.action_space, gymnasium.spaces.Discrete)
        self._pending_seed = seed
        self._steps_to_truncation: Optional[int] = None
        self._reset_next = False
        self._info: Dict[str, Any] = {}

    @property
    def env(self) -> gymnasium.Env:
        """The wrapped gymnasium environment."""
        return self._env

    def observation_spec(self) -> array_spec.BoundedArraySpec:
        return self._observation_spec

    def action_spec(self) -> array_spec.BoundedArraySpec:
        return self._action_spec

    def seed(self, seed: Optional[int]) -> None:
        """Seeds the next reset only; later resets continue that RNG stream."""
        self._pending_seed = seed

    def truncate_after(self, num_steps: Optional[int]) -> None:
        """The ``num_steps``-th `step` from now ends the episode, as a truncation.

        That step returns LAST with discount 1, as a time limit would (a
        termination keeps discount 0); None cancels.  Steps that reset (after
        a LAST) do not count.
        """
        if num_steps is not None and num_steps <= 0:
            raise ValueError(f"num_steps must be positive or None, got {num_steps}.")
        self._steps_to_truncation = num_steps

    def end_episode(self) -> None:
        """The next `step` starts a new episode, whatever the current time step.

        Cancels a pending `truncate_after`.  For a loop that marks its current
        time step LAST itself (a population's at a checkpoint: a member that
        has just reset is at FIRST there).
        """
        self._reset_next, self._steps_to_truncation = True, None

    def get_info(self) -> Dict[str, Any]:
        """The gymnasium info dict of the last reset or step ({} before any)."""
        return self._info

    def render(self, mode: str = "rgb_array") -> Any:
        """`env.render()`; gymnasium fixes the mode at `gymnasium.make`."""
        if mode != self._env.render_mode:
            raise ValueError(
                f"render(mode={mode!r}) but the gymnasium env was made with "
                f"render_mode={self._env.render_mode!r}; pass render_mode to "
                "gymnasium.make."
            )
        return self._env.render()

    def close(self) -> None:
        self._env.close()

    def _reset(self) -> ts.TimeStep:
        seed, self._pending_seed = self._pending_seed, None
        self._reset_next = False
        observation, self._info = self._env.reset(seed=seed)
        return ts.restart(np.asarray(observation, dtype=np.float32))

    def should_reset(self, current_time_step: ts.TimeStep) -> bool:
        """Whether ``current_time_step`` is LAST or `end_episode` was called
        (then `step` resets).

        The base class's test goes through `TimeStep.is_last`, whose tensor
        check costs several times a CartPole step.
        """
        return self._reset_next or current_time_step.step_type == ts.StepType.LAST

    def _step(self, action: np.ndarray) -> ts.TimeStep:
        if self._discrete:
            action = int(action)
        else:
            action = np.asarray(action, dtype=self._env.action_space.dtype)
        observation, reward, terminated, truncated, self._info = self._env.step(action)
        if self._steps_to_truncation is not None:
            self._steps_to_truncation -= 1
            if self._steps_to_truncation == 0:
                self._steps_to_truncation, truncated = None, True
        # Built directly: `ts.transition` / `ts.termination` spend most of
        # their time deciding whether they were given tensors.
        return ts.TimeStep(
            step_type=ts.StepType.LAST if terminated or truncated else ts.StepType.MID,
            reward=np.float32(reward),
            discount=_ZERO if terminated else _ONE,
            observation=np.asarray(observation, dtype=np.float32),
        )
