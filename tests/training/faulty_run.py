"""Runs a training binary with one fault injected, as a crash test needs it.

    python tests/training/faulty_run.py FAULT BINARY [FLAG ...]

BINARY is a file name in bin/ (e.g. train_eval.py), run as its own __main__
with the FLAGs.  FAULT is one of:

* ``none``;
* ``kill_train:N``: SIGKILL right after the N-th compiled train call
  (`Trainer.train_steps`) returns, before anything after it is written;
* ``kill_checkpoint:N``: the N-th checkpoint is written, then its data file
  is cut to half its size (a write torn by the kill), then SIGKILL;
* ``kill_export``: SIGKILL after the policy SavedModel is written, before
  it is moved into place.

Also registers the gymnasium ids of `NAN_REWARD_ENVS` (any FAULT), whose
train env returns a NaN reward at its `NAN_AT`-th step.
"""

import glob
import os
import runpy
import signal
import sys

import gymnasium

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAN_AT = 700
NAN_REWARD_ENVS = {
    "NanRewardCartPole-v0": "CartPole-v1",
    "NanRewardInvertedPendulum-v0": "InvertedPendulum-v5",
}


class NanRewardAt(gymnasium.Wrapper):
    """The wrapped env, with a NaN reward at its ``at``-th step (counted over episodes)."""

    def __init__(self, env, at=NAN_AT):
        super().__init__(env)
        self._at = at
        self._steps = 0

    def step(self, action):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._steps += 1
        if self._steps == self._at:
            reward = float("nan")
        return observation, reward, terminated, truncated, info


def register_nan_reward_envs():
    """Registers `NAN_REWARD_ENVS` (idempotent)."""
    for name, base in NAN_REWARD_ENVS.items():
        if name not in gymnasium.registry:
            gymnasium.register(
                name, entry_point=lambda base=base, **kwargs: NanRewardAt(gymnasium.make(base))
            )


def _kill():
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_after_call(owner, name, call_number, before_kill=None):
    """Replaces ``owner.name`` by a version that SIGKILLs after its N-th call."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        calls[0] += 1
        if calls[0] == call_number:
            if before_kill is not None:
                before_kill(result)
            _kill()
        return result

    setattr(owner, name, wrapper)


def _tear(checkpoint_path):
    for path in glob.glob(checkpoint_path + ".data-*"):
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)


def inject(fault):
    """Installs ``fault`` (see the module docstring)."""
    from omd_tf.training import checkpoints  # pylint: disable=import-outside-toplevel
    from omd_tf.training import loop  # pylint: disable=import-outside-toplevel
    from tf_agents.policies import policy_saver  # pylint: disable=import-outside-toplevel

    kind, _, number = fault.partition(":")
    if kind == "none":
        return
    if kind == "kill_train":
        _kill_after_call(loop.Trainer, "train_steps", int(number))
    elif kind == "kill_checkpoint":
        _kill_after_call(checkpoints.RunCheckpoints, "save", int(number), _tear)
    elif kind == "kill_export":
        _kill_after_call(policy_saver.PolicySaver, "save", 1)
    else:
        raise SystemExit(f"unknown fault {fault!r}")


def main():
    fault, binary, *flags = sys.argv[1:]
    register_nan_reward_envs()
    path = os.path.join(REPO, "bin", binary)
    sys.argv = [path, *flags]
    sys.path.insert(0, os.path.dirname(path))
    from omd_tf import console  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import

    inject(fault)
    runpy.run_path(path, run_name="__main__")


if __name__ == "__main__":
    main()
