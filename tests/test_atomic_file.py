"""atomic_file.writing: a file at the path is complete or absent, never partial."""

import pytest

from omd_tf import atomic_file


def test_the_file_appears_whole_when_the_block_ends(tmp_path):
    path = tmp_path / "table.csv"
    with atomic_file.writing(str(path)) as f:
        f.write("a,b\n")
        assert not path.exists()  # Nothing at the path while writing.
        f.write("1,2\n")
    assert path.read_text() == "a,b\n1,2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_an_error_leaves_the_old_file_and_no_partial_one(tmp_path):
    path = tmp_path / "plot.png"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="plotting failed"):
        with atomic_file.writing(str(path), "wb") as f:
            f.write(b"new, half")
            raise RuntimeError("plotting failed")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]


def test_bad_mode():
    with pytest.raises(ValueError, match="`mode` must be 'w' or 'wb', got 'a'"):
        with atomic_file.writing("unused", "a"):
            pass
