"""What a run leaves in its root_dir: TensorBoard evals, flags, resumes, re-runs, its time."""

import json
import os
import time

import pytest

from omd_tf import training
from omd_tf.training import curves
from omd_tf.training import loop
from omd_tf.training import run_flags
from omd_tf.training import run_lock

TINY = dict(batch_size=32, num_eval_episodes=1, replay_capacity=3000)


def _mtimes(root):
    """{path: modification time in ns} of every output file under ``root``.

    Leaves out run.lock, which names the process that holds the folder.
    """
    return {
        os.path.join(d, n): os.stat(os.path.join(d, n)).st_mtime_ns
        for d, _, names in os.walk(root)
        for n in names
        if n != run_lock.FILE
    }


def test_every_evaluation_reaches_tensorboard(tmp_path, tensorboard_scalars):
    """Evaluations at train steps off the train-summary interval are recorded too."""
    root = str(tmp_path / "run")
    training.train_eval(
        root, num_env_steps=2000, init_steps=500, eval_interval=500, **TINY
    )
    returns = curves.read(root)
    assert sorted(returns) == [1000, 1500, 2000]
    summaries = tensorboard_scalars(root, "eval")["Metrics/AverageReturn"]
    assert [step for step, _ in summaries] == sorted(returns)
    for step, value in summaries:
        assert abs(value - returns[step]) <= 1e-4 * max(1.0, abs(value))
    # Train summaries at train step 1000 (env step 1500), tags as documented.
    train = tensorboard_scalars(root, "train")
    for tag in ("Losses/q_loss", "Losses/model_loss", "Diagnostics/mean_q"):
        assert [step for step, _ in train[tag]] == [1000], tag
    assert [step for step, _ in train["Metrics/TrainAverageReturn"]] == [1500]


def test_resume_keeps_the_starting_flags_and_appends_to_the_history(tmp_path):
    root = str(tmp_path / "run")
    run = dict(init_steps=200, eval_interval=200, checkpoint_interval=200, **TINY)
    training.train_eval(root, num_env_steps=400, **run)
    assert not os.path.exists(os.path.join(root, run_flags.HISTORY_FILE))
    training.train_eval(root, num_env_steps=600, **run)
    assert run_flags.read(root)["num_env_steps"] == 400  # As started.
    with open(os.path.join(root, run_flags.HISTORY_FILE)) as f:
        history = [json.loads(line) for line in f]
    assert len(history) == 1
    assert history[0]["env_steps"] == 400
    assert history[0]["changed"] == {"num_env_steps": 600}


def test_rerunning_a_complete_run_trains_and_writes_nothing(tmp_path):
    root = str(tmp_path / "run")
    run = dict(
        num_env_steps=400, init_steps=200, eval_interval=200, checkpoint_interval=200
    )
    final = training.train_eval(root, **run, **TINY)
    with open(os.path.join(root, curves.EVAL_CSV), "rb") as f:
        csv_bytes = f.read()
    files = _mtimes(root)
    trainer = training.make_trainer(root, **run, **TINY)
    train_steps = int(trainer.agent.train_step_counter.numpy())
    assert trainer.final_return() == final
    assert trainer.run() == final
    trainer.close()
    assert int(trainer.agent.train_step_counter.numpy()) == train_steps == 200
    with open(os.path.join(root, curves.EVAL_CSV), "rb") as f:
        assert f.read() == csv_bytes
    assert _mtimes(root) == files


def test_a_run_recorded_before_a_flag_existed_resumes_with_its_old_value(tmp_path):
    root = str(tmp_path / "run")
    run = dict(init_steps=200, eval_interval=200, checkpoint_interval=200, **TINY)
    training.train_eval(root, num_env_steps=400, **run)
    path = os.path.join(root, run_flags.FILE)
    with open(path) as f:
        recorded = json.load(f)
    soft_q_added = [name for name in run_flags.ADDED_FLAGS if name in recorded]
    assert "protocol" in soft_q_added  # The others are train_sac's.
    for name in soft_q_added:
        del recorded[name]  # As written before these flags existed.
    with open(path, "w") as f:
        json.dump(recorded, f)
    resumed = training.make_trainer(root, num_env_steps=400, **run)
    assert resumed.env_steps == 400
    resumed.close()
    with pytest.raises(training.ConfigError, match=r"--protocol=reference \(the run: "):
        training.make_trainer(root, num_env_steps=400, protocol="reference", **run)


def test_train_seconds_add_up_over_resumes(tmp_path):
    root = str(tmp_path / "run")
    assert loop.recorded_train_seconds(root) is None  # No checkpoint yet.
    run = dict(init_steps=200, eval_interval=200, checkpoint_interval=200, **TINY)
    start = time.monotonic()
    training.train_eval(root, num_env_steps=400, **run)
    first = loop.recorded_train_seconds(root)
    assert 0 < first <= time.monotonic() - start

    resumed = training.make_trainer(root, num_env_steps=600, **run)
    assert resumed.train_seconds == first  # Restored with the checkpoint.
    start = time.monotonic()
    loop.run_and_close(resumed)
    second = loop.recorded_train_seconds(root)
    assert 0 < second - first <= time.monotonic() - start
