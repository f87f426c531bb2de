"""A sweep's figure from trial folders: the best Q lr × τ per point, CSV, PNG."""

import csv
import os

import pytest
import tensorflow as tf
from matplotlib import axes

from omd_tf.sweeps import results
from omd_tf.training import curves
from omd_tf.training import run_flags


def _trial(root, name, q_lr, finals, **recorded):
    """A finished trial's folder: flags.json (q_lr, tau 0.01 and ``recorded``)
    and one eval CSV per seed."""
    root_dir = os.path.join(root, name)
    run_flags.write(
        root_dir, {"root_dir": root_dir, "q_lr": q_lr, "tau": 0.01, **recorded}
    )
    for seed, final in enumerate(finals):
        member = os.path.join(root_dir, f"{name}_s{seed}")
        os.makedirs(member)
        with open(os.path.join(member, curves.EVAL_CSV), "w") as f:
            f.write(f"env_steps,average_return\n1000,5.0\n2000,{final}\n")
    return root_dir


def test_rows_keep_the_best_q_lr_tau_of_each_point(tmp_path):
    """And show each trial's recorded Adam ε (Keras' 1e-7 where none is)."""
    trials = {
        _trial(tmp_path, "omd_h1_lo", 3e-4, [100.0, 200.0]): dict(
            agent="omd", model_hidden_dim=1, q_lr=3e-4, tau=0.01
        ),
        _trial(tmp_path, "omd_h1_hi", 3e-3, [300.0, 500.0]): dict(
            agent="omd", model_hidden_dim=1, q_lr=3e-3, tau=0.01
        ),
        _trial(tmp_path, "omd_h2_lo", 3e-4, [50.0, 70.0], adam_epsilon=1e-8): dict(
            agent="omd", model_hidden_dim=2, q_lr=3e-4, tau=0.01
        ),
    }
    figure_rows = results.rows(trials, seed=0, num_seeds=2)
    assert [row for row, _ in figure_rows] == [
        dict(agent="omd", model_hidden_dim=1, q_lr=3e-3, tau=0.01,
             adam_epsilon=1e-7, num_seeds=2,
             env_steps=2000, final_mean=400.0, final_se=100.0, diverged_seeds="",
             trial="omd_h1_hi"),
        dict(agent="omd", model_hidden_dim=2, q_lr=3e-4, tau=0.01,
             adam_epsilon=1e-8, num_seeds=2,
             env_steps=2000, final_mean=60.0, final_se=10.0, diverged_seeds="",
             trial="omd_h2_lo"),
    ]
    path = str(tmp_path / "figure.csv")
    results.write_csv(path, figure_rows)
    with open(path, newline="") as f:
        assert [r["trial"] for r in csv.DictReader(f)] == ["omd_h1_hi", "omd_h2_lo"]


@pytest.mark.parametrize(
    "figure, point",
    [
        ("4_distractors", dict(agent="vep", num_distractors=16)),
        ("7", dict(agent="omd", inner_steps=1, inverse="cg", double_q=True)),
    ],
)
def test_plot_writes_a_png_for_each_kind(tmp_path, figure, point):
    root_dir = _trial(tmp_path, "t", 1e-3, [10.0, 20.0])
    path = str(tmp_path / "figure.png")
    results.plot(path, figure, results.rows({root_dir: point}, seed=0, num_seeds=2))
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def _record_model_errors(trial_dir, errors_by_seed):
    """Writes each seed's {train step: next-state MSE} as its train summaries."""
    for seed, errors in enumerate(errors_by_seed):
        member = os.path.join(trial_dir, f"{os.path.basename(trial_dir)}_s{seed}")
        writer = tf.summary.create_file_writer(os.path.join(member, "train"))
        with writer.as_default():
            for step, error in errors.items():
                tf.summary.scalar(results.MODEL_ERROR_TAG, error, step=step)
        writer.close()


def test_figure_5_rows_and_plot_carry_the_models_final_error(tmp_path):
    root_dir = _trial(tmp_path, "omd_h1", 1e-3, [100.0, 300.0])
    _record_model_errors(root_dir, [{1000: 0.5, 2000: 0.25}, {1000: 0.5, 2000: 0.75}])
    point = dict(agent="omd", model_hidden_dim=1)
    figure_rows = results.rows({root_dir: point}, 0, 2, model_error=True)
    ((row, members),) = figure_rows
    assert row["final_model_mse_mean"] == pytest.approx(0.5)
    assert row["final_model_mse_se"] == pytest.approx(0.25)
    assert members.model_errors == [{1000: 0.5, 2000: 0.25}, {1000: 0.5, 2000: 0.75}]
    path = str(tmp_path / "figure_5_model_error.png")
    results.plot_model_error(path, "5", figure_rows)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_model_error_of_a_trial_without_train_summaries_names_the_run(tmp_path):
    root_dir = _trial(tmp_path, "mle_h3", 1e-3, [100.0, 200.0])
    _record_model_errors(root_dir, [{1000: 0.5}])  # Seed 1 has none.
    with pytest.raises(ValueError, match="mle_h3_s1: no Diagnostics/model_next_obs_mse"):
        results.rows({root_dir: dict(agent="mle", model_hidden_dim=3)}, 0, 2, model_error=True)


def test_a_line_whose_points_kept_different_seed_counts_says_so(tmp_path, monkeypatch):
    """A point with a diverged seed (4 of 5 kept) labels its line '4-5 seeds'."""
    labels = []
    errorbar = axes.Axes.errorbar

    def recording_errorbar(self, *args, **kwargs):
        labels.append(kwargs["label"])
        return errorbar(self, *args, **kwargs)

    monkeypatch.setattr(axes.Axes, "errorbar", recording_errorbar)
    figure_rows = [
        ({"agent": "omd", "model_hidden_dim": width, "num_seeds": seeds,
          "final_mean": 100.0, "final_se": 1.0}, None)
        for width, seeds in ((1, 5), (2, 4))
    ]
    results.plot(str(tmp_path / "f.png"), "4_hidden", figure_rows)
    assert labels == ["OMD (4-5 seeds)"]
