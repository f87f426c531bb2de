"""absl flags and `main` for the training binaries, derived from their configs.

Each field of a binary's `config.RunConfig` dataclass becomes a flag of the
same name, type, default and help (a None default: unset, of the type T of
its ``Optional[T]`` annotation); ``--root_dir`` is required.  A bad value is
reported as a usage error naming its flag, before anything is written.
"""

import dataclasses
import os
import sys

from absl import app
from absl import flags
import tensorflow as tf

from omd_tf.training import checks
from omd_tf.training import config
from omd_tf.training import loop

_DEFINE_BY_TYPE = {
    bool: flags.DEFINE_boolean,
    int: flags.DEFINE_integer,
    float: flags.DEFINE_float,
    str: flags.DEFINE_string,
}


def define_flags(config_class):
    """Defines --root_dir and one flag per field of ``config_class``.

    Args:
      config_class: a `config.RunConfig` dataclass: each field's name, type
        (T of an ``Optional[T]`` field, which is unset by default), default
        and help (``metadata["help"]``) make its flag.
    """
    flags.DEFINE_string("root_dir", None, "Output directory (resumes if it exists).")
    for field in dataclasses.fields(config_class):
        _DEFINE_BY_TYPE[config.field_type(config_class, field.name)](
            field.name, field.default, field.metadata["help"]
        )
    flags.mark_flag_as_required("root_dir")


def define_threads_flag():
    """Defines --threads, which `main_for` applies (`apply_threads`)."""
    flags.DEFINE_integer(
        "threads",
        0,
        "TensorFlow threads of this process (intra- and inter-op); 0: "
        "TensorFlow's default, one per core.  Runs sharing a machine go faster "
        "with cores / runs each (two 5-seed runs on two cores: 1 each gave a "
        "third more env steps/s in all than the default).  Not a setting of "
        "the run: it may change on resume.",
    )


def apply_threads():
    """Sets TensorFlow's thread pools to --threads (before any op runs);
    UsageError unless it is 0 or positive."""
    threads = flags.FLAGS.threads
    if threads < 0:
        raise app.UsageError(
            f"--threads must be 0 (TensorFlow's default) or positive, got {threads}."
        )
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def config_from_flags(config_class):
    """A ``config_class`` with each field's flag value."""
    return config_class(
        **{f.name: flags.FLAGS[f.name].value for f in dataclasses.fields(config_class)}
    )


def trainer_from_flags(make_trainer, config_class, root_dir=None):
    """``make_trainer(root_dir or --root_dir, the flags' config)``; a bad flag -> UsageError.

    Args:
      make_trainer: function (root_dir, run_config) -> `loop.Trainer`.
      config_class: the `config.RunConfig` dataclass of ``make_trainer``.
      root_dir: the output directory, if not --root_dir's.
    """
    try:
        return make_trainer(
            root_dir or flags.FLAGS.root_dir, config_from_flags(config_class)
        )
    except checks.ConfigError as err:
        raise app.UsageError(str(err)) from err


def require_positive(name):
    """UsageError unless the integer flag --``name`` is positive."""
    value = flags.FLAGS[name].value
    if value <= 0:
        raise app.UsageError(f"--{name} must be positive, got {value}.")


def restored_trainer(make_trainer, root_dir, run_config, flag="root_dir"):
    """``make_trainer(root_dir, run_config)`` at the run's last checkpoint, to inspect.

    A ``root_dir`` without a readable checkpoint or a ``run_config`` that
    `make_trainer` refuses -> UsageError naming --``flag`` (the flag that gave
    ``root_dir``); a missing checkpoint is found before the trainer is built,
    so nothing is written.
    """
    if loop.checkpointed_env_steps(root_dir) is None:
        raise app.UsageError(f"--{flag}={root_dir!r} has no checkpoint to inspect.")
    try:
        trainer = make_trainer(root_dir, run_config)
    except checks.ConfigError as err:
        raise app.UsageError(f"--{flag}={root_dir!r}: {err}") from err
    if not trainer.env_steps:
        trainer.close()
        raise app.UsageError(f"--{flag}={root_dir!r} has no readable checkpoint.")
    return trainer


def restored_trainer_from_flags(make_trainer, config_class):
    """`restored_trainer` of --root_dir with the flags' ``config_class``."""
    return restored_trainer(
        make_trainer, flags.FLAGS.root_dir, config_from_flags(config_class)
    )


def main_for(make_trainer, config_class):
    """The absl ``main``: apply --threads (`define_threads_flag`), build the
    trainer from the flags, run, report.

    A run whose ``--root_dir`` holds a complete run does nothing and says so.
    A run that stops (`loop.RunStopped`: a non-finite loss, a checkpoint
    that cannot be written) prints why and what is kept, exit code 2; the
    traceback only with --verbose.
    """

    def main(argv):
        if len(argv) > 1:
            raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
        apply_threads()
        trainer = trainer_from_flags(make_trainer, config_class)
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
