"""Seeds derived from a run's seed and an env step: what makes a resumed run the same run.

`loop.Trainer` restarts every random stream of a run at each checkpoint from
seeds that depend only on (--seed, env step), so a run resumed from the
checkpoint at step S draws exactly what the uninterrupted run drew after S.
"""

import numpy as np

# Independent streams, one per use.
TF_OPS = 0  # TensorFlow's global seed: policy sampling, ε, replay sampling.
TRAIN_RESET = 1  # The train env's reset after a checkpoint.
EVAL_RESET = 2  # Each eval env's first reset of an evaluation.


def derived(seed, stream, *keys):
    """A seed in [0, 2³¹) determined by ``seed``, ``stream`` and int ``keys``."""
    state = np.random.SeedSequence([seed, stream, *keys]).generate_state(1)
    return int(state[0] >> 1)
