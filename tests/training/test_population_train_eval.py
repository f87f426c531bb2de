"""train_eval with --num_seeds: a population's outputs, evaluation and resume."""

import csv
import os

import numpy as np
import pytest
import tensorflow as tf

from omd_tf import training
from omd_tf.training import curves
from omd_tf.training import environments
from omd_tf.training import evaluation
from omd_tf.training import loop
from omd_tf.training import population
from omd_tf.training import soft_q
from tiny_population import TINY


def _csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_population_writes_one_run_folder_per_seed(tmp_path):
    root = str(tmp_path / "omd_h32")
    final = training.train_eval(root, num_env_steps=600, **TINY)
    member_dirs = [str(tmp_path / "omd_h32" / f"omd_h32_s{seed}") for seed in (5, 6, 7)]
    assert population.member_dirs(root, 5, 3) == member_dirs
    for run_dir in member_dirs:
        assert sorted(curves.read(run_dir)) == [400, 600]
        assert os.path.isfile(os.path.join(run_dir, curves.EVAL_PLOT))
        assert tf.saved_model.contains_saved_model(os.path.join(run_dir, "policy"))
        assert os.path.isfile(os.path.join(run_dir, "model_alive.json"))
    rows = _csv_rows(os.path.join(root, population.CSV))
    finals = [curves.read(run_dir)[600] for run_dir in member_dirs]
    assert [int(r["env_steps"]) for r in rows] == [400, 600]
    assert float(rows[-1]["mean_return"]) == pytest.approx(np.mean(finals), rel=1e-5)
    assert float(rows[-1]["se_return"]) == pytest.approx(
        curves.standard_error(finals), rel=1e-4
    )
    assert rows[-1]["num_members"] == "3"
    assert final == pytest.approx(np.mean(finals), rel=1e-5)
    assert os.path.isfile(os.path.join(root, population.PLOT))
    # The members are seeds of one configuration for summarize_runs.
    assert curves.group_by_config(member_dirs) == {"omd_h32": member_dirs}
    # A member's exported policy acts on a raw observation of one env.
    policy = tf.saved_model.load(os.path.join(member_dirs[0], "policy"))
    assert policy is not None


def test_each_member_writes_its_own_train_summaries(tmp_path, tensorboard_scalars):
    """Members' train/ hold their own diagnostics; the root's are their mean."""
    root = str(tmp_path / "omd")
    training.train_eval(
        root, num_env_steps=1200, **dict(TINY, eval_interval=600, checkpoint_interval=600)
    )
    root_scalars = tensorboard_scalars(root, "train")
    member_scalars = [
        tensorboard_scalars(run_dir, "train") for run_dir in population.member_dirs(root, 5, 3)
    ]
    for tag in (
        "Losses/q_loss",
        "Losses/model_loss",
        "Diagnostics/mean_q",
        "Diagnostics/model_next_obs_mse",
        "Diagnostics/model_grad_norm",
    ):
        # Train step 1000 (env step 1200) is the one recorded.
        assert [step for step, _ in root_scalars[tag]] == [1000], tag
        values = []
        for scalars in member_scalars:
            assert [step for step, _ in scalars[tag]] == [1000], tag
            values.append(scalars[tag][0][1])
        assert len(set(values)) == 3, tag  # Three seeds, three values.
        assert root_scalars[tag][0][1] == pytest.approx(np.mean(values), rel=1e-5), tag


def test_member_evaluation_matches_a_single_agent_eval(tmp_path):
    """Greedy policies: member k's eval return is a single agent's with its weights."""
    trainer = soft_q.make_trainer(
        str(tmp_path / "run"), num_env_steps=400, greedy_eval=True, **TINY
    )
    trainer.run()
    returns = trainer._evaluate(400)  # pylint: disable=protected-access
    assert len(returns) == 3
    single = None
    for k in range(3):
        _, eval_env = environments.make_envs(
            "CartPole-v1", 0, TINY["seed"] + k, TINY["num_eval_episodes"], discrete=True
        )
        if single is None:
            single = soft_q.make_trainer(
                str(tmp_path / "single"), num_env_steps=400, greedy_eval=True,
                **{**TINY, "num_seeds": 1},
            )
        policy = soft_q.member_policy(trainer.agent, single.agent, k)
        evaluator = evaluation.Evaluator(
            eval_env,
            policy,
            TINY["num_eval_episodes"],
            [str(tmp_path / f"eval{k}")],
            seed=TINY["seed"] + k,
        )
        assert evaluator(400) == pytest.approx([returns[k]], rel=1e-6)
        eval_env.close()
    single.close()
    trainer.close()


def test_population_resumes_after_an_interruption(tmp_path, run_until_interrupted):
    """Interrupted at 600 and resumed from the checkpoint at 400, each member's
    eval CSV equals that of a population run without interruption."""
    uninterrupted = str(tmp_path / "uninterrupted")
    loop.run_and_close(soft_q.make_trainer(uninterrupted, num_env_steps=800, **TINY))
    root = str(tmp_path / "run")
    run_until_interrupted(soft_q.make_trainer(root, num_env_steps=800, **TINY), 600)

    resumed = soft_q.make_trainer(root, num_env_steps=800, **TINY)
    assert resumed.env_steps == 400
    assert resumed.agent.train_step_counter.numpy() == 200
    resumed.run()
    resumed.close()
    for run_dir, uninterrupted_dir in zip(
        population.member_dirs(root, TINY["seed"], 3),
        population.member_dirs(uninterrupted, TINY["seed"], 3),
    ):
        returns = curves.read(run_dir)
        assert sorted(returns) == [400, 600, 800]
        assert returns == curves.read(uninterrupted_dir)
    rows = _csv_rows(os.path.join(root, population.CSV))
    assert [int(r["env_steps"]) for r in rows] == [400, 600, 800]
    # A complete population is left as it is.
    again = soft_q.make_trainer(root, num_env_steps=800, **TINY)
    # The CSV keeps 6 significant digits.
    assert again.final_return() == pytest.approx(
        float(rows[-1]["mean_return"]), rel=1e-5
    )
    again.close()


def test_resume_refuses_another_num_seeds(tmp_path):
    root = str(tmp_path / "run")
    training.train_eval(root, num_env_steps=400, **TINY)
    with pytest.raises(training.ConfigError, match="--num_seeds=2"):
        soft_q.make_trainer(root, num_env_steps=400, **{**TINY, "num_seeds": 2})


def test_a_checkpoint_before_the_first_evaluation_writes_no_summary(tmp_path):
    root = str(tmp_path / "run")
    trainer = soft_q.make_trainer(
        root, num_env_steps=400, **{**TINY, "init_steps": 100, "eval_interval": 400}
    )
    trainer.run()  # Checkpoints at 200 (no evaluation yet) and at 400.
    trainer.close()
    rows = _csv_rows(os.path.join(root, population.CSV))
    assert [int(r["env_steps"]) for r in rows] == [400]
