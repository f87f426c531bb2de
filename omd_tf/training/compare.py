"""Several agents trained on the same budget, eval returns side by side."""

import os

from omd_tf.training import curves as eval_curves
from omd_tf.training import population
from omd_tf.training import soft_q


def compare(
    root_dir,
    agents=("omd", "mle"),
    model_hidden_dim=1,
    num_env_steps=20_000,
    seed=0,
    num_seeds=1,
    print_every=1,
    print_fn=print,
    **kwargs,
):
    """Trains each agent in ``root_dir/<agent>`` and prints their eval returns.

    With ``num_seeds`` N > 1 each agent is a population of N seeds
    (`train_eval`'s ``num_seeds``) and each cell is the mean ± standard
    error over seeds of their eval returns.

    Args:
      root_dir: output directory; one `train_eval` run per agent below it.
      agents: agent names ('omd', 'mle', 'vep').
      model_hidden_dim, num_env_steps, seed, num_seeds: as for `train_eval`.
      print_every: print every this many-th evaluation (and the last).
      print_fn: where the table goes.
      **kwargs: further `train_eval` arguments.

    Returns:
      {agent: final mean eval return (over seeds)}.
    """
    finals = {
        name: soft_q.train_eval(
            os.path.join(root_dir, name),
            agent=name,
            model_hidden_dim=model_hidden_dim,
            num_env_steps=num_env_steps,
            seed=seed,
            num_seeds=num_seeds,
            **kwargs,
        )
        for name in agents
    }
    run_dirs = {
        name: population.member_dirs(os.path.join(root_dir, name), seed, num_seeds)
        for name in agents
    }
    curves = {
        name: [eval_curves.read(run_dir) for run_dir in dirs]
        for name, dirs in run_dirs.items()
    }
    steps = sorted(set.intersection(*(set(c) for cs in curves.values() for c in cs)))
    shown = steps[print_every - 1 :: print_every]
    if steps and shown[-1:] != steps[-1:]:
        shown.append(steps[-1])
    seeds = f"seed {seed}" if num_seeds == 1 else (
        f"seeds {seed}-{seed + num_seeds - 1}, mean ± standard error"
    )
    width = 8 if num_seeds == 1 else 13
    print_fn(f"Mean eval return, model hidden size {model_hidden_dim}, {seeds}:")
    print_fn(f"{'env steps':>10} " + " ".join(f"{name:>{width}}" for name in agents))
    for step in shown:
        cells = (
            eval_curves.mean_and_se_text([c[step] for c in curves[name]])
            for name in agents
        )
        print_fn(f"{step:>10} " + " ".join(f"{cell:>{width}}" for cell in cells))
    final_cells = (
        eval_curves.mean_and_se_text([c[max(c)] for c in curves[name]])
        for name in agents
    )
    print_fn(f"{'final':<10} " + " ".join(f"{cell:>{width}}" for cell in final_cells))
    plot_path = os.path.join(root_dir, eval_curves.EVAL_PLOT)
    eval_curves.plot(
        plot_path,
        {name.upper(): member_curves for name, member_curves in curves.items()},
        f"model hidden size {model_hidden_dim}, {seeds.split(',')[0]}",
    )
    print_fn(f"plot: {plot_path}")
    for name in agents:
        where = os.path.join(root_dir, name)
        if num_seeds == 1:
            print_fn(
                f"{name}: {where} (eval_returns.csv and .png, flags.json, "
                "TensorBoard, policy/)"
            )
        else:
            print_fn(
                f"{name}: {where} (population_returns.csv and .png, flags.json, "
                f"TensorBoard; per seed {os.path.basename(run_dirs[name][0])} …: "
                "eval_returns.csv and .png, policy/)"
            )
    return finals
