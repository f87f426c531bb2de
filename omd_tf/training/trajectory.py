"""Models' one-step predictions along one real trajectory (the paper's Figure 5, right).

The trajectory is one episode of a trained agent's eval policy in the real
env; each model predicts every next observation s_{t+1} from the real
(s_t, a_t), so the predictions can be set beside the states that followed.
"""

import csv

import numpy as np
from matplotlib.figure import Figure
from tf_agents.environments import tf_py_environment

from omd_tf import atomic_file
from omd_tf import envs

# Names of the observation dims of the envs whose dims have names.
DIM_NAMES = {
    "CartPole-v1": ("cart position", "cart velocity", "pole angle", "pole angular velocity"),
}


def dim_names(env, num_dims):
    """Names of ``env``'s first ``num_dims`` observation dims ('dim i' if unnamed)."""
    names = DIM_NAMES.get(env, ())
    return [names[i] if i < len(names) else f"dim {i}" for i in range(num_dims)]


def rollout(env, num_distractors, seed, policy, max_steps):
    """One episode of ``policy`` in gymnasium ``env``, first reset seeded ``seed``.

    Args:
      env, num_distractors, seed: as `omd_tf.envs.load`.
      policy: a `TFPolicy` taking one observation [1, D].
      max_steps: the most transitions kept (the episode may end earlier).

    Returns:
      (observations [T + 1, D], actions [T]) as NumPy arrays: the states
      s_0 … s_T and the actions a_0 … a_{T−1} taken in them.
    """
    tf_env = tf_py_environment.TFPyEnvironment(
        envs.load(env, num_distractors, seed=seed)
    )
    try:
        time_step = tf_env.reset()
        observations, actions = [time_step.observation[0].numpy()], []
        while len(actions) < max_steps and not time_step.is_last()[0]:
            action = policy.action(time_step).action
            time_step = tf_env.step(action)
            actions.append(action[0].numpy())
            observations.append(time_step.observation[0].numpy())
    finally:
        tf_env.close()
    return np.stack(observations), np.stack(actions)


def one_step_predictions(model_network, observations, actions, member=None):
    """[T, D] next observations the model predicts from each (s_t, a_t).

    Args:
      model_network: a `ModelNetwork`, of a population if ``member`` is set.
      observations: [T + 1, D], s_0 … s_T (the last one is not an input).
      actions: [T].
      member: the population member whose model predicts (None: one model).
    """
    inputs = (observations[:-1], actions)
    if member is not None:
        members = model_network.num_members
        inputs = tuple(np.repeat(x[np.newaxis], members, axis=0) for x in inputs)
    (next_observations, _), _ = model_network(inputs)
    next_observations = next_observations.numpy()
    return next_observations if member is None else next_observations[member]


def statistics(observations, predictions):
    """Rows {model, dim, prediction_std, true_std, mse} per model and dim.

    Args:
      observations: [T + 1, D] real states (targets: s_1 … s_T).
      predictions: {model label: [T, D] predicted s_1 … s_T}.
    """
    true_next = observations[1:]
    return [
        {
            "model": label,
            "dim": dim,
            "prediction_std": float(np.std(predicted[:, dim])),
            "true_std": float(np.std(true_next[:, dim])),
            "mse": float(np.mean((predicted[:, dim] - true_next[:, dim]) ** 2)),
        }
        for label, predicted in predictions.items()
        for dim in range(true_next.shape[1])
    ]


def write_csv(path, observations, actions, predictions, names):
    """One row per step t: a_t, the real s_{t+1} and each model's prediction of it."""
    columns = ["step", "action"] + [f"true {name}" for name in names]
    for label in predictions:
        columns += [f"{label} {name}" for name in names]
    with atomic_file.writing(path) as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for t, action in enumerate(actions):
            row = [t, action, *observations[t + 1, : len(names)]]
            for predicted in predictions.values():
                row += list(predicted[t, : len(names)])
            writer.writerow(row)


def plot(path, observations, predictions, names, title):
    """One panel per named dim: the real s_{t+1} and each model's prediction."""
    figure = Figure(figsize=(4 * len(names), 3.4))
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    steps = np.arange(1, len(observations))
    for dim, (axis, name) in enumerate(zip(axes, names)):
        axis.plot(steps, observations[1:, dim], color="black", lw=1.5, label="true")
        for label, predicted in predictions.items():
            axis.plot(steps, predicted[:, dim], lw=1, label=label)
        axis.set_title(name)
        axis.set_xlabel("step")
    axes[0].legend(fontsize="small")
    figure.suptitle(title, fontsize="medium")
    figure.tight_layout()
    with atomic_file.writing(path, "wb") as f:
        figure.savefig(f, format="png", dpi=110)
