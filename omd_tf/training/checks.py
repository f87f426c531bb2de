"""Argument checks whose messages name the command-line flag.

The fields of a run's config (`config.RunConfig`) and the flags of the
training binaries share their names, so one message serves both entry points.
"""

import numbers

from omd_tf import networks


class ConfigError(ValueError):
    """An invalid training argument; the message names its flag."""


def _fail(name, requirement, value):
    raise ConfigError(f"--{name} must be {requirement}, got {value!r}.")


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name, value):
    if not _is_int(value) or value <= 0:
        _fail(name, "a positive integer", value)


def non_negative_int(name, value):
    if not _is_int(value) or value < 0:
        _fail(name, "a non-negative integer", value)


def positive_float(name, value):
    if not isinstance(value, numbers.Real) or not value > 0:
        _fail(name, "a positive number", value)


def in_interval(name, value, low, high, low_open=False):
    """low <= value <= high (low < value with ``low_open``)."""
    above = value > low if low_open else value >= low
    if not isinstance(value, numbers.Real) or not (above and value <= high):
        interval = f"{'(' if low_open else '['}{low}, {high}]"
        _fail(name, f"in {interval}", value)


def boolean(name, value):
    if not isinstance(value, bool):
        _fail(name, "True or False", value)


def one_of(name, value, choices):
    if value not in choices:
        _fail(name, f"one of {', '.join(choices)}", value)


def trainer_arguments(args, agents, inverses, learning_rates):
    """Checks the settings every training binary shares (``args``: their dict).

    ``learning_rates`` names the positive float arguments of this trainer.
    """
    for name in (
        "model_hidden_dim",
        "hidden_dim",
        "num_env_steps",
        "batch_size",
        "inner_steps",
        "eval_interval",
        "num_eval_episodes",
        "replay_capacity",
        "checkpoint_interval",
    ):
        positive_int(name, args[name])
    for name in ("num_distractors", "init_steps", "seed"):
        non_negative_int(name, args[name])
    for name in learning_rates:
        positive_float(name, args[name])
    in_interval("tau", args["tau"], 0, 1, low_open=True)
    in_interval("gamma", args["gamma"], 0, 1)
    one_of("agent", args["agent"], agents)
    for name in ("likelihood_weight", "hypergradient_clip_norm"):
        in_interval(name, args[name], 0, float("inf"))
        if args[name] and args["agent"] != "omd":
            raise ConfigError(f"--{name} applies to --agent=omd only.")
    one_of("inverse", args["inverse"], inverses)
    one_of("model_activation", args["model_activation"], networks.ACTIVATIONS)
    if not isinstance(args["root_dir"], str) or not args["root_dir"]:
        raise ConfigError("--root_dir must be a non-empty path.")
