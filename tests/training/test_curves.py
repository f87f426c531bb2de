"""curves (read, group, summarize, plot) and bin/summarize_runs.py."""

import csv
import json
import math
import os

import numpy as np
import pytest

from omd_tf.training import curves
from omd_tf.training import evaluation
from omd_tf.training import model_health

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _write_run(root, name, rows):
    run_dir = os.path.join(str(root), name)
    os.makedirs(run_dir)
    with open(os.path.join(run_dir, curves.EVAL_CSV), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(evaluation.CSV_FIELDS)
        for step, value in rows:
            writer.writerow([step, value, value])
    return run_dir


def test_group_by_config_strips_the_seed_suffix():
    groups = curves.group_by_config(
        ["r/omd_h1_s0", "r/mle_h1_s0", "r/omd_h1_s12/", "r/omd_h1_sx"]
    )
    assert groups == {
        "omd_h1": ["r/omd_h1_s0", "r/omd_h1_s12/"],
        "mle_h1": ["r/mle_h1_s0"],
        "omd_h1_sx": ["r/omd_h1_sx"],
    }


def test_summarize_matches_hand_computation():
    seeds = [
        {1: 10.0, 2: 20.0, 3: 30.0},
        {1: 50.0, 2: 40.0, 3: 60.0},
        {1: 0.0, 2: 100.0, 3: 0.0},
    ]
    s = curves.summarize("omd", seeds, last_n=2)
    finals = [30.0, 60.0, 0.0]  # mean 30, sample std 30
    last_two = [25.0, 50.0, 50.0]  # mean 41.667, sample std 14.434
    assert s.num_seeds == 3 and (s.min_env_steps, s.max_env_steps) == (3, 3)
    assert s.final_mean == pytest.approx(np.mean(finals), rel=1e-12)
    assert s.final_se == pytest.approx(30.0 / math.sqrt(3), rel=1e-12)
    assert s.last_n_mean == pytest.approx(np.mean(last_two), rel=1e-12)
    assert s.last_n_se == pytest.approx(
        np.std(last_two, ddof=1) / math.sqrt(3), rel=1e-12
    )
    bests = [30.0, 60.0, 100.0]
    assert s.best_mean == pytest.approx(np.mean(bests), rel=1e-12)
    assert s.best_se == pytest.approx(np.std(bests, ddof=1) / math.sqrt(3), rel=1e-12)


def test_summarize_one_seed_has_no_standard_error():
    s = curves.summarize("mle", [{5: 7.0}])
    assert s.final_mean == 7.0 and math.isnan(s.final_se)


@pytest.mark.parametrize("bad", [[], [{}]])
def test_summarize_rejects_runs_without_evaluations(bad):
    with pytest.raises(ValueError, match="at least one evaluation"):
        curves.summarize("omd", bad)


def test_read_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="eval_returns.csv"):
        curves.read(str(tmp_path))


def test_mean_curve_uses_the_shared_steps():
    steps, mean, se = curves.mean_curve([{1: 1.0, 2: 3.0}, {1: 3.0, 3: 9.0}])
    assert steps == [1]
    np.testing.assert_allclose(mean, [2.0])
    np.testing.assert_allclose(se, [1.0])


def test_summarize_runs_binary_writes_table_csv_and_plot(tmp_path, run_binary):
    runs = [
        _write_run(tmp_path, "omd_h1_s0", [(1000, 10.0), (2000, 30.0)]),
        _write_run(tmp_path, "omd_h1_s1", [(1000, 20.0), (2000, 50.0)]),
        _write_run(tmp_path, "mle_h1_s0", [(1000, 5.0), (2000, 6.0)]),
    ]
    out = tmp_path / "summary"
    result = run_binary("summarize_runs.py", f"--out_dir={out}", "--last_n=2", *runs)
    assert result.returncode == 0, result.stderr
    assert "| omd_h1 | 2 | 2000 | 40.0 ± 10.0 | 27.5 ± 7.5 | 40.0 ± 10.0 |" in result.stdout
    assert "| mle_h1 | 1 | 2000 | 6.0 | 5.5 | 6.0 |" in result.stdout
    with open(out / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["config"] for r in rows] == ["omd_h1", "mle_h1"]
    assert float(rows[0]["final_se"]) == pytest.approx(10.0)
    assert (out / "summary.md").read_text().splitlines()[2].startswith("| omd_h1 |")
    assert (out / "eval_returns.png").read_bytes()[:8] == PNG_MAGIC


def test_summarize_runs_binary_shows_which_model_mlps_were_alive(tmp_path, run_binary):
    runs = [
        _write_run(tmp_path, "omd_h1_s0", [(1000, 10.0)]),
        _write_run(tmp_path, "omd_h1_s1", [(1000, 20.0)]),
        _write_run(tmp_path, "omd_h1_s2", [(1000, 30.0)]),
    ]
    for run, (dynamics, reward) in zip(runs[:2], [(False, True), (True, True)]):
        with open(os.path.join(run, model_health.FILE), "w") as f:
            json.dump({"init": {"env_steps": 0, "dynamics": dynamics, "reward": reward}}, f)
    out = tmp_path / "summary"
    result = run_binary("summarize_runs.py", f"--out_dir={out}", *runs)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("| model alive at init (dynamics, reward) |")
    assert lines[2].endswith("| s0 ✗✓, s1 ✓✓, s2 ? |")


def test_summarize_runs_binary_names_a_bad_run_dir(tmp_path, run_binary):
    out = tmp_path / "summary"
    result = run_binary("summarize_runs.py", f"--out_dir={out}", str(tmp_path))
    assert result.returncode != 0
    assert "is not the --root_dir of a training run" in result.stderr
    assert not out.exists()


def test_mean_and_se_text():
    assert curves.mean_and_se_text([187.26]) == "187.3"
    assert curves.mean_and_se_text([10.0, 20.0]) == "15.0 ± 5.0"
