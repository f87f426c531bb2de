"""Seeded learning test: OMD-SAC balances InvertedPendulum-v5."""

import csv
import os

from omd_tf.training import curves
from omd_tf.training import sac

# OMD-SAC with a likelihood term and its hypergradient clipped
# (`likelihood_weight=1`, `hypergradient_clip_norm=0.01`: the model's
# gradient is the MLE gradient plus OMD's eq. (13) scaled to length 0.01 or
# less; see the README), small fast settings and greedy evaluation.  At
# 20k env steps, seeds 0-9 first reach the maximum mean eval return, 1000,
# at 8, 12, 14, 12, 14, 18, 12, 12, 14 and 12k and all but seed 9 (188 at
# 14k, 202 at 20k) stay there: 9 of 10
# pass at this test's 16k (seed 5's best by then is 299; seed 0, used here,
# reaches 1000 at 8k and no earlier evaluation exceeds 93).  Pure OMD (seeds 0-2: best 126, 79, 40 at 16k) and
# λ = 10 without the clip (5 of seeds 0-9 reach 1000 by 20k) do not
# learn reliably on this budget; MLE-SAC (`agent='mle'`) reaches 1000 by
# 10-14k on seeds 0-5 with the same settings.
SETTINGS = dict(
    env="InvertedPendulum-v5",
    agent="omd",
    likelihood_weight=1.0,
    hypergradient_clip_norm=0.01,
    hidden_dim=64,
    model_hidden_dim=64,
    actor_lr=1e-3,
    critic_lr=1e-3,
    alpha_lr=1e-3,
    model_lr=1e-3,
    tau=0.01,
    gamma=0.99,
    inner_steps=1,
    batch_size=128,
    init_steps=1000,
    num_env_steps=16_000,
    eval_interval=2000,
    num_eval_episodes=5,
    greedy_eval=True,
    replay_capacity=20_000,
    checkpoint_interval=16_000,
    seed=0,
    # The env's own action units (force in [-3, 3]), as when the seeds above
    # were measured; train_sac's default now rescales them to [-1, 1].
    rescale_actions=False,
)


def test_omd_sac_reaches_500_on_inverted_pendulum(tmp_path):
    root = str(tmp_path)
    sac.train_eval(root, **SETTINGS)
    with open(os.path.join(root, curves.EVAL_CSV), newline="") as f:
        returns = [float(row["average_return"]) for row in csv.DictReader(f)]
    assert len(returns) == 8  # Every 2000 env steps.
    assert max(returns) >= 500, returns
