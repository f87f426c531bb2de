"""console: which spellings of --verbose turn it on (before flags are parsed)."""

import pytest

from omd_tf import console


@pytest.mark.parametrize(
    "args, verbose",
    [
        ([], False),
        (["--verbose"], True),
        (["-verbose"], True),
        (["--verbose=true"], True),
        (["--verbose=1"], True),
        (["--verbose=false"], False),
        (["--verbose", "--noverbose"], False),
        (["--noverbose", "--verbose"], True),
        (["--root_dir=x", "--", "--verbose"], False),
        (["--verbose_other"], False),
    ],
)
def test_verbose_requested(args, verbose):
    assert console.verbose_requested(["bin/x.py", *args]) is verbose
