"""absl flags and `main` for the training binaries, derived from `make_trainer`.

Each keyword argument of a ``make_trainer(root_dir, **kwargs)`` becomes a flag
of the same name, type and default; ``--root_dir`` is required.  A bad value
is reported as a usage error naming its flag, before anything is written.
"""

import inspect

from absl import app
from absl import flags
from absl import logging

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
    for name, default in defaults.items():
        _DEFINE_BY_TYPE[type(default)](name, default, help_texts[name])
    flags.mark_flag_as_required("root_dir")


def trainer_from_flags(make_trainer):
    """``make_trainer(--root_dir, **the other flags)``; a bad flag -> UsageError."""
    values = flags.FLAGS
    kwargs = {name: values[name].value for name in default_arguments(make_trainer)}
    try:
        return make_trainer(values.root_dir, **kwargs)
    except checks.ConfigError as err:
        raise app.UsageError(str(err)) from err


def main_for(make_trainer):
    """The absl ``main``: build the trainer from the flags, run, report."""

    def main(argv):
        if len(argv) > 1:
            raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
        logging.set_verbosity(logging.INFO)
        final_return = loop.run_and_close(trainer_from_flags(make_trainer))
        print(
            f"final mean eval return {final_return:.1f}; "
            f"outputs in {flags.FLAGS.root_dir}"
        )

    return main
