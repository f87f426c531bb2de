"""Trained models' one-step predictions along one real trajectory (Figure 5, right).

    python bin/predict_trajectory.py --out_dir=runs/fig5_right --member_seed=2 \
        --runs=runs/fig5/trials/omd_model_hidden_dim1,runs/fig5/trials/mle_model_hidden_dim1 \
        --policy_run=runs/fig4_hidden/trials/omd_model_hidden_dim12

Restores each soft-Q run of --runs and --policy_run (a `bin/train_eval.py`
root_dir, single run or population, rebuilt from its flags.json) at its last
checkpoint.  The eval policy of --policy_run (default: the first of --runs;
member --member_seed of a population) plays one episode of the real env,
first reset seeded --env_seed, for at most --max_steps steps, as the paper
takes "an optimal trajectory"; the model of every run of --runs (the same
member) then predicts each next state s_{t+1} from the real (s_t, a_t).  Writes
out_dir/trajectory_predictions.csv (per step: the action, the real next state
and each model's prediction) and .png (one panel per observation dim), and
prints per model and dim the standard deviation of its predictions beside
the real states' and its mean squared error.
"""

import os

from omd_tf import console  # First: quiets TensorFlow before it loads.

from absl import app  # pylint: disable=g-bad-import-order
from absl import flags

from omd_tf.training import cli
from omd_tf.training import run_flags
from omd_tf.training import soft_q
from omd_tf.training import trajectory

flags.DEFINE_list("runs", None, "Soft-Q run root_dirs whose models predict.")
flags.DEFINE_string(
    "policy_run", None, "Soft-Q run root_dir whose policy plays (unset: the first of --runs)."
)
flags.DEFINE_string("out_dir", None, "Where the CSV and PNG go.")
flags.DEFINE_integer(
    "member_seed", None, "Seed of the population member to use (unset: each run's --seed)."
)
flags.DEFINE_integer("env_seed", 0, "Seed of the trajectory's first env reset.")
flags.DEFINE_integer("max_steps", 500, "Most steps of the trajectory.")
flags.mark_flags_as_required(["runs", "out_dir"])
flags.adopt_module_key_flags(console)
FLAGS = flags.FLAGS

BASENAME = "trajectory_predictions"


def _restored(root_dir):
    """(trainer restored at its last checkpoint, its config, member index or None)."""
    run_config = run_flags.recorded_config(root_dir, soft_q.SoftQConfig)
    if run_config is None:
        raise app.UsageError(f"--runs: {root_dir!r} holds no bin/train_eval.py run.")
    seed = run_config.seed if FLAGS.member_seed is None else FLAGS.member_seed
    if not run_config.seed <= seed < run_config.seed + run_config.num_seeds:
        raise app.UsageError(
            f"--member_seed must be a seed of every run; {root_dir!r} has seeds "
            f"{run_config.seed}-{run_config.seed + run_config.num_seeds - 1}, got {seed}."
        )
    trainer = cli.restored_trainer(soft_q.make_trainer, root_dir, run_config, "runs")
    member = seed - run_config.seed if run_config.num_seeds > 1 else None
    return trainer, run_config, member


def _label(run_config, member):
    """'OMD width 1 seed 2': the run's agent, model width and (member's) seed."""
    seed = run_config.seed + (member or 0)
    return f"{run_config.agent.upper()} width {run_config.model_hidden_dim} seed {seed}"


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    if FLAGS.max_steps <= 0:
        raise app.UsageError(f"--max_steps must be positive, got {FLAGS.max_steps}.")
    policy_run = FLAGS.policy_run or FLAGS.runs[0]
    restored = {}
    try:
        for root_dir in dict.fromkeys([policy_run, *FLAGS.runs]):
            restored[root_dir] = _restored(root_dir)
        envs = {(c.env, c.num_distractors) for _, c, _ in restored.values()}
        if len(envs) > 1:
            raise app.UsageError(
                f"--runs and --policy_run must share one env, got {sorted(envs)}."
            )
        player, player_config, player_member = restored[policy_run]
        observations, actions = trajectory.rollout(
            player_config.env,
            player_config.num_distractors,
            FLAGS.env_seed,
            player.eval_policy(player_member or 0),
            FLAGS.max_steps,
        )
        predictions = {}
        for root_dir in FLAGS.runs:
            trainer, run_config, member = restored[root_dir]
            predictions[_label(run_config, member)] = trajectory.one_step_predictions(
                trainer.agent.model_network, observations, actions, member
            )
    finally:
        for trainer, _, _ in restored.values():
            trainer.close()
    names = trajectory.dim_names(player_config.env, observations.shape[1])
    os.makedirs(FLAGS.out_dir, exist_ok=True)
    path = os.path.join(FLAGS.out_dir, BASENAME)
    trajectory.write_csv(path + ".csv", observations, actions, predictions, names)
    title = (
        f"{player_config.env}: one episode of {len(actions)} steps "
        f"({_label(player_config, player_member)}'s policy, env seed {FLAGS.env_seed})"
    )
    trajectory.plot(path + ".png", observations, predictions, names, title)
    print(title)
    for row in trajectory.statistics(observations, predictions):
        print(
            f"{row['model']}, {names[row['dim']]}: std of prediction "
            f"{row['prediction_std']:.3g} (real {row['true_std']:.3g}), "
            f"MSE {row['mse']:.3g}"
        )
    print(f"wrote {path}.csv and .png")


if __name__ == "__main__":
    console.run(main)
