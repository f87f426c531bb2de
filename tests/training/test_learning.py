"""Seeded learning test: OMD with model hidden size 32 solves CartPole quickly."""

import csv
import os

from omd_tf import training
from omd_tf.training import curves

# The paper's CartPole settings (q_lr 1e-3, tau 0.01, batch 256, 10 eval
# episodes, XLA update) on a short budget: about 1 minute on 2 CPU cores.
# Seed 0 first reaches 264 at 17k env steps and peaks at 349 (19k).  Over
# seeds 0-9, 9 reach >= 195 within 25k steps (seed 7 only just: 202 at
# 23k); seed 4 plateaus between 100 and 180 up to 40k.
BUDGET = dict(
    num_env_steps=25_000,
    eval_interval=1000,
    checkpoint_interval=25_000,
    seed=0,
)


def test_omd_reaches_195_on_cartpole(tmp_path):
    root = str(tmp_path)
    training.train_eval(root, agent="omd", model_hidden_dim=32, **BUDGET)
    with open(os.path.join(root, curves.EVAL_CSV), newline="") as f:
        returns = [float(row["average_return"]) for row in csv.DictReader(f)]
    assert len(returns) == 24  # Every 1000 env steps after 1000 random ones.
    assert max(returns) >= 195, returns
