"""Trains and evaluates an OMD / MLE / VEP soft-Q agent on a gymnasium env.

    python bin/train_eval.py --root_dir=runs/omd_h1 --agent=omd --model_hidden_dim=1

Writes TensorBoard summaries, eval_returns.csv, checkpoints (re-running with
the same --root_dir resumes) and the exported eval policy (root_dir/policy)
under --root_dir.  Defaults are the paper's CartPole settings (appendix D).
"""

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import flags  # pylint: disable=g-bad-import-order

from omd_tf.training import cli
from omd_tf.training import soft_q

cli.define_flags(soft_q.SoftQConfig)
cli.define_threads_flag()
flags.adopt_module_key_flags(cli)
flags.adopt_module_key_flags(console)

if __name__ == "__main__":
    console.run(cli.main_for(soft_q.make_trainer, soft_q.SoftQConfig))
