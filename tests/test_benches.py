"""Every benchmark of bench/ loads: its module-level setup runs against today's code.

The benchmarks are not run by the suite (they time things); this catches the
breakage they would otherwise only show when someone runs them.
"""

import importlib
import os

import pytest

BENCH_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "bench")
BENCHES = sorted(
    name[:-3] for name in os.listdir(BENCH_DIR) if name.endswith("_bench.py")
)  # timing.py is their helper.


@pytest.mark.parametrize("name", BENCHES)
def test_bench_module_loads_and_has_a_main(monkeypatch, name):
    monkeypatch.syspath_prepend(BENCH_DIR)  # They import timing and agent_bench.
    module = importlib.import_module(name)
    assert callable(module.main)
