"""The main job of `make demo`: OMD vs MLE on CartPole with a model of width 1.

    python bin/demo.py --out_dir=runs/demo [--num_env_steps=N] [--seed=S]

Trains an OMD and an MLE soft-Q agent whose dynamics/reward model has hidden
width 1 (a badly misspecified model, paper Figure 4 left) on the same short
budget, prints both agents' eval returns side by side, and says where each
run's outputs went (eval_returns.csv, TensorBoard summaries, checkpoints,
exported SavedModel policy) and the plot of both curves (eval_returns.png).  Re-running with the same --out_dir resumes.
"""

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags

from omd_tf import training

flags.DEFINE_string("out_dir", "runs/demo", "Output directory.")
flags.DEFINE_integer("num_env_steps", 40_000, "Env steps per agent.")
flags.DEFINE_integer("model_hidden_dim", 1, "Hidden width of the model.")
flags.DEFINE_integer("seed", 0, "Random seed.")
flags.adopt_module_key_flags(console)
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    try:
        training.compare(
            FLAGS.out_dir,
            agents=("omd", "mle"),
            model_hidden_dim=FLAGS.model_hidden_dim,
            num_env_steps=FLAGS.num_env_steps,
            seed=FLAGS.seed,
        )
    except training.ConfigError as err:
        raise app.UsageError(str(err)) from err


if __name__ == "__main__":
    console.run(main)
