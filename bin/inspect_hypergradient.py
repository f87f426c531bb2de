"""What OMD's model gradient is made of, at the last checkpoint of a SAC run.

    python bin/inspect_hypergradient.py --root_dir=runs/ip_omd --env=InvertedPendulum-v5 \
        --agent=omd --nomodel_grad_through_actor

Takes the flags of the `bin/train_sac.py` run (the same values, so that the
same agent is rebuilt; a flag that differs from the run's flags.json is
named), restores its last checkpoint and, on --num_batches replay batches of
--batch_size transitions, prints the mean and the largest value over the
batches of each factor of `OmdSacAgent.hypergradient_factors`: the real-data
critic loss L_true and its gradient's norm ‖v‖, how far the critics' values
move along v, the slope of the critic target w.r.t. the next observation at
the model's and at the real next observations, and the identity-inverse
hypergradient's norm on the dynamics MLP (the next-state path) and on the
reward MLP (the reward path), with each MLP's weight norm (one model MLP
with --model_shared_trunk).  An MLE run's
critics and model are inspected the same way, as a contrast.  Writes nothing.
"""

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags
import numpy as np
from tf_agents.agents import data_converter

from agents import model_learning
from omd_tf.training import cli
from omd_tf.training import sac

cli.define_flags(sac.SacConfig)
flags.adopt_module_key_flags(cli)
flags.adopt_module_key_flags(console)
flags.DEFINE_integer("num_batches", 10, "Replay batches of --batch_size to average.")
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    cli.require_positive("num_batches")
    trainer = cli.restored_trainer_from_flags(sac.make_trainer, sac.SacConfig)
    try:
        agent = trainer.agent
        as_transition = data_converter.AsTransition(
            agent.data_context, squeeze_time_dim=True
        )
        values = {}
        for _ in range(FLAGS.num_batches):
            experience = trainer.replay_buffer.get_next(
                sample_batch_size=FLAGS.batch_size, num_steps=2
            )[0]
            batch = model_learning.Batch.from_transition(as_transition(experience))
            factors = agent.hypergradient_factors(batch, agent.noise_seed(), batch.valid)
            for name, value in factors.items():
                values.setdefault(name, []).append(float(value))
        print(
            f"{FLAGS.root_dir} at {trainer.env_steps} env steps, "
            f"{FLAGS.num_batches} batches of {FLAGS.batch_size}: mean (max)"
        )
        for name, batch_values in values.items():
            print(f"  {name:24s} {np.mean(batch_values):.4g} ({np.max(batch_values):.4g})")
    finally:
        trainer.close()


if __name__ == "__main__":
    console.run(main)
