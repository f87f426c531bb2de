"""Populations vs separate runs: summed env steps/s of the training loop.

    python bench/population_bench.py [--num_seeds 1,4,10,32] [--env_steps 3000]

For each N it measures, in this one run (the machine's load changes over
minutes, so only ratios measured side by side mean something):

* ``population``: one process training a population of N default soft-Q
  OMD agents on CartPole (`train_eval --num_seeds=N`), every member taking
  ``--env_steps`` collect + train steps after 1000 random ones; the rate is
  N·env_steps over the wall time of the compiled loop
  (`Trainer.train_steps`), summed over members;
* ``separate``: N single-agent runs as separate processes started at once,
  each its own TensorFlow process, as a user without populations would
  run seeds; their summed rate over the same loop, timed while all of them
  run.  Processes beyond the cores only take turns, so min(N,
  ``--max_processes``) run at once (default: the cores), the rate of N runs
  queued in such groups;
* ``split``: the population split into min(N, ``--max_processes``)
  populations of N / that many members, as processes at once (one per
  core), whose timed loops overlap;
* ``train step``: `agent.train` alone on a fixed [N, B, 2] batch in this
  process, member train steps/s, to show where the time goes;
* ``MFLOP``: the floating-point operations of the train step's matrix
  products per member (counted from the graph's MatMul and BatchMatMulV2
  shapes; the rest of its ops, element-wise, are not counted);
* ``GFLOP/s``: those products' work done per second in the train step
  (train step × MFLOP), against ``matmul alone``: the GFLOP/s of the
  step's commonest product, [N, B, 32] × [N, 32, 32], alone in a compiled
  loop, with the threads a process has here.  The train step cannot run
  its products faster than that, so the gap between the two is the time
  of everything else (element-wise ops, dispatch).

It prints one row per N with the rates and the ratios population/separate
and split/separate.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from omd_tf import console  # First: quiets TensorFlow before it loads.

import tensorflow as tf  # pylint: disable=g-bad-import-order

from omd_tf.training import soft_q

_ARGS = dict(init_steps=1000, eval_interval=10**9, checkpoint_interval=10**9)


def _trainer(num_seeds):
    return soft_q.make_trainer(
        tempfile.mkdtemp(prefix="population_bench_"),
        num_env_steps=10**9,
        num_seeds=num_seeds,
        **_ARGS,
    )


def _wait_for_go(barrier_dir):
    """Signals 'ready' in ``barrier_dir`` and waits until the parent says go."""
    if not barrier_dir:
        return
    open(os.path.join(barrier_dir, f"ready.{os.getpid()}"), "w").close()
    while not os.path.exists(os.path.join(barrier_dir, "go")):
        time.sleep(0.05)


def loop_rate(num_seeds, env_steps, barrier_dir=None):
    """Summed env steps/s of the compiled collect/train loop of one process.

    The timed loop starts when the parent says go (``barrier_dir``), so that
    the loops of processes started together overlap.
    """
    trainer = _trainer(num_seeds)
    time_step = trainer.collect_random(_ARGS["init_steps"])
    time_step = trainer.train_steps(time_step, 50)  # Traces and compiles.
    _wait_for_go(barrier_dir)
    start = time.perf_counter()
    trainer.train_steps(time_step, env_steps)
    seconds = time.perf_counter() - start
    trainer.close()
    return num_seeds * env_steps / seconds


def _functions(graph):
    """{name: function} of every function defined in ``graph`` or below it."""
    found = dict(graph._functions)  # pylint: disable=protected-access
    for function in list(found.values()):
        found.update(_functions(function.graph))
    return found


def matmul_flops(graph, functions=None):
    """FLOPs of the matrix products that one run of ``graph`` executes.

    Follows function calls (each call site counted once per run).  Needs
    static shapes.
    """
    functions = _functions(graph) if functions is None else functions
    flops = 0
    for op in graph.get_operations():
        if op.type in ("MatMul", "BatchMatMulV2"):
            a, b = (x.shape.as_list() for x in op.inputs)
            transposed = ("transpose_a", "transpose_b") if op.type == "MatMul" else (
                "adj_x", "adj_y")
            rows, inner = a[-2:][::-1] if op.get_attr(transposed[0]) else a[-2:]
            cols = b[-2] if op.get_attr(transposed[1]) else b[-1]
            flops += 2 * int(np.prod(a[:-2])) * rows * inner * cols
        elif op.type in ("StatefulPartitionedCall", "PartitionedCall"):
            flops += matmul_flops(functions[op.get_attr("f").name].graph, functions)
    return flops


def train_step_rate(num_seeds, repeats=200):
    """(member train steps/s of `agent.train` alone on a fixed batch,
    FLOPs of its matmuls per member step)."""
    trainer = _trainer(num_seeds)
    trainer.collect_random(_ARGS["init_steps"])
    batch = trainer.sample()
    train = tf.function(trainer.agent.train)
    flops = matmul_flops(train.get_concrete_function(batch).graph) / num_seeds
    train(batch)
    start = time.perf_counter()
    for _ in range(repeats):
        loss = train(batch)
    float(loss.loss)
    seconds = time.perf_counter() - start
    trainer.close()
    return num_seeds * repeats / seconds, flops


def matmul_rate(num_seeds, batch=256, width=32, calls=20):
    """GFLOP/s of [N, batch, width] × [N, width, width] products, 100 per graph call."""
    x = tf.Variable(tf.random.normal([num_seeds, batch, width]))  # Variables: no
    w = tf.Variable(tf.random.normal([num_seeds, width, width]))  # constant folding.

    @tf.function
    def products():
        return tf.add_n([tf.matmul(x, w)[0, 0, i % width] for i in range(100)])

    products()
    start = time.perf_counter()
    for _ in range(calls):
        total = products()
    float(total)
    seconds = time.perf_counter() - start
    return 2 * num_seeds * batch * width * width * 100 * calls / seconds / 1e9


def _run_workers(mode, num_seeds, env_steps, num_processes):
    """[What each of ``num_processes`` workers, timed together, printed]."""
    with tempfile.TemporaryDirectory() as barrier_dir:
        workers = [
            subprocess.Popen(
                [sys.executable, __file__, mode, str(num_seeds), str(env_steps),
                 barrier_dir],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(num_processes)
        ]
        while len([f for f in os.listdir(barrier_dir) if f.startswith("ready")]) < (
            num_processes
        ):
            if any(w.poll() not in (None, 0) for w in workers):
                raise RuntimeError(f"A {mode} worker failed.")
            time.sleep(0.1)
        open(os.path.join(barrier_dir, "go"), "w").close()
        return [json.loads(w.communicate()[0]) for w in workers]


def main():
    if len(sys.argv) == 5 and sys.argv[1] in ("--loop", "--train"):
        num_seeds, env_steps, barrier_dir = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
        if sys.argv[1] == "--loop":
            rate = loop_rate(num_seeds, env_steps, barrier_dir)
        else:
            _wait_for_go(barrier_dir)
            rate = train_step_rate(num_seeds) + (matmul_rate(num_seeds),)
        print(json.dumps(rate))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--num_seeds", default="1,4,10,32")
    parser.add_argument("--env_steps", type=int, default=3000)
    parser.add_argument("--max_processes", type=int, default=os.cpu_count())
    args = parser.parse_args()
    print(
        f"{'N':>5} | {'population':>10} | {'separate':>10} | {'ratio':>5} | "
        f"{'split':>10} | {'ratio':>5} | "
        f"{'train step':>10} | {'MFLOP':>5} | {'GFLOP/s':>7} | "
        f"{'matmul alone':>12}   env steps/s summed over members (train step: "
        f"member train steps/s; MFLOP: its matmuls' per member; GFLOP/s: "
        f"theirs in the train step and of [N, 256, 32] x [N, 32, 32] alone); "
        f"{os.cpu_count()} cores, "
        f"{len(tf.config.list_physical_devices('GPU'))} GPUs",
        flush=True,
    )
    for n in [int(x) for x in args.num_seeds.split(",")]:
        (population,) = _run_workers("--loop", n, args.env_steps, 1)
        processes = min(n, args.max_processes)
        separate = sum(_run_workers("--loop", 1, args.env_steps, processes))
        split = sum(_run_workers("--loop", n // processes, args.env_steps, processes))
        ((train, flops, matmul_alone),) = _run_workers("--train", n, 0, 1)
        print(
            f"{n:>5} | {population:>10.0f} | {separate:>10.0f} | "
            f"{population / separate:>5.2f} | {split:>10.0f} | "
            f"{split / separate:>5.2f} | {train:>10.0f} | {flops / 1e6:>5.1f} | "
            f"{train * flops / 1e9:>7.1f} | {matmul_alone:>12.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
