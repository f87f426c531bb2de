"""`train_eval`: an OMD-SAC or MLE-SAC agent on a continuous-action gymnasium env."""

import dataclasses

import tensorflow as tf
from tf_agents.agents.ddpg import critic_network
from tf_agents.agents.sac import tanh_normal_projection_network
from tf_agents.networks import actor_distribution_network
from tf_agents.policies import greedy_policy

from agents import model_learning
from agents.omd_sac_agent import OmdSacAgent
from omd_tf import networks
from omd_tf.training import checks
from omd_tf.training import config
from omd_tf.training import loop

AGENTS = ("omd", "mle")


def actor_and_critic_networks(observation_spec, action_spec, hidden_dim):
    """SAC's default networks: (actor, critic), two ReLU layers of ``hidden_dim``.

    The actor maps observations [B, D] to a tanh-squashed Gaussian over
    actions [B, A]; the critic maps (observations, actions) to Q-values [B].
    """
    layers = (hidden_dim, hidden_dim)
    actor = actor_distribution_network.ActorDistributionNetwork(
        observation_spec,
        action_spec,
        fc_layer_params=layers,
        continuous_projection_net=(
            tanh_normal_projection_network.TanhNormalProjectionNetwork
        ),
    )
    critic = critic_network.CriticNetwork(
        (observation_spec, action_spec),
        joint_fc_layer_params=layers,
        kernel_initializer="glorot_uniform",
        last_kernel_initializer="glorot_uniform",
    )
    return actor, critic


def make_agent(
    agent,
    time_step_spec,
    action_spec,
    *,
    model_hidden_dim,
    model_activation,
    model_shared_trunk,
    hidden_dim,
    actor_lr,
    critic_lr,
    alpha_lr,
    model_lr,
    tau,
    gamma,
    inner_steps,
    inverse,
    model_grad_through_actor,
    likelihood_weight,
    hypergradient_clip_norm,
    seed,
):
    """An initialised `OmdSacAgent` with SAC's default networks and Adam.

    Actor and critics as `actor_and_critic_networks` (SAC's default width is
    256); the model's dynamics and reward MLPs (one MLP for both with
    ``model_shared_trunk``) have two hidden layers of ``model_hidden_dim``
    units with ``model_activation``.
    """
    observation_spec = time_step_spec.observation
    actor, critic = actor_and_critic_networks(observation_spec, action_spec, hidden_dim)
    sac_agent = OmdSacAgent(
        time_step_spec,
        action_spec,
        critic_network=critic,
        actor_network=actor,
        model_network=networks.ModelNetwork(
            observation_spec,
            action_spec,
            model_hidden_dim,
            activation=model_activation,
            shared_trunk=model_shared_trunk,
        ),
        actor_optimizer=tf.keras.optimizers.Adam(actor_lr),
        critic_optimizer=tf.keras.optimizers.Adam(critic_lr),
        alpha_optimizer=tf.keras.optimizers.Adam(alpha_lr),
        model_optimizer=tf.keras.optimizers.Adam(model_lr),
        model_loss=agent,
        inner_steps=inner_steps,
        inverse=inverse,
        model_grad_through_actor=model_grad_through_actor,
        likelihood_weight=likelihood_weight,
        hypergradient_clip_norm=hypergradient_clip_norm,
        seed=seed,
        target_update_tau=tau,
        gamma=gamma,
        train_step_counter=tf.Variable(0, dtype=tf.int64, name="train_step"),
    )
    sac_agent.initialize()
    return sac_agent


def _check_numbers(args):
    checks.trainer_arguments(
        args,
        AGENTS,
        model_learning.INVERSES,
        learning_rates=("actor_lr", "critic_lr", "alpha_lr", "model_lr"),
    )
    checks.boolean("model_grad_through_actor", args["model_grad_through_actor"])
    checks.boolean("rescale_actions", args["rescale_actions"])
    checks.boolean("model_shared_trunk", args["model_shared_trunk"])


@dataclasses.dataclass(frozen=True, kw_only=True)
class SacConfig(config.RunConfig):
    """Settings of an OMD/MLE-SAC run (`bin/train_sac.py`'s flags).

    The defaults are the reference code's SAC settings for MuJoCo: Adam
    3e-4 everywhere, τ 0.005, actor and critics 2 × 256, batch 256, 10 000
    random steps, initial temperature 1 (`SacAgent`'s log α = 0).

    Attributes (beyond `config.RunConfig`'s):
      env: gymnasium id of an env with Box observations and Box actions.
      agent: 'omd' | 'mle', how the model is trained.
      model_hidden_dim: hidden width of the model's MLPs (paper: 64).
      model_shared_trunk: one model MLP with outputs [s', r], as the
        paper's SAC-based reference code has it, instead of two.
      actor_lr / critic_lr / alpha_lr: Adam learning rates.
      model_grad_through_actor: whether the model-based target's next
        action passes the hypergradient to the model through the actor;
        False samples it at stop_gradient(s'_θ), as the paper's reference
        code does (see `OmdSacAgent`).
      greedy_eval: evaluate and export the actor's mode (deterministic, as
        SAC evaluates) instead of sampling it.
      rescale_actions: the agent acts in [-1, 1] (gymnasium's
        `RescaleAction`), as the paper's reference code does, so that SAC's
        target entropy −dim(A)/2 (`SacAgent`'s default and the reference's)
        is measured on that scale; the exported policy then also outputs
        actions in [-1, 1], which the env's RescaleAction maps to
        low + (a + 1)·(high − low)/2.  False: the env's own units.
    """

    env: str = config.setting("Gymnasium id (continuous actions).", "HalfCheetah-v5")
    model_hidden_dim: int = config.defaulted("model_hidden_dim", 64)
    model_shared_trunk: bool = config.setting(
        "One model MLP with outputs [s', r] (the reference code's) instead of a "
        "dynamics and a reward MLP.",
        False,
    )
    num_env_steps: int = config.defaulted("num_env_steps", 100_000)
    init_steps: int = config.defaulted("init_steps", 10_000)
    actor_lr: float = config.setting("Adam learning rate of the actor.", 3e-4)
    critic_lr: float = config.setting("Adam learning rate of the critics.", 3e-4)
    alpha_lr: float = config.setting("Adam learning rate of log α.", 3e-4)
    model_lr: float = config.defaulted("model_lr", 3e-4)
    tau: float = config.setting("Polyak coefficient of the target critics.", 0.005)
    inner_steps: int = config.setting("K: SAC steps per model step.", 1)
    model_grad_through_actor: bool = config.setting(
        "Model gradient also through a' = π(s'_θ); --nomodel_grad_through_actor "
        "samples a' at stop_gradient(s'_θ) (the reference code).",
        True,
    )
    hidden_dim: int = config.setting("Hidden width of actor and critics.", 256)
    eval_interval: int = config.defaulted("eval_interval", 5000)
    greedy_eval: bool = config.setting("Evaluate/export the actor's mode.", True)
    replay_capacity: int = config.defaulted("replay_capacity", 1_000_000)
    rescale_actions: bool = config.setting(
        "Act in [-1, 1] (gymnasium RescaleAction; also the exported policy's "
        "units); --norescale_actions: the env's own units.",
        True,
    )


def make_trainer(root_dir, run_config=None, **changes):
    """A `loop.Trainer` of an OMD/MLE-SAC agent, restored from ``root_dir``.

    The run's settings are ``run_config`` (default `SacConfig()`) with the
    keyword ``changes`` to its fields.  All settings are checked, and the
    environment is made, before anything is written under ``root_dir``; a
    bad one raises `checks.ConfigError` naming its flag.  Seeds Python,
    NumPy and TensorFlow with ``seed``, the envs as
    `environments.make_envs`; see `loop.Trainer` for the outputs.
    """
    run_config = dataclasses.replace(run_config or SacConfig(), **changes)
    args = {"root_dir": root_dir, **dataclasses.asdict(run_config)}
    _check_numbers(args)
    return loop.trainer_for(
        args,
        make_agent,
        discrete=False,
        eval_policy_fn=(
            (lambda agent: greedy_policy.GreedyPolicy(agent.policy))
            if run_config.greedy_eval
            else None
        ),
    )


def train_eval(root_dir, run_config=None, **changes):
    """Trains an OMD/MLE-SAC agent; returns the final mean eval return (float).

    Settings as for `make_trainer`; re-running with the same ``root_dir``
    resumes training.
    """
    return loop.run_and_close(make_trainer(root_dir, run_config, **changes))
