"""The figures' grids are the paper's values (appendix D)."""

import itertools
import re

import pytest

from omd_tf.sweeps import figures

# The paper's values, written out again here (not read from the table).
PAPER = {
    "4_hidden": {"agent": ("omd", "mle", "vep"), "model_hidden_dim": (1, 2, 3, 4, 6, 12)},
    "4_distractors": {
        "agent": ("omd", "mle", "vep"),
        "num_distractors": (16, 32, 64, 128, 256, 512),
    },
    "5": {"agent": ("omd", "mle"), "model_hidden_dim": (1, 3)},
    "7": {"agent": ("omd",), "inner_steps": (1, 3, 10), "inverse": ("identity", "cg")},
}


def _product(axes):
    return [dict(zip(axes, values)) for values in itertools.product(*axes.values())]


@pytest.mark.parametrize("figure", sorted(PAPER))
def test_grid_is_the_papers(figure):
    assert figures.grid(figure) == _product(PAPER[figure])


@pytest.mark.parametrize("figure", sorted(PAPER))
def test_selection_adds_the_papers_q_lr_tau_sweep(figure):
    axes = {**PAPER[figure], "q_lr": (3e-4, 1e-3, 3e-3), "tau": (0.005, 0.01)}
    assert figures.grid(figure, select_q_lr_tau=True) == _product(axes)


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


@pytest.mark.parametrize("figure", sorted(PAPER))
def test_trial_names_of_a_figure_are_distinct_and_not_seed_suffixed(figure):
    points = figures.grid(figure, select_q_lr_tau=True)
    names = [figures.trial_name(p) for p in points]
    assert len(set(names)) == len(points)
    assert not any(re.search(r"_s\d+$", name) for name in names)
    assert figures.trial_name({"agent": "omd", "inner_steps": 3, "inverse": "cg"}) == (
        "omd_inner_steps3_inversecg"
    )


def test_help_lists_every_figure_and_what_is_not_built():
    text = figures.table_text()
    for name in PAPER:
        assert f"\n{name}: " in "\n" + text
    assert "[16, 32, 64, 128, 256, 512]" in text
    assert "single Q" in text
