"""The README's Python examples run as they stand (extracted here, not copied).

Every ```python block of README.md runs, in README order, as its own script
in one scratch folder, so a later block may use what an earlier one wrote
(e.g. the exported policy of the training example).
"""

import os
import re
import subprocess
import sys

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_blocks(text):
    """The contents of the ```python blocks of Markdown ``text``, in order."""
    return _PYTHON_BLOCK.findall(text)


def test_python_blocks_are_found():
    text = "a\n```python\nx = 1\n```\n```sh\nls\n```\n```python\ny = 2\nz = 3\n```\n"
    assert python_blocks(text) == ["x = 1\n", "y = 2\nz = 3\n"]


def test_readme_python_examples_run(tmp_path):
    with open(README, encoding="utf-8") as f:
        blocks = python_blocks(f.read())
    assert len(blocks) >= 5  # Soft-Q loop, SAC Learner, train, load policy, CSV.
    for number, block in enumerate(blocks, start=1):
        script = tmp_path / f"readme_example_{number}.py"
        script.write_text(block, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            cwd=str(tmp_path),
        )
        assert result.returncode == 0, f"README example {number}:\n{block}\n{result.stderr}"
