"""bin/sweep.py on local Ray: a tiny sweep, its interruption and resume, bad flags."""

import csv
import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from omd_tf.sweeps import results
from omd_tf.sweeps import run
from omd_tf.training import checks
from omd_tf.training import curves
from omd_tf.training import loop
from omd_tf.training import summaries

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWEEP = os.path.join(REPO, "bin", "sweep.py")
# 2 grid points of Figure 5 (OMD at model hidden sizes 1 and 3) × 2 seeds,
# tiny networks.  All CPUs per trial: the two trials run one after the other.
TINY = [
    "--figure=5",
    "--agents=omd",
    "--knob_values=1,3",
    "--num_seeds=2",
    "--num_env_steps=2000",
    "--init_steps=200",
    "--batch_size=32",
    "--hidden_dim=8",
    "--eval_interval=1000",
    "--num_eval_episodes=2",
    f"--cpus_per_trial={os.cpu_count()}",
]
TRIALS = ("omd_model_hidden_dim1", "omd_model_hidden_dim3")


# A guard against a hung sweep, not a speed check: a tiny trial takes about a
# minute on an idle machine and up to 8 minutes on a loaded one.
HANG_GUARD_S = 900


def _sweep(*flags):
    """The sweep as a subprocess, in a session of its own (it and its Ray processes)."""
    return subprocess.Popen(
        [sys.executable, SWEEP, *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        start_new_session=True,
    )


def _communicate(process):
    """(stdout, stderr) of ``process``; past HANG_GUARD_S its session is killed, then raise."""
    try:
        return process.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # No sweep or Ray process outlives the test.
        process.communicate()
        raise


def _done_markers(out_dir):
    return glob.glob(os.path.join(out_dir, "trials", "*", run.DONE))


def test_tiny_sweep_interrupted_after_one_trial_resumes_only_the_other(tmp_path):
    out_dir = str(tmp_path / "sweep")
    first = _sweep(f"--out_dir={out_dir}", *TINY)
    deadline = time.monotonic() + HANG_GUARD_S
    while not _done_markers(out_dir) and first.poll() is None:
        assert time.monotonic() < deadline, "no trial finished"
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)  # Ctrl-C after the first trial.
    _, stderr = _communicate(first)
    assert first.returncode == 2, stderr
    (marker,) = _done_markers(out_dir)
    finished_dir = os.path.dirname(marker)
    finished_files = {
        path: os.stat(path).st_mtime_ns
        for path in glob.glob(os.path.join(finished_dir, "**", "*"), recursive=True)
        if os.path.isfile(path)
    }
    assert "1 of 2 trials did not finish" in stderr.strip().splitlines()[-1]

    # --so_far runs nothing: the finished trial's point, the other one named.
    so_far = _sweep(f"--out_dir={out_dir}", "--so_far", *TINY)
    stdout, stderr = _communicate(so_far)
    assert so_far.returncode == 0, stderr
    (unfinished,) = set(TRIALS) - {os.path.basename(finished_dir)}
    assert stdout.splitlines() == [
        f"figure so far: {out_dir}/figure_5_so_far.csv, .png and "
        f"_model_error.png (1 point)",
        f"not finished (1 of 2): {unfinished}",
    ]
    with open(os.path.join(out_dir, "figure_5_so_far.csv"), newline="") as f:
        assert [r["trial"] for r in csv.DictReader(f)] == [os.path.basename(finished_dir)]
    assert len(_done_markers(out_dir)) == 1

    second = _sweep(f"--out_dir={out_dir}", *TINY)
    stdout, stderr = _communicate(second)
    assert second.returncode == 0, stderr
    assert stderr == ""
    lines = stdout.splitlines()
    # Only our lines: the plan, one line for the one trial run, the figure.
    assert len(lines) == 3, stdout
    assert lines[0].startswith("2 trials, 1 finished before; running 1")
    assert lines[1].startswith("[2/2] ") and "100% done, ETA 0m00s" in lines[1]
    assert lines[2].startswith("figure: ")
    # The finished trial was not run again: none of its files changed.
    for path, mtime in finished_files.items():
        assert os.stat(path).st_mtime_ns == mtime, path

    with open(os.path.join(out_dir, "figure_5.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    points = [(r["agent"], r["model_hidden_dim"]) for r in rows]
    assert points == [("omd", "1"), ("omd", "3")]
    for row, name in zip(rows, TRIALS):
        with open(os.path.join(out_dir, "trials", name, run.DONE)) as f:
            wall_s = json.load(f)["wall_s"]  # The run's own time, resumes summed.
        assert wall_s > 0
        assert wall_s == loop.recorded_train_seconds(os.path.join(out_dir, "trials", name))
        members = [os.path.join(out_dir, "trials", name, f"{name}_s{s}") for s in (0, 1)]
        finals = [curves.read(d)[2000] for d in members]  # summarize_runs' layout
        assert curves.group_by_config(members) == {name: members}
        assert row["trial"] == name
        assert (row["num_seeds"], row["env_steps"]) == ("2", "2000")
        assert (float(row["q_lr"]), float(row["tau"])) == (1e-3, 0.01)
        assert float(row["final_mean"]) == pytest.approx(np.mean(finals))
        assert float(row["final_se"]) == pytest.approx(curves.standard_error(finals))
        # Figure 5 left: each seed's own next-state MSE at train step 1000.
        errors = [
            dict(summaries.read_scalars(d, "train")[results.MODEL_ERROR_TAG])[1000]
            for d in members
        ]
        assert errors[0] != errors[1]
        assert float(row["final_model_mse_mean"]) == pytest.approx(np.mean(errors))
    for png in ("figure_5.png", "figure_5_model_error.png"):
        with open(os.path.join(out_dir, png), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(os.path.join(out_dir, run.LOG)) > 0  # Ray's lines.
    for name in TRIALS:  # Each trial's own progress lines, in its folder.
        with open(os.path.join(out_dir, "trials", name, run.TRIAL_LOG)) as f:
            assert "env steps 2000/2000" in f.read()


@pytest.mark.parametrize(
    "flags, message",
    [
        (
            ["--figure=4_hidden", "--knob_values=1,5"],
            "--knob_values must be among 1, 2, 3, 4, 6, 12 for --figure=4_hidden",
        ),
        (
            ["--figure=5", "--records_dir=records"],
            "--records_dir keeps no train summaries, from which --figure=5 reads",
        ),
    ],
)
def test_bad_flag_is_one_line_naming_it(tmp_path, flags, message):
    process = _sweep(f"--out_dir={tmp_path}", *flags)
    _, stderr = _communicate(process)
    assert process.returncode == 1
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert message in stderr
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize(
    "address, message",
    [
        ("nohost", "--ray_address must be host:port"),
        ("host:port", "--ray_address must be host:port"),
        ("127.0.0.1:1", "--ray_address='127.0.0.1:1' cannot be reached"),
    ],
)
def test_bad_ray_address_fails_fast_naming_the_flag(address, message):
    start = time.monotonic()
    with pytest.raises(checks.ConfigError, match=message):
        run.connect(address)
    assert time.monotonic() - start < 10


def test_auto_address_without_a_cluster_names_the_flag(monkeypatch):
    """Ray's ConnectionError for 'auto' with no cluster, as one line.

    Ray is faked: whether a real 'auto' finds a cluster depends on what else
    runs on the machine (another test's sweep, under pytest-xdist).
    """

    def no_cluster(address, **kwargs):
        raise ConnectionError(
            "Could not find any running Ray instance. Please specify the one to "
            "connect to by setting `--address` flag or `RAY_ADDRESS` environment "
            "variable."
        )

    monkeypatch.setattr(run.ray, "init", no_cluster)
    with pytest.raises(
        checks.ConfigError,
        match="^--ray_address='auto': no Ray cluster there "
        r"\(Could not find any running Ray instance\)\.$",
    ):
        run.connect("auto")
