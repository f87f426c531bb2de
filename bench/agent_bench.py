"""Cost of one train step of the soft-Q agents vs DqnAgent, and of the whole loop.

CartPole, the paper's networks (Q: 2x32 ReLU; model: 2x32 ReLU) and batch
256.  Train steps of OMD, MLE, VEP (`OmdSoftQAgent`, graph and XLA) and of a
plain `DqnAgent` on the same Q network are timed on one fixed replay batch,
round-robin so that load on the machine hits all of them alike; the table
gives medians and ratios to `DqnAgent` measured in this run.  Two ways of
calling: from Python once per step (how a TF-Agents loop calls
`agent.train`), and N steps in one compiled `tf.while_loop` (no Python
dispatch).  Then the OMD training loop, with the XLA and the plain graph
update: `Trainer.train_steps` (one env step with the collect policy, replay
add, batch sampling and one train step per env step, compiled) vs the same
number of train steps alone.

The last lines hold issue 4's targets (OMD / MLE <= 1.6, OMD / DqnAgent
<= 2.5, whole loop / train step <= 1.5) for the default (XLA) agent, with the
train step called from Python: that is how a TF-Agents loop calls
`agent.train`, and the loop's overhead is what it adds to that.  The
in-graph columns show the math alone, without the ~1 ms per-call dispatch.

  python bench/agent_bench.py [--repeats 15] [--steps 50]
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from tf_agents.agents.dqn import dqn_agent  # noqa: E402
from tf_agents.utils import common  # noqa: E402

import timing  # noqa: E402  (bench/timing.py)
from omd_tf import networks  # noqa: E402
from omd_tf import training  # noqa: E402
from omd_tf.training import config  # noqa: E402
from omd_tf.training import loop  # noqa: E402
from omd_tf.training import protocol  # noqa: E402
from omd_tf.training import soft_q  # noqa: E402

BATCH = 256
# The agents' arguments at `bin/train_eval.py`'s defaults (the paper's).
AGENT_ARGS = loop.agent_arguments(
    soft_q.make_agent,
    {**protocol.resolve(config.defaults(soft_q.SoftQConfig)), "num_members": None},
)


def make_dqn(time_step_spec, action_spec):
    """DqnAgent on the soft-Q agents' Q network, squared TD loss, Polyak τ."""
    agent = dqn_agent.DqnAgent(
        time_step_spec,
        action_spec,
        q_network=networks.q_network(
            time_step_spec.observation, action_spec, AGENT_ARGS["hidden_dim"]
        ),
        optimizer=tf.keras.optimizers.Adam(AGENT_ARGS["q_lr"]),
        td_errors_loss_fn=common.element_wise_squared_loss,
        target_update_tau=AGENT_ARGS["tau"],
        gamma=AGENT_ARGS["gamma"],
        train_step_counter=tf.Variable(0, dtype=tf.int64),
    )
    agent.initialize()
    agent.train = common.function(agent.train)
    return agent


def in_graph(train, experience, steps):
    """A compiled function running ``steps`` train steps on ``experience``."""

    @common.function
    def run():
        def body(i):
            train(experience)
            return (i + 1,)

        return tf.while_loop(lambda i: i < steps, body, (0,), parallel_iterations=1)

    return run


def per_call(train, experience, steps):
    def run():
        for _ in range(steps):
            train(experience)

    return run


def median_ms_per_step(fns, steps, repeats):
    """Median over round-robin repeats of ms per step of each fn() of ``steps`` steps."""
    seconds = timing.median_seconds(fns, repeats)
    return {key: s / steps * 1e3 for key, s in seconds.items()}


def print_ratio_table(results, agents, modes, baseline, ratio_label, ms_digits):
    """One row per agent: ms per step and its ratio to ``baseline``, per mode."""
    print(f"{'agent':<10}" + "".join(f"{m + ' ms':>13}{ratio_label:>8}" for m in modes))
    for name in agents:
        print(
            f"{name:<10}"
            + "".join(
                f"{results[name, m]:>13.{ms_digits}f}"
                f"{results[name, m] / results[baseline, m]:>8.2f}"
                for m in modes
            )
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    if args.repeats <= 0 or args.steps <= 0:
        parser.error("--repeats and --steps must be positive integers")

    trainers = {
        jit: training.make_trainer(
            tempfile.mkdtemp(prefix="agent_bench_"),
            num_env_steps=10**9,
            init_steps=2000,
            batch_size=BATCH,
            jit_compile=jit,
        )
        for jit in (True, False)
    }
    time_steps = {jit: t.collect_random(2000) for jit, t in trainers.items()}
    experience, _ = next(
        iter(
            trainers[True].replay_buffer.as_dataset(
                sample_batch_size=BATCH, num_steps=2
            )
        )
    )
    omd = trainers[True].agent
    agents = {
        f"{name}{' xla' if jit else ''}": soft_q.make_agent(
            name,
            omd.time_step_spec,
            omd.action_spec,
            **{**AGENT_ARGS, "jit_compile": jit},
        )
        for jit in (False, True)
        for name in soft_q.AGENTS
    }
    agents["DqnAgent"] = make_dqn(omd.time_step_spec, omd.action_spec)
    fns = {}
    for name, agent in agents.items():
        fns[name, "per call"] = per_call(agent.train, experience, args.steps)
        fns[name, "in graph"] = in_graph(agent.train, experience, args.steps)
    results = median_ms_per_step(fns, args.steps, args.repeats)

    modes = ("per call", "in graph")
    print(
        f"Train step on CartPole, batch {BATCH}, 2x{AGENT_ARGS['hidden_dim']} "
        f"networks; median of "
        f"{args.repeats} x {args.steps} steps; ratio to DqnAgent, same mode"
    )
    print_ratio_table(results, agents, modes, "DqnAgent", "/ DQN", ms_digits=3)
    for m in modes:
        print(
            f"OMD / MLE ({m}): graph {results['omd', m] / results['mle', m]:.2f}, "
            f"xla {results['omd xla', m] / results['mle xla', m]:.2f}"
        )

    def loop_steps(jit):
        def run():
            time_steps[jit] = trainers[jit].train_steps(time_steps[jit], args.steps)

        return run

    loop = median_ms_per_step(
        {
            **{("loop", jit): loop_steps(jit) for jit in trainers},
            **{
                ("in graph", jit): in_graph(t.agent.train, experience, args.steps)
                for jit, t in trainers.items()
            },
            **{
                ("per call", jit): per_call(t.agent.train, experience, args.steps)
                for jit, t in trainers.items()
            },
        },
        args.steps,
        args.repeats,
    )
    print("OMD training loop (collect + replay + sample + train per env step):")
    for jit in trainers:
        print(
            f"  {'xla' if jit else 'graph'}: {loop['loop', jit]:.3f} ms/step = "
            f"{1e3 / loop['loop', jit]:.0f} env steps/s; loop / train step "
            f"called from Python {loop['loop', jit] / loop['per call', jit]:.2f}, "
            f"in graph {loop['loop', jit] / loop['in graph', jit]:.2f}"
        )
    print(f"  xla loop / graph loop {loop['loop', True] / loop['loop', False]:.2f}")
    print("Targets (default XLA agent, train step called from Python):")
    for label, ratio, target in (
        (
            "OMD / MLE",
            results["omd xla", "per call"] / results["mle xla", "per call"],
            1.6,
        ),
        (
            "OMD / DqnAgent",
            results["omd xla", "per call"] / results["DqnAgent", "per call"],
            2.5,
        ),
        (
            "whole loop / train step",
            loop["loop", True] / loop["per call", True],
            1.5,
        ),
    ):
        verdict = "met" if ratio <= target else "NOT met"
        print(f"  {label:<24} {ratio:5.2f}  (target <= {target}: {verdict})")
    for t in trainers.values():
        t.close()


if __name__ == "__main__":
    main()
