"""Continues a soft-Q run with its model frozen: does its Q hold on that model alone?

    python bin/continue_frozen.py --from_dir=runs/omd --root_dir=runs/omd_frozen \
        [--extra_env_steps=10000]

Copies --from_dir's flags.json, model_alive.json and checkpoints into the
new --root_dir and resumes the run there for --extra_env_steps more env
steps with the model's learning rate set to 0: the Q networks go on
learning exactly as in the run, on the frozen model's predictions.  Then
prints, per seed, the mean of the last 10 evals of --from_dir and of the
continuation.  An OMD model is trained to make the current Q right on real
data, not to be right; this asks whether the model a run ended with
supports a good Q by itself, as an accurate (MLE) model should.  Writes
nothing under --from_dir.
"""

import dataclasses
import os
import shutil

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags

from omd_tf.training import cli
from omd_tf.training import curves
from omd_tf.training import loop
from omd_tf.training import model_health
from omd_tf.training import population
from omd_tf.training import run_flags
from omd_tf.training import soft_q

flags.DEFINE_string("from_dir", None, "A soft-Q run's root_dir with a checkpoint.")
flags.DEFINE_string("root_dir", None, "New folder for the continuation.")
flags.DEFINE_integer("extra_env_steps", 10_000, "Env steps to continue for.")
flags.mark_flags_as_required(["from_dir", "root_dir"])
flags.adopt_module_key_flags(console)
FLAGS = flags.FLAGS
LAST_EVALS = 10


def _copy_run(from_dir, root_dir):
    """The files a resume reads, from ``from_dir`` into a new ``root_dir``."""
    os.makedirs(root_dir)
    for name in (run_flags.FILE, model_health.FILE):
        if os.path.isfile(os.path.join(from_dir, name)):
            shutil.copyfile(os.path.join(from_dir, name), os.path.join(root_dir, name))
    shutil.copytree(
        os.path.join(from_dir, loop.CHECKPOINT_DIR),
        os.path.join(root_dir, loop.CHECKPOINT_DIR),
    )


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    cli.require_positive("extra_env_steps")
    config = run_flags.recorded_config(FLAGS.from_dir, soft_q.SoftQConfig)
    if config is None or loop.checkpointed_env_steps(FLAGS.from_dir) is None:
        raise app.UsageError(
            f"--from_dir={FLAGS.from_dir!r} holds no checkpointed soft-Q run."
        )
    if os.path.exists(FLAGS.root_dir):
        raise app.UsageError(f"--root_dir={FLAGS.root_dir!r} exists; pass a new one.")
    _copy_run(FLAGS.from_dir, FLAGS.root_dir)
    trainer = cli.restored_trainer(
        soft_q.make_trainer,
        FLAGS.root_dir,
        dataclasses.replace(
            config, num_env_steps=config.num_env_steps + FLAGS.extra_env_steps
        ),
    )
    trainer.agent.model_optimizer.learning_rate.assign(0.0)
    start = trainer.env_steps
    loop.run_and_close(trainer)
    print(
        f"{FLAGS.root_dir}: {FLAGS.from_dir} continued from {start} env steps with "
        f"its model frozen; mean of the last {LAST_EVALS} evals per seed, "
        "before -> after:"
    )
    before = population.member_dirs(FLAGS.from_dir, config.seed, config.num_seeds)
    after = population.member_dirs(FLAGS.root_dir, config.seed, config.num_seeds)
    for k, (old, new) in enumerate(zip(before, after)):
        print(
            f"seed {config.seed + k}: "
            f"{curves.last_n_mean(curves.read(old), LAST_EVALS):.1f} -> "
            f"{curves.last_n_mean(curves.read(new), LAST_EVALS):.1f}"
        )


if __name__ == "__main__":
    console.run(main)
