"""bin/tabular.py: flag errors, and a tiny end-to-end run."""

import os
import subprocess
import sys

import pytest

BINARY = os.path.join(os.path.dirname(__file__), "..", "..", "bin", "tabular.py")


def _run(args, tmp_path):
    return subprocess.run(
        [sys.executable, BINARY] + args,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )


@pytest.mark.parametrize(
    "flag", ["--max_bound=-1", "--num_seeds=0", "--experiment=figure9"]
)
def test_bad_flag_exits_non_zero_naming_the_flag(flag, tmp_path):
    out_dir = tmp_path / "out"
    result = _run([flag, f"--out_dir={out_dir}"], tmp_path)
    assert result.returncode != 0
    assert flag.split("=")[0] in result.stderr
    assert not out_dir.exists()


def test_tiny_run_writes_every_file_and_the_checks(tmp_path):
    out_dir = tmp_path / "out"
    result = _run(
        [
            "--experiment=all",
            "--num_seeds=2",
            "--num_bounds=3",
            "--max_steps=20",
            "--nojit_compile",
            f"--out_dir={out_dir}",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "J of the soft-optimal policy (reference line): 1.02" in result.stdout
    assert result.stdout.count("PASS") + result.stdout.count("FAIL") == 6
    names = {
        f"{stem}.{ext}"
        for stem in ("misspecification", "bounds", "ift_noise")
        for ext in ("csv", "png")
    }
    assert sorted(os.listdir(out_dir)) == sorted(names | {"summary.txt"})
    with open(out_dir / "misspecification.csv", encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert lines[0] == "agent,kappa,seed,returns"
    assert len(lines) == 1 + 2 * 3 * 2  # agents × bounds × seeds
