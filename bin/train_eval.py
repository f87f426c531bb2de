"""Trains and evaluates an OMD / MLE / VEP soft-Q agent on a gymnasium env.

    python bin/train_eval.py --root_dir=runs/omd_h1 --agent=omd --model_hidden_dim=1

Writes TensorBoard summaries, eval_returns.csv, checkpoints (re-running with
the same --root_dir resumes) and the exported eval policy (root_dir/policy)
under --root_dir.  Defaults are the paper's CartPole settings (appendix D).
"""

from absl import app

from omd_tf.training import cli
from omd_tf.training import soft_q

HELP = {
    "env": "Gymnasium id (discrete actions).",
    "agent": "How the model learns: omd | mle | vep.",
    "model_hidden_dim": "Hidden width of the model.",
    "model_activation": "Model hidden activation: relu | swish | elu | tanh.",
    "num_distractors": "N(0, 1) observation dims added.",
    "num_env_steps": "Env steps, random ones included.",
    "init_steps": "Uniformly random env steps first.",
    "batch_size": "Transitions per train step.",
    "q_lr": "Adam learning rate of the Q networks.",
    "model_lr": "Adam learning rate of the model.",
    "tau": "Polyak coefficient of the target networks.",
    "alpha": "Soft-max temperature.",
    "gamma": "Discount.",
    "epsilon": "Probability of a random collect action.",
    "inner_steps": "K: inner Q steps per model step.",
    "inverse": "OMD inverse: identity | cg | normal_cg.",
    "hidden_dim": "Hidden width of the Q networks.",
    "seed": "Random seed.",
    "eval_interval": "Env steps between evaluations.",
    "num_eval_episodes": "Episodes per evaluation.",
    "greedy_eval": "Evaluate/export argmax Q.",
    "replay_capacity": "Transitions kept for replay.",
    "checkpoint_interval": "Env steps between saves.",
    "jit_compile": "XLA-compile the agent update.",
}

cli.define_flags(soft_q.make_trainer, HELP)

if __name__ == "__main__":
    app.run(cli.main_for(soft_q.make_trainer))
