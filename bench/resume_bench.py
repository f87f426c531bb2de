"""Cost of exact resume: the training loop's env steps/s with and without it.

    python bench/resume_bench.py [--repeats 3] [--num_env_steps 12000]

Exact resume (`loop.Trainer`) rebuilds the compiled collect/train and
evaluation loops after every checkpoint (so their random ops restart from
seeds derived from the env step), ends the train episode at each checkpoint
and checks every loss for inf/NaN.  This bench runs whole CartPole runs of
the default soft-Q agent (10 000-step checkpoints as the binary's default,
evaluation every 1000 steps, 1000 random steps first) two ways, alternating,
each in a fresh root_dir:

* ``exact``: the loop as it is;
* ``without``: the same loop with the per-checkpoint rebuild and the loss
  check switched off (the loop as it was before exact resume, up to the
  truncation of one episode per checkpoint, which costs nothing).

It prints the median env steps/s of each (wall time of `Trainer.run`, random
steps, evaluations, checkpoints and export included) and their ratio.
"""

import argparse
import statistics
import tempfile
import time
from unittest import mock

from omd_tf import console  # First: quiets TensorFlow before it loads.

from omd_tf import training  # pylint: disable=g-bad-import-order
from omd_tf.training import loop


def _steps_per_second(num_env_steps, exact):
    trainer = training.make_trainer(
        tempfile.mkdtemp(prefix="resume_bench_"), num_env_steps=num_env_steps
    )
    patches = []
    if not exact:
        restart = loop.Trainer._restart_random_streams
        calls = []

        def first_restart_only(self, step):
            if not calls:
                calls.append(step)
                restart(self, step)

        patches = [
            mock.patch.object(loop.Trainer, "_restart_random_streams", first_restart_only),
            mock.patch.object(loop.Trainer, "_check_finite", lambda self, loss_info: None),
        ]
    for patch in patches:
        patch.start()
    try:
        start = time.perf_counter()
        trainer.run()
        return num_env_steps / (time.perf_counter() - start)
    finally:
        for patch in patches:
            patch.stop()
        trainer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--num_env_steps", type=int, default=12_000)
    args = parser.parse_args()
    if args.repeats <= 0 or args.num_env_steps <= 1000:
        parser.error("--repeats must be positive and --num_env_steps above 1000")
    console.configure(verbose=False)
    rates = {"exact": [], "without": []}
    for _ in range(args.repeats):
        for variant in rates:
            rates[variant].append(
                _steps_per_second(args.num_env_steps, exact=variant == "exact")
            )
    exact, without = (statistics.median(rates[v]) for v in ("exact", "without"))
    print(
        f"CartPole soft-Q OMD, {args.num_env_steps} env steps, median of "
        f"{args.repeats} runs each, alternating"
    )
    print(f"exact resume:          {exact:7.1f} env steps/s")
    print(f"without exact resume:  {without:7.1f} env steps/s")
    print(f"ratio exact / without: {exact / without:7.3f}")


if __name__ == "__main__":
    main()
