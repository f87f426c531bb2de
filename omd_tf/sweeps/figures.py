"""The paper's CartPole figures as grids of training runs (appendix D's values).

`FIGURES` is the one table of the values.  A figure's grid is the product of
its agents and its axes (first axis: the figure's x axis or knob), or of its
agents and its explicit points where the paper shows only some combinations
of the axes; each grid point is one `soft_q.train_eval` run of a population
of seeds.  With the
paper's Q-lr × τ selection every point is run at each pair of `Q_LR_TAU` and
the figure shows the pair with the best final return.
"""

import itertools
from typing import NamedTuple

# Appendix D: "a hyperparameter sweep over the learning rate for w in
# {3e-4, 1e-3, 3e-3}" and "over the moving average coefficient τ in
# {0.005, 0.01}".
Q_LR_TAU = {"q_lr": (3e-4, 1e-3, 3e-3), "tau": (0.005, 0.01)}


class Figure(NamedTuple):
    """One figure: agents × axes ({`soft_q.SoftQConfig` field: values}).

    plot: 'final_vs_knob' (final eval return vs the first axis, one line per
    agent and further axes) or 'curves' (eval return vs env steps, one line
    per grid point).  model_error: also the models' next-state MSE over
    training, one line per grid point (Figure 5 left).  points: the grid's
    combinations of the axes ({axis: value} each), if not all of them.
    not_built: the paper's panels or axes this agent lacks.
    """

    title: str
    agents: tuple
    axes: dict
    plot: str
    model_error: bool = False
    points: tuple = ()
    not_built: str = ""


FIGURES = {
    "4_hidden": Figure(
        "Figure 4 left: model hidden size",
        ("omd", "mle", "vep"),
        {"model_hidden_dim": (1, 2, 3, 4, 6, 12)},
        "final_vs_knob",
    ),
    "4_distractors": Figure(
        "Figure 4 right: Gaussian distractors",
        ("omd", "mle", "vep"),
        {"num_distractors": (16, 32, 64, 128, 256, 512)},
        "final_vs_knob",
    ),
    "5": Figure(
        "Figure 5 left and centre: model error and returns at hidden size 1 and 3",
        ("omd", "mle"),
        {"model_hidden_dim": (1, 3)},
        "curves",
        model_error=True,
        not_built="the right panel (predictions along a trajectory: "
        "bin/predict_trajectory.py on an OMD and an MLE trial)",
    ),
    "7": Figure(
        "Figure 7: inner steps K, single Q, inverse Jacobian (OMD)",
        ("omd",),
        {
            "inner_steps": (1, 3, 10),
            "inverse": ("identity", "cg"),
            "double_q": (True, False),
        },
        "curves",
        # Left panel: K = 1, 3, 10; right: the default (K = 1), single Q, CG.
        points=tuple(
            {"inner_steps": k, "inverse": inverse, "double_q": double_q}
            for k, inverse, double_q in (
                (1, "identity", True),
                (3, "identity", True),
                (10, "identity", True),
                (1, "identity", False),
                (1, "cg", True),
            )
        ),
    ),
}


def grid(figure, agents=None, knob_values=None, select_q_lr_tau=False):
    """[{agent, axis: value, …, (q_lr, tau)}] of one figure: its trials.

    Args:
      figure: a key of `FIGURES`.
      agents: a subset of the figure's agents (None: all).
      knob_values: a subset of the first axis's values (None: all).
      select_q_lr_tau: each point at every pair of `Q_LR_TAU`.
    """
    spec = FIGURES[figure]
    knob = next(iter(spec.axes))
    points = spec.points or [
        dict(zip(spec.axes, values))
        for values in itertools.product(*spec.axes.values())
    ]
    if knob_values is not None:
        points = [point for point in points if point[knob] in knob_values]
    selection = [{}]
    if select_q_lr_tau:
        selection = [
            dict(zip(Q_LR_TAU, pair)) for pair in itertools.product(*Q_LR_TAU.values())
        ]
    return [
        {"agent": agent, **point, **pair}
        for agent in agents or spec.agents
        for point in points
        for pair in selection
    ]


def trial_name(point):
    """'omd_model_hidden_dim1_q_lr0.001_tau0.01': a grid point's folder name."""
    knobs = (f"{name}{value}" for name, value in point.items() if name != "agent")
    return "_".join([point["agent"], *knobs])


def _grid_text(spec):
    """'axis [values]; …', or the points 'axis=value …, …' of a `Figure`."""
    if spec.points:
        return "points " + ", ".join(
            " ".join(f"{axis}={value}" for axis, value in point.items())
            for point in spec.points
        )
    return "; ".join(f"{axis} {list(values)}" for axis, values in spec.axes.items())


def table_text():
    """The table as help text: one line per figure."""
    lines = [
        f"{name}: {spec.title}; agents {'/'.join(spec.agents)}; "
        + _grid_text(spec)
        + (f"; not built: {spec.not_built}" if spec.not_built else "")
        for name, spec in FIGURES.items()
    ]
    lines.append(
        "With --select_q_lr_tau every point also runs at q_lr "
        f"{list(Q_LR_TAU['q_lr'])} × tau {list(Q_LR_TAU['tau'])}."
    )
    return "\n".join(lines)
