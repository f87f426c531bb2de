"""Trains and evaluates an OMD-SAC or MLE-SAC agent on a MuJoCo gymnasium env.

    python bin/train_sac.py --root_dir=runs/cheetah_omd --agent=omd \
        --model_hidden_dim=64 --num_distractors=16

Writes TensorBoard summaries, eval_returns.csv, checkpoints (re-running with
the same --root_dir resumes) and the exported eval policy (root_dir/policy)
under --root_dir.  Defaults follow the paper's HalfCheetah set-up
(appendix F: SAC defaults, model hidden size 64, K = 1).
"""

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import flags  # pylint: disable=g-bad-import-order

from omd_tf.training import cli
from omd_tf.training import sac

cli.define_flags(sac.SacConfig)
cli.define_threads_flag()
flags.adopt_module_key_flags(cli)
flags.adopt_module_key_flags(console)

if __name__ == "__main__":
    console.run(cli.main_for(sac.make_trainer, sac.SacConfig))
