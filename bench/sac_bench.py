"""Cost of one OMD-SAC and one MLE-SAC train step as ratios to plain `SacAgent`.

HalfCheetah-v5 specs, SAC's default networks (actor and critics: 2x256 ReLU,
built by `sac.actor_and_critic_networks` for every agent), the model of
`sac.make_agent` (2x64 ReLU) and batch 256.  Train steps of `OmdSacAgent`
('omd' and 'mle') and of a plain `SacAgent` with the same networks,
optimisers and target update are timed on one fixed replay batch of random
HalfCheetah steps, round-robin so that load on the machine hits all of them
alike; the table gives medians and ratios to `SacAgent` measured in this run,
called from Python once per step and N steps in one compiled `tf.while_loop`
(helpers of `agent_bench.py`).

  python bench/sac_bench.py [--repeats 15] [--steps 10]
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from tf_agents.agents.sac import sac_agent  # noqa: E402
from tf_agents.utils import common  # noqa: E402

from agent_bench import (  # noqa: E402
    in_graph,
    median_ms_per_step,
    per_call,
    print_ratio_table,
)
from omd_tf.training import config  # noqa: E402
from omd_tf.training import loop  # noqa: E402
from omd_tf.training import sac  # noqa: E402

BATCH = 256
# The agents' arguments at `bin/train_sac.py`'s defaults (SAC's, paper app. F).
AGENT_ARGS = loop.agent_arguments(
    sac.make_agent, config.defaults(sac.SacConfig)
)
HIDDEN = AGENT_ARGS["hidden_dim"]


def make_plain_sac(time_step_spec, action_spec):
    """`SacAgent` with `sac.make_agent`'s actor, critics, Adam and τ."""
    actor, critic = sac.actor_and_critic_networks(
        time_step_spec.observation, action_spec, HIDDEN
    )
    agent = sac_agent.SacAgent(
        time_step_spec,
        action_spec,
        critic_network=critic,
        actor_network=actor,
        actor_optimizer=tf.keras.optimizers.Adam(AGENT_ARGS["actor_lr"]),
        critic_optimizer=tf.keras.optimizers.Adam(AGENT_ARGS["critic_lr"]),
        alpha_optimizer=tf.keras.optimizers.Adam(AGENT_ARGS["alpha_lr"]),
        target_update_tau=AGENT_ARGS["tau"],
        gamma=AGENT_ARGS["gamma"],
        train_step_counter=tf.Variable(0, dtype=tf.int64),
    )
    agent.initialize()
    return agent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    if args.repeats <= 0 or args.steps <= 0:
        parser.error("--repeats and --steps must be positive integers")

    trainer = sac.make_trainer(
        tempfile.mkdtemp(prefix="sac_bench_"),
        num_env_steps=10**9,
        batch_size=BATCH,
        replay_capacity=2000,
    )
    trainer.collect_random(2000)
    experience, _ = next(
        iter(trainer.replay_buffer.as_dataset(sample_batch_size=BATCH, num_steps=2))
    )
    specs = trainer.agent.time_step_spec, trainer.agent.action_spec
    trainer.close()
    agents = {name: sac.make_agent(name, *specs, **AGENT_ARGS) for name in sac.AGENTS}
    agents["SacAgent"] = make_plain_sac(*specs)
    fns = {}
    for name, agent in agents.items():
        train = common.function(agent.train)  # TF2 leaves `agent.train` eager.
        fns[name, "per call"] = per_call(train, experience, args.steps)
        fns[name, "in graph"] = in_graph(agent.train, experience, args.steps)
    results = median_ms_per_step(fns, args.steps, args.repeats)

    modes = ("per call", "in graph")
    print(
        f"Train step, HalfCheetah-v5 specs, batch {BATCH}, actor/critics "
        f"2x{HIDDEN}, model 2x{AGENT_ARGS['model_hidden_dim']}; median of "
        f"{args.repeats} x {args.steps} steps; ratio to SacAgent, same mode"
    )
    print_ratio_table(results, agents, modes, "SacAgent", "/ SAC", ms_digits=2)
    for m in modes:
        print(f"OMD / MLE ({m}): {results['omd', m] / results['mle', m]:.2f}")


if __name__ == "__main__":
    main()
