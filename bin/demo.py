"""The main job of `make demo`: OMD vs MLE on CartPole, several seeds each.

    python bin/demo.py --out_dir=runs/demo [--num_env_steps=N] [--num_seeds=N]
        [--model_hidden_dim=W] [--seed=S]

Trains OMD and MLE soft-Q agents whose dynamics/reward model has hidden
width --model_hidden_dim (default 32, where on this short budget MLE learns
clearly faster than OMD; width 1 is the paper's badly misspecified model,
Figure 4 left, whose OMD/MLE gap is within the seeds' spread at this
budget, see the README) on the same budget, each as a population of
--num_seeds seeds trained in one graph,
prints both agents' eval returns side by side (mean ± standard error over
seeds), and says where the runs' outputs went (per seed: eval_returns.csv,
exported SavedModel policy; per agent: TensorBoard summaries, checkpoints,
population_returns.csv) and the plot of both curves (eval_returns.png).
Re-running with the same --out_dir resumes.
"""

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags

from omd_tf import training

flags.DEFINE_string("out_dir", "runs/demo", "Output directory.")
flags.DEFINE_integer("num_env_steps", 40_000, "Env steps per seed.")
flags.DEFINE_integer("model_hidden_dim", 32, "Hidden width of the model.")
flags.DEFINE_integer("seed", 0, "First seed.")
flags.DEFINE_integer("num_seeds", 4, "Seeds per agent (seed … seed+N−1).")
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
            num_seeds=FLAGS.num_seeds,
            print_every=5,
        )
    except training.ConfigError as err:
        raise app.UsageError(str(err)) from err


if __name__ == "__main__":
    console.run(main)
