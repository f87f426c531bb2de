"""A sweep's records folder: a finished trial's few kB kept, and taken back
instead of running the trial again."""

import json
import os
import shutil

import pytest
import tensorflow as tf

from omd_tf.sweeps import results
from omd_tf.sweeps import run
from omd_tf.training import checks
from omd_tf.training import curves
from omd_tf.training import loop
from omd_tf.training import member_failures
from omd_tf.training import run_flags
from omd_tf.training import soft_q

POINT = dict(agent="omd", num_distractors=16)
KWARGS = dict(seed=3, num_seeds=2, num_env_steps=2000, protocol="reference", **POINT)
# What a finished 2-seed trial holds besides its records.
NOT_RECORDS = (
    "checkpoints/ckpt-2000.index",
    "train/events.out.tfevents.1",
    "train_eval.log",
    "omd_num_distractors16_s3/policy/saved_model.pb",
    "omd_num_distractors16_s4/train/events.out.tfevents.1",
)
RECORDS = (
    "flags.json",
    run.DONE,
    "population_returns.csv",
    "omd_num_distractors16_s3/eval_returns.csv",
    "omd_num_distractors16_s3/model_alive.json",
    "omd_num_distractors16_s4/eval_returns.csv",
    "omd_num_distractors16_s4/model_alive.json",
    "omd_num_distractors16_s4/diverged.json",
)


def _config(out_dir, records_dir, kwargs=KWARGS):
    return run.trial_config(str(out_dir), POINT, kwargs, 1, records_dir=str(records_dir))


def _write_finished_trial(root_dir):
    """A finished trial's folder as `run._train` leaves it (seed 4 diverged)."""
    run_flags.write(root_dir, soft_q.resolved_args(root_dir, **KWARGS))
    for name in RECORDS[2:] + NOT_RECORDS:
        path = os.path.join(root_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f"{name}\n")
    for seed, final in ((3, 480.0), (4, 9.0)):
        with open(os.path.join(root_dir, f"omd_num_distractors16_s{seed}", curves.EVAL_CSV), "w") as f:
            f.write(f"env_steps,average_return\n1000,20.0\n2000,{final}\n")
    diverged = os.path.join(root_dir, "omd_num_distractors16_s4", member_failures.MARKER)
    with open(diverged, "w") as f:
        json.dump({"env_step": 1500, "seed": 4, "loss": "nan"}, f)
    with open(os.path.join(root_dir, run.DONE), "w") as f:
        json.dump({"kwargs": KWARGS, "final_returns": [480.0], "diverged": {"4": 1500}}, f)


def _files(folder):
    return sorted(
        os.path.relpath(os.path.join(parent, name), folder)
        for parent, _, names in os.walk(folder)
        for name in names
    )


def test_a_finished_trial_keeps_its_records_and_nothing_else(tmp_path):
    config = _config(tmp_path / "out", tmp_path / "records")
    _write_finished_trial(config["root_dir"])
    assert run.sync_records(config)
    assert _files(config["records_dir"]) == sorted(RECORDS)
    for name in RECORDS:
        with open(os.path.join(config["root_dir"], name)) as a, open(
            os.path.join(config["records_dir"], name)
        ) as b:
            assert a.read() == b.read(), name


def test_a_trial_finished_in_the_records_is_taken_back_not_run(tmp_path, capsys):
    first = _config(tmp_path / "first", tmp_path / "records")
    _write_finished_trial(first["root_dir"])
    run.sync_records(first)

    second = _config(tmp_path / "second", tmp_path / "records")
    # Ray is never started: no trial is left to run.
    assert run.run_trials(str(tmp_path / "second"), [second], 1, 0, "") == []
    assert "1 trials, 1 finished before; running 0" in capsys.readouterr().out
    assert run.finished(second)
    assert _files(second["root_dir"]) == sorted(RECORDS)
    # The figure's row, seed 4 left out as diverged, as from the first folder.
    (row, _), = results.rows({second["root_dir"]: POINT}, seed=3, num_seeds=2)
    (expected, _), = results.rows({first["root_dir"]: POINT}, seed=3, num_seeds=2)
    assert row == expected
    assert (row["final_mean"], row["num_seeds"], row["diverged_seeds"]) == (480.0, 1, "4")


def test_records_of_other_arguments_are_not_taken(tmp_path):
    first = _config(tmp_path / "first", tmp_path / "records")
    _write_finished_trial(first["root_dir"])
    run.sync_records(first)
    other = _config(
        tmp_path / "second", tmp_path / "records", dict(KWARGS, num_env_steps=4000)
    )
    assert not run.sync_records(other)
    assert not os.path.exists(other["root_dir"])


def test_without_a_records_folder_nothing_is_copied(tmp_path):
    config = run.trial_config(str(tmp_path / "out"), POINT, KWARGS, 1)
    _write_finished_trial(config["root_dir"])
    assert run.sync_records(config)
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_records_cut_short_before_the_marker_are_not_a_finished_trial(tmp_path):
    config = _config(tmp_path / "out", tmp_path / "records")
    _write_finished_trial(config["records_dir"])
    os.remove(os.path.join(config["records_dir"], run.DONE))
    assert not run.sync_records(config)
    assert not os.path.exists(config["root_dir"])


def _record_older_preset(root_dir):
    """Rewrites root_dir's flags.json as the reference preset gave it before
    Adam's ε was an option (Keras' 1e-7)."""
    recorded = run_flags.read(root_dir)
    del recorded["adam_epsilon"]
    run_flags.write(root_dir, recorded)


def test_records_of_an_older_preset_are_not_taken_and_are_replaced(tmp_path):
    config = _config(tmp_path / "out", tmp_path / "records")
    _write_finished_trial(config["records_dir"])
    _record_older_preset(config["records_dir"])
    assert run.setting_differences(config, config["records_dir"]) == [
        "--adam_epsilon=1e-08 (the run: 1e-07)"
    ]
    assert not run.sync_records(config)
    assert not os.path.exists(config["root_dir"])

    # The trial re-run under today's preset; seed 4 did not diverge this time.
    _write_finished_trial(config["root_dir"])
    os.remove(
        os.path.join(config["root_dir"], "omd_num_distractors16_s4", member_failures.MARKER)
    )
    assert run.sync_records(config)
    assert run.finished(config, config["records_dir"])
    assert "omd_num_distractors16_s4/diverged.json" not in _files(config["records_dir"])


def test_a_trial_folder_of_an_older_preset_stops_the_sweep_naming_it(tmp_path):
    config = _config(tmp_path / "out", tmp_path / "records")
    _write_finished_trial(config["root_dir"])
    _record_older_preset(config["root_dir"])
    assert not run.finished(config)
    with pytest.raises(checks.ConfigError) as raised:
        run.run_trials(str(tmp_path / "out"), [config], 1, 0, "")
    message = str(raised.value)
    assert "\n" not in message
    assert "omd_num_distractors16: --adam_epsilon=1e-08 (the run: 1e-07)" in message
    assert not os.path.exists(config["records_dir"])


def test_the_folder_a_trial_finished_in_and_the_settings_of_one_outdated(tmp_path):
    config = _config(tmp_path / "out", tmp_path / "records")
    assert run.finished_folder(config) is None
    assert run.outdated_settings(config) == []  # Not run yet.

    _write_finished_trial(config["records_dir"])
    assert run.finished_folder(config) == config["records_dir"]
    _write_finished_trial(config["root_dir"])
    assert run.finished_folder(config) == config["root_dir"]

    # Records of an older preset, no run in root_dir: theirs are named.
    _record_older_preset(config["records_dir"])
    shutil.rmtree(config["root_dir"])
    assert run.finished_folder(config) is None
    older = ["--adam_epsilon=1e-08 (the run: 1e-07)"]
    assert run.outdated_settings(config) == older
    assert loop.checkpointed_env_steps(config["root_dir"]) is None

    # Re-running with today's settings in root_dir, checkpointed half-way:
    # the run there is the trial's, not the older records.
    _write_finished_trial(config["root_dir"])
    os.remove(os.path.join(config["root_dir"], run.DONE))
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(v=tf.Variable(1.0)),
        os.path.join(config["root_dir"], "checkpoints"),
        max_to_keep=1,
    )
    manager.save(checkpoint_number=1000)
    assert run.finished_folder(config) is None
    assert run.outdated_settings(config) == []
    assert loop.checkpointed_env_steps(config["root_dir"]) == 1000
    _record_older_preset(config["root_dir"])
    assert run.outdated_settings(config) == older
