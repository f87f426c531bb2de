"""Trains and evaluates an OMD-SAC or MLE-SAC agent on a MuJoCo gymnasium env.

    python bin/train_sac.py --root_dir=runs/cheetah_omd --agent=omd \
        --model_hidden_dim=64 --num_distractors=16

Writes TensorBoard summaries, eval_returns.csv, checkpoints (re-running with
the same --root_dir resumes) and the exported eval policy (root_dir/policy)
under --root_dir.  Defaults follow the paper's HalfCheetah set-up
(appendix F: SAC defaults, model hidden size 64, K = 1).
"""

import inspect

from absl import app
from absl import flags
from absl import logging

from omd_tf import training
from omd_tf.training import sac

_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(sac.make_trainer).parameters.items()
    if parameter.default is not parameter.empty
}


def _define(define, name, help_text, **kwargs):
    define(name, _DEFAULTS[name], help_text, **kwargs)


flags.DEFINE_string("root_dir", None, "Output directory (resumes if it exists).")
_define(flags.DEFINE_string, "env", "Gymnasium id (continuous actions).")
_define(flags.DEFINE_string, "agent", "How the model learns: omd | mle.")
_define(flags.DEFINE_integer, "model_hidden_dim", "Hidden width of the model.")
_define(flags.DEFINE_integer, "num_distractors", "N(0, 1) observation dims added.")
_define(flags.DEFINE_integer, "num_env_steps", "Env steps, random ones included.")
_define(flags.DEFINE_integer, "init_steps", "Uniformly random env steps first.")
_define(flags.DEFINE_integer, "batch_size", "Transitions per train step.")
_define(flags.DEFINE_float, "actor_lr", "Adam learning rate of the actor.")
_define(flags.DEFINE_float, "critic_lr", "Adam learning rate of the critics.")
_define(flags.DEFINE_float, "alpha_lr", "Adam learning rate of log α.")
_define(flags.DEFINE_float, "model_lr", "Adam learning rate of the model.")
_define(flags.DEFINE_float, "tau", "Polyak coefficient of the target critics.")
_define(flags.DEFINE_float, "gamma", "Discount.")
_define(flags.DEFINE_integer, "inner_steps", "K: SAC steps per model step.")
_define(flags.DEFINE_string, "inverse", "OMD inverse: identity | cg | normal_cg.")
_define(flags.DEFINE_integer, "hidden_dim", "Hidden width of actor and critics.")
_define(flags.DEFINE_integer, "seed", "Random seed.")
_define(flags.DEFINE_integer, "eval_interval", "Env steps between evaluations.")
_define(flags.DEFINE_integer, "num_eval_episodes", "Episodes per evaluation.")
_define(flags.DEFINE_boolean, "greedy_eval", "Evaluate/export the actor's mode.")
_define(flags.DEFINE_integer, "replay_capacity", "Transitions kept for replay.")
_define(flags.DEFINE_integer, "checkpoint_interval", "Env steps between saves.")
flags.mark_flag_as_required("root_dir")

FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    logging.set_verbosity(logging.INFO)
    kwargs = {name: FLAGS[name].value for name in _DEFAULTS}
    try:
        trainer = sac.make_trainer(FLAGS.root_dir, **kwargs)
    except training.ConfigError as err:
        raise app.UsageError(str(err)) from err
    try:
        final_return = trainer.run()
    finally:
        trainer.close()
    print(f"final mean eval return {final_return:.1f}; outputs in {FLAGS.root_dir}")


if __name__ == "__main__":
    app.run(main)
