"""The flags a run was started with, kept in its root_dir: a resume cannot mix settings.

`Trainer.run` writes ``root_dir/flags.json`` when a run starts and appends one
line per resume to ``root_dir/resume_history.jsonl``; `loop.trainer_for`
refuses to resume a checkpointed run with flags that change what is learned.
"""

import dataclasses
import datetime
import json
import os

import tensorflow as tf

from omd_tf import atomic_file
from omd_tf.training import checks

FILE = "flags.json"
HISTORY_FILE = "resume_history.jsonl"
# Flags a resumed run may change: how long it runs and how it is evaluated,
# checkpointed and compiled, not what it learns.
CHANGEABLE_ON_RESUME = (
    "num_env_steps",
    "eval_interval",
    "num_eval_episodes",
    "checkpoint_interval",
    "jit_compile",
)
_ABSENT = "<absent>"
# Flags added after runs were made, with the value that reproduces what those
# runs did: a flags.json without them is read as if it had these values.
ADDED_FLAGS = {
    "protocol": "default",
    "reset_q_optimizer": False,
    "initializer": "glorot",
    "update_order": "q_first",
    "model_grad_through_actor": True,
    "likelihood_weight": 0.0,
    "hypergradient_clip_norm": 0.0,
    "num_seeds": 1,
    "rescale_actions": False,
    "model_shared_trunk": False,
    "double_q": True,
    "td_target_bound": 0.0,
    "q_lr_decay_steps": 0,
    "q_lr_final": 0.0,
    "adam_epsilon": 1e-7,
}


def _path(root_dir):
    return os.path.join(root_dir, FILE)


def _recorded(args):
    return {name: value for name, value in args.items() if name != "root_dir"}


def read(root_dir):
    """{flag: value} that the run in ``root_dir`` was started with, or None."""
    if not tf.io.gfile.exists(_path(root_dir)):
        return None
    with tf.io.gfile.GFile(_path(root_dir)) as f:
        return json.load(f)


def recorded_config(root_dir, config_class):
    """The ``config_class`` the run in ``root_dir`` was started with; None: no record.

    A field of `ADDED_FLAGS` missing from an older record takes its value there.
    """
    recorded = read(root_dir)
    if recorded is None:
        return None
    fields = {field.name for field in dataclasses.fields(config_class)}
    added = {name: value for name, value in ADDED_FLAGS.items() if name in fields}
    return config_class(**{**added, **recorded})


def write(root_dir, args):
    """Records ``args`` (root_dir left out) as ``root_dir/flags.json``."""
    tf.io.gfile.makedirs(root_dir)
    with atomic_file.writing(_path(root_dir)) as f:
        json.dump(_recorded(args), f, indent=1, sort_keys=True)


def record(root_dir, args, resumed_at):
    """Records how the run in ``root_dir`` starts now.

    A run that starts from scratch (``resumed_at`` None) writes ``args`` to
    flags.json.  A resumed run keeps flags.json, the flags it was started
    with, and appends one JSON line to resume_history.jsonl:
    ``{"time": UTC ISO 8601, "env_steps": resumed_at, "changed": {flag: value}}``
    with the flags whose value differs from flags.json.
    """
    started = read(root_dir)
    if resumed_at is None or started is None:
        write(root_dir, args)
        return
    now = _recorded(args)
    entry = {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "env_steps": resumed_at,
        "changed": {
            name: value for name, value in now.items() if started.get(name) != value
        },
    }
    with tf.io.gfile.GFile(os.path.join(root_dir, HISTORY_FILE), "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")


def differences(root_dir, args):
    """How ``args`` would change what the run in ``root_dir`` learns.

    One ``'--flag=value (the run: value)'`` per flag that differs from the
    run's record, apart from `CHANGEABLE_ON_RESUME`; a flag of `ADDED_FLAGS`
    missing from the record counts as its value there.  [] when ``root_dir``
    holds no record.
    """
    started = read(root_dir)
    if started is None:
        return []
    now = _recorded(args)
    started = {
        **{name: value for name, value in ADDED_FLAGS.items() if name in now},
        **started,
    }
    return [
        f"--{name}={now.get(name, _ABSENT)} (the run: {started.get(name, _ABSENT)})"
        for name in sorted(set(started) | set(now))
        if name not in CHANGEABLE_ON_RESUME
        and started.get(name, _ABSENT) != now.get(name, _ABSENT)
    ]


def check_resume(root_dir, args, has_checkpoint):
    """Raises `checks.ConfigError` if ``args`` would resume another run's checkpoint.

    Only a checkpointed run with a flags record is checked (`differences`);
    the message names every flag that differs and the value the run was
    started with.
    """
    differ = differences(root_dir, args) if has_checkpoint else []
    if differ:
        raise checks.ConfigError(
            f"--root_dir={root_dir!r} holds a run started with other flags: "
            f"{'; '.join(differ)}. Resume with the run's flags "
            f"({_path(root_dir)}) or pass a new --root_dir."
        )
