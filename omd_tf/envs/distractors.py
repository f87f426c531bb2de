"""Distractor observation dims for the model-misspecification experiment.

`DistractorWrapper` appends `num_distractors` i.i.d. N(0, 1) values, redrawn
at every reset and step, to a flat `Box` observation. They carry no
information about the dynamics or the reward.
"""

import numbers
from typing import Any, Dict, Optional, Tuple

import gymnasium
import numpy as np

# Spawn key that separates the distractor stream from the env's own RNG,
# which gymnasium seeds with the plain `SeedSequence(seed)`.
_SPAWN_KEY = (0xD157,)


def _make_rng(seed: Optional[int]) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=_SPAWN_KEY))


class DistractorWrapper(gymnasium.ObservationWrapper):
    """Observation (D,) -> (D + num_distractors,); extra dims i.i.d. N(0, 1).

    The distractors are drawn in float32; the output dtype is the promotion of
    the wrapped dtype and float32 (float32 for CartPole, float64 for MuJoCo).
    Their bounds in `observation_space` are -inf / inf. `reset(seed=s)`
    reseeds the distractor generator deterministically from `s` (a stream
    independent of the env's RNG); `reset()` without a seed continues it.
    """

    def __init__(self, env: gymnasium.Env, num_distractors: int):
        """Args:
        env: environment with a 1-D `gymnasium.spaces.Box` observation space.
        num_distractors: number N > 0 of appended dims.
        """
        if (
            not isinstance(num_distractors, numbers.Integral)
            or isinstance(num_distractors, bool)
            or num_distractors <= 0
        ):
            raise ValueError(
                f"num_distractors must be a positive int, got {num_distractors!r}."
            )
        space = env.observation_space
        if not isinstance(space, gymnasium.spaces.Box) or len(space.shape) != 1:
            raise TypeError(
                f"Unsupported observation space {space!r}: distractors need a "
                "1-D gymnasium.spaces.Box."
            )
        super().__init__(env)
        self._num_distractors = int(num_distractors)
        dtype = np.promote_types(space.dtype, np.float32)
        inf = np.full(self._num_distractors, np.inf, dtype=dtype)
        self.observation_space = gymnasium.spaces.Box(
            low=np.concatenate([space.low.astype(dtype), -inf]),
            high=np.concatenate([space.high.astype(dtype), inf]),
            dtype=dtype,
        )
        self._rng = _make_rng(None)

    @property
    def num_distractors(self) -> int:
        return self._num_distractors

    def reset(
        self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None
    ) -> Tuple[np.ndarray, Dict[str, Any]]:
        if seed is not None:
            self._rng = _make_rng(seed)
        return super().reset(seed=seed, options=options)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        noise = self._rng.standard_normal(self._num_distractors, dtype=np.float32)
        return np.concatenate([observation, noise]).astype(self.observation_space.dtype)
