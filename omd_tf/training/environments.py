"""Training and evaluation environments for `Trainer`, checked before any output."""

import numpy as np
from tf_agents.environments import batched_py_environment
from tf_agents.environments import tf_py_environment

import omd_tf.envs
from omd_tf.training import checks

EVAL_SEED_OFFSET = 100_000  # Eval env i is seeded with seed + this + i.


def make_envs(
    env,
    num_distractors,
    seed,
    num_eval_episodes,
    discrete,
    num_members=1,
    rescale_actions=False,
):
    """(train env, eval env) as `TFPyEnvironment`s of gymnasium ``env``.

    The train env (batch 1) is seeded with ``seed``; the eval env batches
    ``num_eval_episodes`` copies seeded ``seed + 100000 + i``, so that one
    evaluation runs all its episodes in parallel (see `evaluation.Evaluator`).
    For a population of ``num_members`` N > 1, member k is seeded with
    ``seed + k`` instead: the train env batches N envs, one per member, and
    the eval env N blocks of ``num_eval_episodes`` envs, block k member k's.

    Args:
      env: gymnasium id.
      num_distractors: N(0, 1) observation dims appended.
      seed: non-negative int.
      num_eval_episodes: episodes per evaluation.
      discrete: whether the agent needs discrete (True) or continuous
        (False) actions.
      num_members: N, the members of a population (1: one agent).
      rescale_actions: act in [-1, 1] on a Box action space (see
        `omd_tf.envs.load`).

    Raises:
      checks.ConfigError naming --env: unknown id, unsupported spaces, or
      the wrong kind of actions.  Nothing is created on disk.
    """
    def load(seed):
        return omd_tf.envs.load(
            env, num_distractors, seed=seed, rescale_actions=rescale_actions
        )

    try:
        train_py_env = load(seed)
    except (ValueError, TypeError) as err:
        raise checks.ConfigError(f"--env={env!r} cannot be used: {err}") from err
    action_spec = train_py_env.action_spec()
    if np.issubdtype(action_spec.dtype, np.integer) != discrete:
        train_py_env.close()
        kind, needed = (
            ("continuous", "discrete") if discrete else ("discrete", "continuous")
        )
        raise checks.ConfigError(
            f"--env={env!r} has {kind} actions {action_spec}; this agent needs "
            f"{needed} actions."
        )
    eval_py_envs = [
        load(seed + k + EVAL_SEED_OFFSET + i)
        for k in range(num_members)
        for i in range(num_eval_episodes)
    ]
    if num_members > 1:
        train_py_env = batched_py_environment.BatchedPyEnvironment(
            [train_py_env] + [load(seed + k) for k in range(1, num_members)],
            multithreading=False,
        )
    return (
        tf_py_environment.TFPyEnvironment(train_py_env),
        tf_py_environment.TFPyEnvironment(
            batched_py_environment.BatchedPyEnvironment(
                eval_py_envs, multithreading=False
            )
        ),
    )


def gymnasium_envs(tf_env):
    """The `GymnasiumEnvironment`s inside a `TFPyEnvironment` ([] if none).

    Looks through `TFPyEnvironment.pyenv` and `BatchedPyEnvironment.envs`.
    """
    py_env = getattr(tf_env, "pyenv", tf_env)
    py_envs = getattr(py_env, "envs", [py_env])
    return [env for env in py_envs if isinstance(env, omd_tf.envs.GymnasiumEnvironment)]
