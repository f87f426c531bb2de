"""What a run leaves in its root_dir: TensorBoard evals, flags, resumes, re-runs."""

import glob
import json
import os

import tensorflow as tf

from omd_tf import training
from omd_tf.training import curves
from omd_tf.training import run_flags

TINY = dict(batch_size=32, num_eval_episodes=1, replay_capacity=3000)


def _eval_summaries(root, tag="Metrics/AverageReturn"):
    """[(env step, value)] of ``tag`` in the run's eval/ TensorBoard events."""
    values = []
    for path in sorted(glob.glob(os.path.join(root, "eval", "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == tag:
                    values.append((event.step, float(tf.make_ndarray(value.tensor))))
    return values


def _mtimes(root):
    """{path: modification time in ns} of every file under ``root``."""
    return {
        os.path.join(d, n): os.stat(os.path.join(d, n)).st_mtime_ns
        for d, _, names in os.walk(root)
        for n in names
    }


def test_every_evaluation_reaches_tensorboard(tmp_path):
    """Evaluations at train steps off the train-summary interval are recorded too."""
    root = str(tmp_path / "run")
    training.train_eval(
        root, num_env_steps=2000, init_steps=500, eval_interval=500, **TINY
    )
    returns = curves.read(root)
    assert sorted(returns) == [1000, 1500, 2000]
    summaries = _eval_summaries(root)
    assert [step for step, _ in summaries] == sorted(returns)
    for step, value in summaries:
        assert abs(value - returns[step]) <= 1e-4 * max(1.0, abs(value))


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
