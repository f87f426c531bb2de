"""Cost of the implicit-differentiation primitives, as ratios to one gradient.

A bilevel problem shaped like OMD's: an inner network w (2×256 ReLU MLP,
the Q-network) regresses targets made by an outer network θ (2×256 ReLU MLP,
the model) on a batch of 256; the outer loss is a regression of w's output
on fixed data.  Each primitive runs inside `tf.function`, with and without
XLA (`jit_compile=True`); the table prints median time ratios to one plain
gradient ∂L/∂w measured in the same mode in this run.

  python bench/implicit_bench.py [--repeats 50]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

import timing  # noqa: E402  (bench/timing.py)
from omd_tf import implicit  # noqa: E402

BATCH, WIDTH, IN_DIM, OUT_DIM = 256, 256, 8, 2


def mlp(out_dim):
    return tf.keras.Sequential(
        [
            tf.keras.layers.Dense(WIDTH, "relu"),
            tf.keras.layers.Dense(WIDTH, "relu"),
            tf.keras.layers.Dense(out_dim),
        ]
    )


def build_problem():
    """Inner net w, outer net θ, their losses, and a probe vector v ~ w."""
    tf.random.set_seed(0)
    x = tf.random.normal([BATCH, IN_DIM])
    y = tf.random.normal([BATCH, OUT_DIM])
    inner_net, outer_net = mlp(OUT_DIM), mlp(OUT_DIM)
    inner_net.build([None, IN_DIM])
    outer_net.build([None, IN_DIM])
    w, theta = inner_net.trainable_variables, outer_net.trainable_variables

    def inner_loss():
        return tf.reduce_mean(tf.square(inner_net(x) - outer_net(x)))

    def outer_loss():
        return tf.reduce_mean(tf.square(inner_net(x) - y))

    v = [tf.random.normal(var.shape) for var in w]
    return w, theta, inner_loss, outer_loss, v


def primitives(w, theta, inner_loss, outer_loss, v):
    """name -> zero-argument function computing that primitive once."""

    def ift(**solve):
        def run():
            with tf.GradientTape() as tape:
                loss = implicit.implicit_call(
                    outer_loss, w, theta, inner_loss_fn=inner_loss, **solve
                )
            return tape.gradient(loss, theta)

        return run

    return {
        "gradient dL/dw": lambda: implicit.gradient(inner_loss, w),
        "HVP fwd-over-back": lambda: implicit.hvp(inner_loss, w, v),
        "HVP back-over-back": lambda: implicit.hvp(
            inner_loss, w, v, mode="back_over_back"
        ),
        "mixed vᵀ∂²L/∂θ∂w": lambda: implicit.mixed_vjp(inner_loss, w, theta, v),
        "IFT grad, identity": ift(solve="identity"),
        "IFT grad, CG×10": ift(solve="cg", max_iter=10, tol=0.0, ridge=1e-3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    if args.repeats <= 0:
        parser.error("--repeats must be a positive integer")
    problem = build_problem()
    compiled = {
        (name, mode): tf.function(fn, jit_compile=jit)
        for name, fn in primitives(*problem).items()
        for mode, jit in (("graph", False), ("xla", True))
    }
    results = timing.median_seconds(compiled, args.repeats)
    base = {m: results["gradient dL/dw", m] for m in ("graph", "xla")}
    print(
        f"Implicit primitives: 2x{WIDTH} MLPs, batch {BATCH}, "
        f"median of {args.repeats}; ratio to one gradient dL/dw in the same mode"
    )
    print(f"{'primitive':<22}{'graph':>10}{'xla':>10}")
    for name in primitives(*problem):
        row = "".join(f"{results[name, m] / base[m]:>10.2f}" for m in ("graph", "xla"))
        print(f"{name:<22}{row}")
    print(
        f"(one gradient: graph {base['graph'] * 1e3:.2f} ms, "
        f"xla {base['xla'] * 1e3:.2f} ms; xla/graph "
        f"{base['xla'] / base['graph']:.2f})"
    )


if __name__ == "__main__":
    main()
