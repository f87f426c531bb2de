"""Trains and evaluates an OMD-SAC or MLE-SAC agent on a MuJoCo gymnasium env.

    python bin/train_sac.py --root_dir=runs/cheetah_omd --agent=omd \
        --model_hidden_dim=64 --num_distractors=16

Writes TensorBoard summaries, eval_returns.csv, checkpoints (re-running with
the same --root_dir resumes) and the exported eval policy (root_dir/policy)
under --root_dir.  Defaults follow the paper's HalfCheetah set-up
(appendix F: SAC defaults, model hidden size 64, K = 1).
"""

from absl import app

from omd_tf.training import cli
from omd_tf.training import sac

HELP = {
    "env": "Gymnasium id (continuous actions).",
    "agent": "How the model learns: omd | mle.",
    "model_hidden_dim": "Hidden width of the model.",
    "model_activation": "Model hidden activation: relu | swish | elu | tanh.",
    "num_distractors": "N(0, 1) observation dims added.",
    "num_env_steps": "Env steps, random ones included.",
    "init_steps": "Uniformly random env steps first.",
    "batch_size": "Transitions per train step.",
    "actor_lr": "Adam learning rate of the actor.",
    "critic_lr": "Adam learning rate of the critics.",
    "alpha_lr": "Adam learning rate of log α.",
    "model_lr": "Adam learning rate of the model.",
    "tau": "Polyak coefficient of the target critics.",
    "gamma": "Discount.",
    "inner_steps": "K: SAC steps per model step.",
    "inverse": "OMD inverse: identity | cg | normal_cg.",
    "hidden_dim": "Hidden width of actor and critics.",
    "seed": "Random seed.",
    "eval_interval": "Env steps between evaluations.",
    "num_eval_episodes": "Episodes per evaluation.",
    "greedy_eval": "Evaluate/export the actor's mode.",
    "replay_capacity": "Transitions kept for replay.",
    "checkpoint_interval": "Env steps between saves.",
}

cli.define_flags(sac.make_trainer, HELP)

if __name__ == "__main__":
    app.run(cli.main_for(sac.make_trainer))
