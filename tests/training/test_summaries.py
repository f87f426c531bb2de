"""Reading a run's TensorBoard scalars back, and bin/export_summaries.py."""

import csv

import tensorflow as tf

from omd_tf.training import summaries


def _write_run(root_dir):
    """A run folder with two train tags and one eval tag, values step / 10."""
    for folder, tags, steps in (
        ("train", ("Losses/q_loss", "Diagnostics/mean_q"), (0, 1000)),
        ("eval", ("Metrics/AverageReturn",), (2000,)),
    ):
        writer = tf.summary.create_file_writer(str(root_dir / folder))
        with writer.as_default():
            for step in steps:
                for tag in tags:
                    tf.summary.scalar(tag, step / 10, step=step)
        writer.close()


def test_read_scalars_returns_every_point_per_tag(tmp_path):
    _write_run(tmp_path)
    train = summaries.read_scalars(str(tmp_path), "train")
    assert train == {
        "Losses/q_loss": [(0, 0.0), (1000, 100.0)],
        "Diagnostics/mean_q": [(0, 0.0), (1000, 100.0)],
    }
    assert summaries.read_scalars(str(tmp_path), "eval") == {
        "Metrics/AverageReturn": [(2000, 200.0)]
    }
    assert summaries.read_scalars(str(tmp_path), "missing") == {}


def test_export_binary_writes_the_kept_tags_and_names_a_bad_dir(tmp_path, run_binary):
    run = tmp_path / "omd_s0"
    _write_run(run)
    out = tmp_path / "out" / "scalars.csv"
    result = run_binary(
        "export_summaries.py", f"--out_csv={out}", "--tags=mean_q,Return", str(run)
    )
    assert result.returncode == 0, result.stderr
    with open(out) as f:
        rows = list(csv.DictReader(f))
    assert [(r["folder"], r["tag"], int(r["step"]), float(r["value"])) for r in rows] == [
        ("train", "Diagnostics/mean_q", 0, 0.0),
        ("train", "Diagnostics/mean_q", 1000, 100.0),
        ("eval", "Metrics/AverageReturn", 2000, 200.0),
    ]
    assert {r["run"] for r in rows} == {"omd_s0"}

    bad = run_binary("export_summaries.py", f"--out_csv={tmp_path / 'x.csv'}", str(tmp_path))
    assert bad.returncode != 0
    assert "is not the --root_dir of a training run" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "x.csv").exists()
