"""Where each seed of a soft-Q run stands at its last checkpoint: Q, model, eq. (13).

    python bin/inspect_seeds.py --root_dir=runs/omd_pop --agent=omd --num_seeds=10

Takes the flags of the `bin/train_eval.py` run (the same values, so that the
same agent is rebuilt; a flag that differs from the run's flags.json is
named), restores its last checkpoint and, on --num_batches replay batches
of --batch_size transitions per seed, prints one line per seed with the
means over the batches of `OmdSoftQAgent.inspect`: the real-data TD loss
L_true, the mean Q, the model's next-state MSE per dimension and mean
reward error r_θ − r, and the norms of OMD's hypergradient dL_true/dθ by
eq. (13) with the identity inverse and with --cg_iterations of CG, and the
cosine between the two.  A seed whose Q or model has run away shows it
here.  An MLE or VEP run's Q and model are put through the same formulas.
With --initial_model the model is first put back to its weights at
initialisation (initialisation is seeded: those a new run with the same
flags starts from), so the same columns show a random model's errors on
the same data (the paper's Figure 5 compares OMD's model error with a
random model's).  Writes nothing.
"""

from omd_tf import console  # First: quiets TensorFlow before it loads.

import tempfile

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags
import numpy as np
from tf_agents.utils import common

from omd_tf.training import cli
from omd_tf.training import soft_q

cli.define_flags(soft_q.SoftQConfig)
flags.adopt_module_key_flags(cli)
flags.adopt_module_key_flags(console)
flags.DEFINE_integer("num_batches", 3, "Replay batches of --batch_size per seed.")
flags.DEFINE_integer("cg_iterations", 10, "CG iterations of the inverse Hessian.")
flags.DEFINE_boolean(
    "initial_model",
    False,
    "Put the model back to its weights at initialisation before inspecting: "
    "a random model's errors (and eq. 13) on the run's data, beside its Q.",
)
FLAGS = flags.FLAGS

_COLUMNS = {  # inspect's key: (heading, format)
    "true_td_loss": ("L_true", "{:.3g}"),
    "mean_q": ("mean Q", "{:.4g}"),
    "model_next_obs_mse": ("next-state MSE", "{:.3g}"),
    "model_reward_bias": ("r_θ − r", "{:+.3g}"),
    "hypergradient_norm": ("‖eq. 13‖ identity", "{:.3g}"),
    "cg_hypergradient_norm": ("‖eq. 13‖ CG", "{:.3g}"),
    "hypergradient_cosine": ("cosine", "{:+.3f}"),
}


def _reset_model(trainer):
    """Sets the model's weights to those of a new trainer built with the same flags.

    The new trainer lives in a temporary folder; initialisation is seeded, so
    these are the weights the run started from.
    """
    with tempfile.TemporaryDirectory() as root_dir:
        fresh = cli.trainer_from_flags(soft_q.make_trainer, soft_q.SoftQConfig, root_dir)
        try:
            common.soft_variables_update(
                fresh.agent.model_network.variables,
                trainer.agent.model_network.variables,
                tau=1.0,
            )
        finally:
            fresh.close()


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    cli.require_positive("num_batches")
    cli.require_positive("cg_iterations")
    trainer = cli.restored_trainer_from_flags(soft_q.make_trainer, soft_q.SoftQConfig)
    try:
        if FLAGS.initial_model:
            _reset_model(trainer)
        values = {name: [] for name in _COLUMNS}
        for _ in range(FLAGS.num_batches):
            inspected = trainer.agent.inspect(trainer.sample(), FLAGS.cg_iterations)
            for name in _COLUMNS:
                values[name].append(np.atleast_1d(inspected[name].numpy()))
        means = {name: np.mean(v, axis=0) for name, v in values.items()}
        print(
            f"{FLAGS.root_dir} at {trainer.env_steps} env steps, {FLAGS.num_batches} "
            f"batches of {FLAGS.batch_size} per seed, CG × {FLAGS.cg_iterations}"
            f"{', model at initialisation' if FLAGS.initial_model else ''}: means"
        )
        print(" | ".join(["seed"] + [heading for heading, _ in _COLUMNS.values()]))
        for member in range(FLAGS.num_seeds):
            cells = [
                fmt.format(means[name][member]) for name, (_, fmt) in _COLUMNS.items()
            ]
            print(" | ".join([str(FLAGS.seed + member)] + cells))
    finally:
        trainer.close()


if __name__ == "__main__":
    console.run(main)
