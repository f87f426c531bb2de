"""What the binaries print: the project's own lines; the libraries' only with --verbose.

Import this module in a binary before anything that imports TensorFlow (it
sets TensorFlow's C++ log level, which is read when TensorFlow loads), and
start the binary with `run(main)` instead of `absl.app.run(main)`.

Without ``--verbose``:

* TensorFlow's C++ logs, TensorFlow's and absl's (TF-Agents') Python log
  lines below ERROR, the libraries' Python warnings, gym's import banner and
  MuJoCo's warnings are dropped.  XLA's first compilation still prints two
  lines ("All log messages before absl::InitializeLog() ..." and "Compiled
  cluster using XLA!"): it logs through absl's C++ logging, which has no
  switch that Python can reach.
* The project's lines (loggers under ``omd_tf``) go to stderr as plain text.

With ``--verbose`` every library logs as it would on its own.  MuJoCo's
warnings never go to ``MUJOCO_LOG.TXT`` in the current folder: they become
warnings of the ``mujoco`` Python logger (shown only with ``--verbose``).

A usage error (`absl.app.UsageError`) prints one line, its message, and a
pointer to ``--helpshort``; exit code 1.
"""

import contextlib
import io
import logging
import os
import sys
import warnings

from absl import app
from absl import flags
from absl import logging as absl_logging

flags.DEFINE_boolean(
    "verbose",
    False,
    "Show TensorFlow, TF-Agents, gym and MuJoCo logs and warnings.",
)

PROJECT_LOGGER = "omd_tf"
# Modules whose Python warnings are dropped without --verbose.
_LIBRARY_MODULES = r"(tensorflow|tensorflow_probability|tf_agents|keras|gym|gymnasium|mujoco)(\.|$)"


def verbose_requested(argv):
    """Whether ``argv`` turns --verbose on (the last of its spellings wins)."""
    verbose = False
    for arg in argv[1:]:
        if arg == "--":
            break
        if arg in ("--verbose", "-verbose"):
            verbose = True
        elif arg in ("--noverbose", "-noverbose"):
            verbose = False
        elif arg.startswith(("--verbose=", "-verbose=")):
            verbose = arg.split("=", 1)[1].lower() in ("true", "t", "1")
    return verbose


def _silence_before_imports():
    """Quiet TensorFlow's C++ logs and gym's banner; both happen at import."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            import gym  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
        except ImportError:
            pass


if not verbose_requested(sys.argv):
    _silence_before_imports()


def _route_mujoco_warnings():
    """MuJoCo warnings -> the ``mujoco`` logger, not stdout + MUJOCO_LOG.TXT."""
    try:
        import mujoco  # pylint: disable=g-import-not-at-top
    except ImportError:
        return
    mujoco.set_mju_user_warning(logging.getLogger("mujoco").warning)


def configure(verbose):
    """Sets the log levels, warning filters and the project's log handler."""
    project = logging.getLogger(PROJECT_LOGGER)
    if not project.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        project.addHandler(handler)
    project.setLevel(logging.INFO)
    project.propagate = False
    _route_mujoco_warnings()
    if verbose:
        absl_logging.set_verbosity(absl_logging.INFO)
        return
    absl_logging.set_verbosity(absl_logging.ERROR)
    for name in ("tensorflow", "mujoco", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=_LIBRARY_MODULES)


def run(main):
    """`absl.app.run(main)` with `configure` and one-line usage errors."""

    def quiet_main(argv):
        configure(flags.FLAGS.verbose)
        try:
            return main(argv)
        except app.UsageError as err:
            program = os.path.basename(argv[0])
            print(
                f"{program}: error: {err} (see {program} --helpshort)",
                file=sys.stderr,
            )
            sys.exit(err.exitcode)

    app.run(quiet_main)
