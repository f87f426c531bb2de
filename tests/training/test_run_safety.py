"""A run's root_dir: one process at a time, writable, non-finite losses, torn checkpoints."""

import glob
import logging
import os
import signal
import subprocess
import sys

import pytest
import tensorflow as tf

import faulty_run
from omd_tf import training
from omd_tf.training import curves
from omd_tf.training import loop
from omd_tf.training import run_lock
from omd_tf.training import sac

TINY = dict(
    init_steps=250,
    batch_size=32,
    eval_interval=250,
    num_eval_episodes=1,
    checkpoint_interval=500,
    replay_capacity=3000,
)
_HOLD_LOCK = """
import sys, time
from omd_tf.training import run_lock
run_lock.RunLock(sys.argv[1])
print("locked", flush=True)
time.sleep(120)
"""


def test_a_second_process_is_refused_and_a_dead_ones_folder_taken_over(tmp_path):
    root = str(tmp_path / "run")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, root], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(
            training.ConfigError,
            match=rf"--root_dir='{root}' is in use by another run \(pid {holder.pid} on ",
        ):
            training.make_trainer(root, num_env_steps=500, **TINY)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    lock = run_lock.RunLock(root)  # The dead holder's lock is free.
    lock.release()


def test_unwritable_root_dir_is_a_config_error_naming_the_flag(tmp_path, run_binary):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    root = str(blocker / "run")
    with pytest.raises(training.ConfigError, match=r"--root_dir=.* cannot be written"):
        training.make_trainer(root, num_env_steps=500, **TINY)
    result = run_binary("train_eval.py", f"--root_dir={root}")
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert "--root_dir=" in result.stderr and "cannot be written: Not a directory" in (
        result.stderr
    )


@pytest.mark.parametrize(
    "make_trainer, kwargs",
    [
        (training.make_trainer, dict(env="NanRewardCartPole-v0", agent="omd")),
        (training.make_trainer, dict(env="NanRewardCartPole-v0", agent="mle")),
        (
            sac.make_trainer,
            dict(env="NanRewardInvertedPendulum-v0", hidden_dim=16, model_hidden_dim=8),
        ),
    ],
)
def test_non_finite_loss_stops_the_run_keeping_the_last_good_checkpoint(
    tmp_path, make_trainer, kwargs
):
    faulty_run.register_nan_reward_envs()
    root = str(tmp_path / "run")
    run = dict(num_env_steps=2000, **TINY, **kwargs)
    trainer = make_trainer(root, **run)
    with pytest.raises(loop.NonFiniteLoss, match=r"Stopped at env step \d+: the .*loss.* is inf or NaN") as stop:
        trainer.run()
    trainer.close()
    step = int(str(stop.value).split("env step ")[1].split(":")[0])
    assert step > faulty_run.NAN_AT  # The NaN reward enters replay there.
    kept = tf.train.latest_checkpoint(os.path.join(root, loop.CHECKPOINT_DIR))
    assert kept.endswith("ckpt-500") and kept in str(stop.value)
    resumed = make_trainer(root, **run)  # Loads the kept checkpoint.
    assert resumed.env_steps == 500
    resumed.close()


def test_binary_reports_a_non_finite_loss_in_one_paragraph(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            faulty_run.__file__,
            "none",
            "train_eval.py",
            f"--root_dir={tmp_path / 'run'}",
            "--env=NanRewardCartPole-v0",
            "--num_env_steps=2000",
            *(f"--{name}={value}" for name, value in TINY.items()),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [message] = [line for line in result.stderr.splitlines() if "Stopped at" in line]
    assert message.startswith("train_eval.py: Stopped at env step ")
    assert "ckpt-500" in message and "Re-running the same command resumes" in message


def test_an_unreadable_newest_checkpoint_falls_back_to_the_one_before(tmp_path, caplog):
    root = str(tmp_path / "run")
    run = dict(num_env_steps=1500, **TINY)
    training.train_eval(root, **run)
    whole = curves.read(root)
    directory = os.path.join(root, loop.CHECKPOINT_DIR)
    assert sorted(os.path.basename(p) for p in glob.glob(f"{directory}/ckpt-*.index")) == [
        "ckpt-1000.index",
        "ckpt-1500.index",
    ]  # The two newest are kept.
    for path in glob.glob(f"{directory}/ckpt-1500.data-*"):
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
    with caplog.at_level(logging.WARNING, logger="omd_tf"):
        trainer = training.make_trainer(root, **run)
    assert trainer.env_steps == 1000
    assert any("ckpt-1500 cannot be read" in r.getMessage() for r in caplog.records)
    assert sorted(curves.read(root)) == [500, 750, 1000]  # Later rows dropped.
    trainer.run()
    trainer.close()
    assert curves.read(root) == whole  # And resumed exactly.
