"""Time of the tabular `--experiment=all` sweep; batched runs vs a per-seed loop.

    python bench/tabular_bench.py

1. The full sweep of `bin/tabular.py --experiment=all` (10 seeds × 20 bounds ×
   2 agents for Figures 2/3, 10 seeds × 30 σ × 2 inverses for Figure 6,
   10 000 steps), every run of an agent batched into one compiled loop:
   wall time from cold (compilation and evaluation included, file writing
   excluded).  Target: under 2 minutes on 2 cores.
2. Training of the bound sweep, warm (already compiled), two ways: all
   10 × 20 runs of an agent in one batch, and a loop over seeds (one batch of
   that seed's 20 bounds per agent).  The loop is timed on its first seeds
   (after a compiling call) and extrapolated to all seeds.  Both wall and
   process CPU time are given: CPU time is the fairer ratio on a shared machine.
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=wrong-import-position

from omd_tf.tabular import experiment  # pylint: disable=wrong-import-position
from omd_tf.tabular import mdp as mdp_lib  # pylint: disable=wrong-import-position
from omd_tf.tabular import train  # pylint: disable=wrong-import-position

TARGET_S = 120.0
TIMED_SEEDS = 3


def _timed(fn):
    """(wall s, CPU s) of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return np.array([time.perf_counter() - wall, time.process_time() - cpu])


def _train_all(trainers, seeds, bounds, protocol):
    for trainer in trainers:
        trainer.train(
            seeds,
            bounds,
            max_steps=protocol.max_steps,
            chunk_steps=protocol.chunk_steps,
        )


def main():
    mdp = mdp_lib.figure3_mdp()
    protocol = experiment.Protocol()
    seeds, bounds = protocol.seeds, protocol.bounds

    sweep = _timed(lambda: experiment.run_bound_sweep(mdp, protocol))
    noise = _timed(lambda: experiment.run_ift_noise(mdp, protocol))
    total = sweep + noise
    verdict = "PASS" if total[0] < TARGET_S else "FAIL"
    print(
        f"--experiment=all sweep: {total[0]:.1f} s wall, {total[1]:.1f} s CPU "
        f"({verdict}: target < {TARGET_S:.0f} s wall)"
    )
    print(f"  bound sweep (Figures 2/3): {sweep[0]:.1f} s wall")
    print(f"  IFT noise (Figure 6): {noise[0]:.1f} s wall")

    trainers = [train.Trainer(mdp, protocol.agent_config(a)) for a in ("omd", "mle")]
    batch = (np.tile(seeds, len(bounds)), np.repeat(bounds, len(seeds)))
    _train_all(trainers, *batch, protocol)  # compiles
    batched = _timed(lambda: _train_all(trainers, *batch, protocol))

    loop_trainers = [
        train.Trainer(mdp, protocol.agent_config(a)) for a in ("omd", "mle")
    ]
    per_seed = [
        _timed(
            lambda s=s: _train_all(loop_trainers, [s] * len(bounds), bounds, protocol)
        )
        for s in seeds[:TIMED_SEEDS]
    ]
    loop = np.mean(per_seed[1:], axis=0) * len(seeds)
    print(
        f"Bound-sweep training, warm ({len(seeds)} seeds × {len(bounds)} bounds × "
        "2 agents):"
    )
    print(f"  batched over seeds: {batched[0]:.1f} s wall, {batched[1]:.1f} s CPU")
    print(
        f"  per-seed loop: seeds 1..{TIMED_SEEDS - 1} timed after seed 0 compiled "
        f"({', '.join(f'{t[0]:.2f} s' for t in per_seed[1:])} wall each), "
        f"extrapolated to {len(seeds)} seeds: {loop[0]:.1f} s wall, {loop[1]:.1f} s CPU"
    )
    print(
        f"batched / per-seed loop time ratio: {batched[0] / loop[0]:.2f} wall, "
        f"{batched[1] / loop[1]:.2f} CPU"
    )


if __name__ == "__main__":
    main()
