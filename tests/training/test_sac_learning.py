"""Seeded learning test: the SAC-based agent balances InvertedPendulum-v5."""

import csv
import os

from omd_tf.training import curves
from omd_tf.training import sac

# MLE-SAC (`OmdSacAgent` with model_loss='mle': the critics learn only from
# the model's next observations and rewards) with small, fast settings and
# greedy evaluation; 30-45 s on 2 loaded CPU cores.  Seeds 0-5 all reach the
# maximum mean eval return, 1000, by 14k env steps (first at 10k, 10k, 14k,
# 12k, 12k, 12k) and stay there to 16k; no earlier evaluation exceeds 160,
# so 500 leaves a wide margin either way.  OMD-SAC is not reliable on this
# budget (seeds 0-2 with these settings: 1000, 112 and 1000 at best, the
# first and last only at the final evaluation).
SETTINGS = dict(
    env="InvertedPendulum-v5",
    agent="mle",
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


def test_mle_sac_reaches_500_on_inverted_pendulum(tmp_path):
    root = str(tmp_path)
    sac.train_eval(root, **SETTINGS)
    with open(os.path.join(root, curves.EVAL_CSV), newline="") as f:
        returns = [float(row["average_return"]) for row in csv.DictReader(f)]
    assert len(returns) == 8  # Every 2000 env steps.
    assert max(returns) >= 500, returns
