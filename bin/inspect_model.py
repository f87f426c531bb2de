"""Which hidden units of a trained soft-Q agent's model are alive, and what it predicts.

    python bin/inspect_model.py --root_dir=runs/omd_h1 --agent=omd --model_hidden_dim=1

Takes the flags of the `bin/train_eval.py` run (the same values, so that the
same agent is rebuilt; a flag that differs from the run's flags.json is
named), restores its last checkpoint, and on --num_samples
transitions drawn from its replay buffer prints, per hidden layer of the
model's dynamics and reward MLPs, the fraction of transitions on which each
unit is live (non-zero activation slope; 0 = dead), and the standard
deviation over the transitions of the predicted vs the real next observation
(per dimension) and reward.  A dead hidden layer makes that MLP's prediction
constant.  Writes nothing.
"""


from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags
import numpy as np
import tensorflow as tf

from omd_tf.training import cli
from omd_tf.training import soft_q

cli.define_flags(soft_q.SoftQConfig)
flags.adopt_module_key_flags(cli)
flags.adopt_module_key_flags(console)
flags.DEFINE_integer("num_samples", 4096, "Replay transitions to inspect.")
FLAGS = flags.FLAGS


def _fmt(values):
    return " ".join(f"{v:.3f}" for v in np.asarray(values).ravel())


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    cli.require_positive("num_samples")
    trainer = cli.restored_trainer_from_flags(soft_q.make_trainer, soft_q.SoftQConfig)
    try:
        experience, _ = trainer.replay_buffer.get_next(
            sample_batch_size=FLAGS.num_samples, num_steps=2
        )
        # Pairs (LAST, FIRST) join two episodes: no transition.
        experience = tf.nest.map_structure(
            lambda t: tf.boolean_mask(t, ~experience.is_boundary()[:, 0]), experience
        )
        observation, action = experience.observation[:, 0], experience.action[:, 0]
        real_next, real_reward = experience.observation[:, 1], experience.reward[:, 0]
        model = trainer.agent.model_network
        print(f"{FLAGS.root_dir} at {trainer.env_steps} env steps")
        for layer, fraction in model.live_unit_fractions((observation, action)).items():
            print(f"live fraction per unit, {layer}: {_fmt(fraction)}")
        (next_observation, reward), _ = model((observation, action))
        print(f"std of predicted next observation: {_fmt(np.std(next_observation, 0))}")
        print(f"std of real next observation:      {_fmt(np.std(real_next, 0))}")
        print(
            f"predicted reward mean {np.mean(reward):.3f} std {np.std(reward):.3f}; "
            f"real reward mean {np.mean(real_reward):.3f} std {np.std(real_reward):.3f}"
        )
    finally:
        trainer.close()


if __name__ == "__main__":
    console.run(main)
