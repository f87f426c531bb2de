"""Several agents trained on the same budget, eval returns side by side."""

import os

from omd_tf.training import curves as eval_curves
from omd_tf.training import soft_q


def compare(
    root_dir,
    agents=("omd", "mle"),
    model_hidden_dim=1,
    num_env_steps=20_000,
    seed=0,
    print_fn=print,
    **kwargs,
):
    """Trains each agent in ``root_dir/<agent>`` and prints their eval returns.

    Args:
      root_dir: output directory; one `train_eval` run per agent below it.
      agents: agent names ('omd', 'mle', 'vep').
      model_hidden_dim, num_env_steps, seed: as for `train_eval`.
      print_fn: where the table goes.
      **kwargs: further `train_eval` arguments.

    Returns:
      {agent: final mean eval return}.
    """
    finals = {
        name: soft_q.train_eval(
            os.path.join(root_dir, name),
            agent=name,
            model_hidden_dim=model_hidden_dim,
            num_env_steps=num_env_steps,
            seed=seed,
            **kwargs,
        )
        for name in agents
    }
    curves = {name: eval_curves.read(os.path.join(root_dir, name)) for name in agents}
    steps = sorted(set().union(*curves.values()))
    print_fn(f"Mean eval return, model hidden size {model_hidden_dim}, seed {seed}:")
    print_fn(f"{'env steps':>10} " + " ".join(f"{name:>8}" for name in agents))
    for step in steps:
        cells = (
            f"{curves[name][step]:8.1f}" if step in curves[name] else f"{'':8}"
            for name in agents
        )
        print_fn(f"{step:>10} " + " ".join(cells))
    print_fn("final      " + " ".join(f"{finals[name]:8.1f}" for name in agents))
    plot_path = os.path.join(root_dir, eval_curves.EVAL_PLOT)
    eval_curves.plot(
        plot_path,
        {name.upper(): [curve] for name, curve in curves.items()},
        f"model hidden size {model_hidden_dim}, seed {seed}",
    )
    print_fn(f"plot: {plot_path}")
    for name in agents:
        print_fn(
            f"{name}: {os.path.join(root_dir, name)} "
            "(eval_returns.csv and .png, flags.json, TensorBoard, policy/)"
        )
    return finals
