"""The figures' grids are the paper's values (appendix D)."""

import dataclasses
import itertools
import re

import pytest

from omd_tf.sweeps import figures
from omd_tf.training import soft_q

# The paper's values, written out again here (not read from the table).
PAPER = {
    "4_hidden": {"agent": ("omd", "mle", "vep"), "model_hidden_dim": (1, 2, 3, 4, 6, 12)},
    "4_distractors": {
        "agent": ("omd", "mle", "vep"),
        "num_distractors": (16, 32, 64, 128, 256, 512),
    },
    "5": {"agent": ("omd", "mle"), "model_hidden_dim": (1, 3)},
}
# Figure 7, OMD only: left, K = 1, 3, 10; right, the default agent (K = 1, identity
# inverse, double Q), single Q and the inverse Jacobian (CG).
FIGURE_7 = [
    {"agent": "omd", "inner_steps": k, "inverse": inverse, "double_q": double_q}
    for k, inverse, double_q in [
        (1, "identity", True),
        (3, "identity", True),
        (10, "identity", True),
        (1, "identity", False),
        (1, "cg", True),
    ]
]
Q_LR_TAU = {"q_lr": (3e-4, 1e-3, 3e-3), "tau": (0.005, 0.01)}


def _product(axes):
    return [dict(zip(axes, values)) for values in itertools.product(*axes.values())]


def _paper_grid(figure, select_q_lr_tau=False):
    if figure == "7":
        pairs = _product(Q_LR_TAU) if select_q_lr_tau else [{}]
        return [{**point, **pair} for point in FIGURE_7 for pair in pairs]
    return _product({**PAPER[figure], **(Q_LR_TAU if select_q_lr_tau else {})})


FIGURES = sorted([*PAPER, "7"])


@pytest.mark.parametrize("figure", FIGURES)
def test_grid_is_the_papers(figure):
    assert figures.grid(figure) == _paper_grid(figure)


@pytest.mark.parametrize("figure", FIGURES)
def test_selection_adds_the_papers_q_lr_tau_sweep(figure):
    assert figures.grid(figure, select_q_lr_tau=True) == _paper_grid(figure, True)


def test_figure_4_with_selection_is_the_papers_2160_jobs_at_10_seeds():
    trials = sum(
        len(figures.grid(f, select_q_lr_tau=True)) for f in ("4_hidden", "4_distractors")
    )
    assert trials * 10 == 2160


def test_subsets_of_agents_and_knob_values():
    assert figures.grid("4_hidden", agents=["mle"], knob_values=[12, 2]) == [
        {"agent": "mle", "model_hidden_dim": 2},
        {"agent": "mle", "model_hidden_dim": 12},
    ]
    assert figures.grid("7", knob_values=[1]) == [
        point for point in FIGURE_7 if point["inner_steps"] == 1
    ]


@pytest.mark.parametrize("figure", FIGURES)
def test_trial_names_of_a_figure_are_distinct_and_not_seed_suffixed(figure):
    points = figures.grid(figure, select_q_lr_tau=True)
    names = [figures.trial_name(p) for p in points]
    assert len(set(names)) == len(points)
    assert not any(re.search(r"_s\d+$", name) for name in names)
    assert figures.trial_name({"agent": "omd", "inner_steps": 3, "inverse": "cg"}) == (
        "omd_inner_steps3_inversecg"
    )


def test_help_lists_every_figure_its_points_and_what_is_not_built():
    text = figures.table_text()
    for name in FIGURES:
        assert f"\n{name}: " in "\n" + text
    assert "[16, 32, 64, 128, 256, 512]" in text
    assert "inner_steps=1 inverse=identity double_q=False" in text
    assert "not built: the right panel" in text


@pytest.mark.parametrize("figure", FIGURES)
def test_each_trial_is_a_soft_q_config(figure):
    """A grid point's keys are `SoftQConfig` fields (a misspelt axis fails here)."""
    for point in figures.grid(figure, select_q_lr_tau=True):
        run_config = dataclasses.replace(soft_q.SoftQConfig(), **point)
        assert {name: getattr(run_config, name) for name in point} == point
