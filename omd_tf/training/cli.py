"""absl flags and `main` for the training binaries, derived from `make_trainer`.

Each keyword argument of a ``make_trainer(root_dir, **kwargs)`` becomes a flag
of the same name, type and default (a None default: unset, of the type T of
its ``Optional[T]`` annotation); ``--root_dir`` is required.  A bad value
is reported as a usage error naming its flag, before anything is written.
"""

import inspect
import os
import sys
import typing

from absl import app
from absl import flags
import tensorflow as tf

from omd_tf.training import checks
from omd_tf.training import loop

# Help of the flags that both training binaries have.
SHARED_FLAG_HELP = {
    "model_hidden_dim": "Hidden width of the model.",
    "model_activation": "Model hidden activation: relu | swish | elu | tanh.",
    "num_distractors": "N(0, 1) observation dims added.",
    "num_env_steps": "Env steps, random ones included.",
    "init_steps": "Uniformly random env steps first.",
    "batch_size": "Transitions per train step.",
    "model_lr": "Adam learning rate of the model.",
    "gamma": "Discount.",
    "inverse": "OMD inverse: identity | cg | normal_cg.",
    "likelihood_weight": "λ of an MLE term added to OMD's model loss (0: the "
    "paper's pure OMD).",
    "hypergradient_clip_norm": "Scale OMD's hypergradient to this L2 norm "
    "where longer, before the likelihood term (0: never).",
    "seed": "Random seed.",
    "eval_interval": "Env steps between evaluations.",
    "num_eval_episodes": "Episodes per evaluation.",
    "replay_capacity": "Transitions kept for replay.",
    "checkpoint_interval": "Env steps between saves.",
}

_DEFINE_BY_TYPE = {
    bool: flags.DEFINE_boolean,
    int: flags.DEFINE_integer,
    float: flags.DEFINE_float,
    str: flags.DEFINE_string,
}


def default_arguments(make_trainer):
    """{keyword: default} of ``make_trainer`` (the binary's flags and defaults)."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(make_trainer).parameters.items()
        if parameter.default is not parameter.empty
    }


def _flag_type(parameter):
    if parameter.default is not None:
        return type(parameter.default)
    (flag_type,) = set(typing.get_args(parameter.annotation)) - {type(None)}
    return flag_type


def define_flags(make_trainer, help_texts):
    """Defines --root_dir and one flag per keyword of ``make_trainer``.

    Args:
      make_trainer: function (root_dir, **kwargs) -> `loop.Trainer`.
      help_texts: {keyword: help text}; every keyword needs one.
    """
    defaults = default_arguments(make_trainer)
    missing = set(defaults) - set(help_texts)
    if missing:
        raise ValueError(f"`help_texts` lacks help for {sorted(missing)}.")
    flags.DEFINE_string("root_dir", None, "Output directory (resumes if it exists).")
    parameters = inspect.signature(make_trainer).parameters
    for name, default in defaults.items():
        flag_type = _flag_type(parameters[name])
        _DEFINE_BY_TYPE[flag_type](name, default, help_texts[name])
    flags.mark_flag_as_required("root_dir")


def trainer_from_flags(make_trainer, root_dir=None):
    """``make_trainer(root_dir or --root_dir, **the other flags)``; a bad flag -> UsageError."""
    values = flags.FLAGS
    kwargs = {name: values[name].value for name in default_arguments(make_trainer)}
    try:
        return make_trainer(root_dir or values.root_dir, **kwargs)
    except checks.ConfigError as err:
        raise app.UsageError(str(err)) from err


def require_positive(name):
    """UsageError unless the integer flag --``name`` is positive."""
    value = flags.FLAGS[name].value
    if value <= 0:
        raise app.UsageError(f"--{name} must be positive, got {value}.")


def restored_trainer_from_flags(make_trainer):
    """`trainer_from_flags` for a run to inspect: its last checkpoint restored.

    A --root_dir without a readable checkpoint -> UsageError, before the
    trainer is built (nothing is written).
    """
    root_dir = flags.FLAGS.root_dir
    if not tf.train.latest_checkpoint(
        os.path.join(root_dir, loop.CHECKPOINT_DIR)
    ):
        raise app.UsageError(f"--root_dir={root_dir!r} has no checkpoint to inspect.")
    trainer = trainer_from_flags(make_trainer)
    if not trainer.env_steps:
        trainer.close()
        raise app.UsageError(f"--root_dir={root_dir!r} has no readable checkpoint.")
    return trainer


def main_for(make_trainer):
    """The absl ``main``: build the trainer from the flags, run, report.

    A run whose ``--root_dir`` holds a complete run does nothing and says so.
    A run that stops (`loop.RunStopped`: a non-finite loss, a checkpoint
    that cannot be written) prints why and what is kept, exit code 2; the
    traceback only with --verbose.
    """

    def main(argv):
        if len(argv) > 1:
            raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
        trainer = trainer_from_flags(make_trainer)
        complete = trainer.final_return() is not None
        try:
            final_return = loop.run_and_close(trainer)
        except loop.RunStopped as err:
            if flags.FLAGS.get_flag_value("verbose", False):
                raise
            print(f"{os.path.basename(argv[0])}: {err}", file=sys.stderr)
            sys.exit(2)
        status = "complete, nothing to do" if complete else "finished"
        print(
            f"run {status}: final mean eval return {final_return:.1f} at "
            f"{trainer.env_steps} env steps; outputs in {flags.FLAGS.root_dir}"
        )

    return main
