"""`train_eval`: a soft-Q agent (OMD / MLE / VEP) on a discrete-action gymnasium env."""

import dataclasses
from typing import Optional

import tensorflow as tf

from agents import OmdSoftQAgent
from agents import model_learning
from agents import omd_soft_q_agent
from omd_tf import networks
from omd_tf.training import checks
from omd_tf.training import config
from omd_tf.training import loop
from omd_tf.training import model_health
from omd_tf.training import protocol as protocols

AGENTS = ("omd", "mle", "vep")


def make_agent(
    agent,
    time_step_spec,
    action_spec,
    *,
    model_hidden_dim,
    model_activation,
    hidden_dim,
    initializer,
    q_lr,
    q_lr_decay_steps,
    q_lr_final,
    reset_q_optimizer,
    update_order,
    adam_epsilon,
    model_lr,
    tau,
    alpha,
    gamma,
    epsilon,
    td_target_bound,
    double_q,
    inner_steps,
    inverse,
    likelihood_weight,
    hypergradient_clip_norm,
    greedy_eval,
    jit_compile,
    num_members,
):
    """An initialised `OmdSoftQAgent` with the paper's networks and Adam.

    Two Q networks (one without ``double_q``) with two ReLU layers of
    ``hidden_dim`` units; the model's
    dynamics and reward MLPs have two hidden layers of ``model_hidden_dim``
    units with ``model_activation``; all kernels, VEP's value networks
    included, start from ``initializer``.  With ``q_lr_decay_steps`` > 0
    the Q learning rate falls linearly from ``q_lr`` to ``q_lr_final`` over
    that many train steps and stays there.  ``num_members`` N makes a
    population of N agents (every network with a member axis), None one.
    """
    observation_spec = time_step_spec.observation
    soft_q_agent = OmdSoftQAgent(
        time_step_spec,
        action_spec,
        q_network=networks.q_network(
            observation_spec,
            action_spec,
            hidden_dim,
            initializer=initializer,
            num_members=num_members,
        ),
        model_network=networks.ModelNetwork(
            observation_spec,
            action_spec,
            model_hidden_dim,
            activation=model_activation,
            initializer=initializer,
            num_members=num_members,
        ),
        q_optimizer=tf.keras.optimizers.Adam(q_lr, epsilon=adam_epsilon),
        q_lr_schedule=(
            tf.keras.optimizers.schedules.PolynomialDecay(
                q_lr, q_lr_decay_steps, end_learning_rate=q_lr_final
            )
            if q_lr_decay_steps
            else None
        ),
        model_optimizer=tf.keras.optimizers.Adam(model_lr, epsilon=adam_epsilon),
        model_loss=agent,
        value_networks=(
            networks.vep_value_networks(
                observation_spec, initializer, num_members=num_members
            )
            if agent == "vep"
            else None
        ),
        double_q=double_q,
        inner_steps=inner_steps,
        reset_q_optimizer=reset_q_optimizer,
        update_order=update_order,
        inverse=inverse,
        likelihood_weight=likelihood_weight,
        hypergradient_clip_norm=hypergradient_clip_norm,
        alpha=alpha,
        gamma=gamma,
        epsilon=epsilon,
        target_update_tau=tau,
        td_target_bound=td_target_bound,
        greedy_eval=greedy_eval,
        jit_compile=jit_compile,
        num_members=num_members,
        train_step_counter=tf.Variable(0, dtype=tf.int64, name="train_step"),
    )
    soft_q_agent.initialize()
    return soft_q_agent


def _check(args):
    checks.trainer_arguments(
        args,
        AGENTS,
        model_learning.INVERSES,
        learning_rates=("q_lr", "model_lr", "alpha"),
    )
    checks.in_interval("epsilon", args["epsilon"], 0, 1)
    checks.in_interval("td_target_bound", args["td_target_bound"], 0, float("inf"))
    checks.non_negative_int("q_lr_decay_steps", args["q_lr_decay_steps"])
    checks.in_interval("q_lr_final", args["q_lr_final"], 0, float("inf"))
    checks.positive_float("adam_epsilon", args["adam_epsilon"])
    if args["q_lr_final"] and not args["q_lr_decay_steps"]:
        raise checks.ConfigError(
            "--q_lr_final applies with --q_lr_decay_steps > 0 only."
        )
    checks.boolean("reset_q_optimizer", args["reset_q_optimizer"])
    checks.boolean("double_q", args["double_q"])
    checks.one_of("initializer", args["initializer"], networks.INITIALIZERS)
    checks.positive_int("num_seeds", args["num_seeds"])
    checks.one_of("update_order", args["update_order"], omd_soft_q_agent.UPDATE_ORDERS)
    if args["agent"] == "omd" and args["update_order"] != "q_first":
        raise checks.ConfigError("--update_order must be q_first for --agent=omd.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SoftQConfig(config.RunConfig):
    """Settings of a soft-Q run (`bin/train_eval.py`'s flags); defaults: the
    paper's CartPole settings (appendix D).

    Attributes (beyond `config.RunConfig`'s):
      env: gymnasium id of an env with Box observations, Discrete actions.
      agent: 'omd' | 'mle' | 'vep', how the model is trained.
      protocol: 'default' (this project's choices) | 'reference' (the
        paper's public code; see `protocol`): the preset of ``q_lr``,
        ``reset_q_optimizer``, ``initializer``, ``update_order`` and
        ``adam_epsilon``.  Each
        of them left None takes the preset's value; one set explicitly
        overrides the preset.  The run records the resolved values in
        flags.json.
      q_lr: Adam learning rate of the Q networks.
      q_lr_decay_steps: beyond the paper: train steps over which the Q
        learning rate falls linearly from ``q_lr`` to ``q_lr_final`` (then
        stays there); 0 keeps it at ``q_lr``.
      q_lr_final: the Q learning rate after ``q_lr_decay_steps``.
      reset_q_optimizer: zero the Q optimiser's state before every update
        (the reference code's OMD agent; see `agents.OmdSoftQAgent`).
      initializer: 'glorot' | 'orthogonal' kernels of every network (see
        `omd_tf.networks.mlp.kernel_initializers`).
      update_order: 'q_first' | 'model_first' (MLE / VEP: model step, then
        the Q step on a second batch, with the updated model).
      adam_epsilon: ε > 0 of the Q and the model Adam optimisers.
      alpha: soft-max temperature.
      epsilon: probability of a random collect action.
      td_target_bound: B ≥ 0; every TD target is clipped to [−B, B]
        (beyond the paper; 0 never clips), see `agents.OmdSoftQAgent`.
      double_q: two Q networks and the minimum of their targets (the
        paper's agent); False: one Q network (Figure 7's ablation).
      num_seeds: N; above 1 trains a population of N agents, seeds seed …
        seed + N − 1, in one compiled graph (see `loop.Trainer` for its
        outputs: one folder per seed and the mean ± standard error).
      greedy_eval: evaluate and export argmax Q instead of softmax(Q/α).
      jit_compile: XLA-compile the agent's update; None: a single agent
        yes, a population no (XLA's CPU kernels for the members' batched
        matrix products are slower than TensorFlow's, see
        bench/population_bench.py).
    """

    env: str = config.setting("Gymnasium id (discrete actions).", "CartPole-v1")
    agent: str = config.setting("How the model learns: omd | mle | vep.", "omd")
    protocol: str = config.setting(
        "default | reference (the paper's code): preset of "
        + ", ".join(f"--{name}" for name in protocols.OPTIONS)
        + "; a flag passed explicitly overrides it.",
        "default",
    )
    model_hidden_dim: int = config.defaulted("model_hidden_dim", 32)
    num_env_steps: int = config.defaulted("num_env_steps", 200_000)
    init_steps: int = config.defaulted("init_steps", 1000)
    q_lr: Optional[float] = config.setting(
        protocols.help_text("q_lr", "Adam learning rate of the Q networks."), None
    )
    q_lr_decay_steps: int = config.setting(
        "Beyond the paper: train steps over which the Q lr falls linearly from "
        "--q_lr to --q_lr_final (0: constant --q_lr).",
        0,
    )
    q_lr_final: float = config.setting(
        "Q lr after --q_lr_decay_steps train steps.", 0.0
    )
    reset_q_optimizer: Optional[bool] = config.setting(
        protocols.help_text(
            "reset_q_optimizer", "Zero the Q Adam state before every update."
        ),
        None,
    )
    initializer: Optional[str] = config.setting(
        protocols.help_text(
            "initializer", "Kernel init of all networks: glorot | orthogonal."
        ),
        None,
    )
    update_order: Optional[str] = config.setting(
        protocols.help_text(
            "update_order",
            "q_first | model_first (MLE/VEP: model step, then Q on a fresh batch).",
        ),
        None,
    )
    adam_epsilon: Optional[float] = config.setting(
        protocols.help_text(
            "adam_epsilon", "ε of the Q and model Adam optimisers (Keras' 1e-7, "
            "optax's 1e-8)."
        ),
        None,
    )
    model_lr: float = config.defaulted("model_lr", 1e-3)
    tau: float = config.defaulted("tau", 0.01)
    alpha: float = config.setting("Soft-max temperature.", 0.01)
    epsilon: float = config.setting("Probability of a random collect action.", 0.1)
    td_target_bound: float = config.setting(
        "Clip every TD target to [-B, B], beyond the paper (0: never; "
        "CartPole's soft values lie in [0, 100.7]).",
        0.0,
    )
    double_q: bool = config.setting(
        "Two Q networks, the TD target from their minimum (off: one Q network, "
        "the paper's Figure 7 ablation).",
        True,
    )
    inner_steps: int = config.setting("K: inner Q steps per model step.", 1)
    hidden_dim: int = config.setting("Hidden width of the Q networks.", 32)
    num_seeds: int = config.setting(
        "N > 1: a population of N agents (seeds seed … seed+N−1) trained in one "
        "graph; one output folder per seed.",
        1,
    )
    eval_interval: int = config.defaulted("eval_interval", 1000)
    greedy_eval: bool = config.setting("Evaluate/export argmax Q.", False)
    replay_capacity: int = config.defaulted("replay_capacity", 200_000)
    jit_compile: Optional[bool] = config.setting(
        "XLA-compile the agent update (unset: yes for one seed, no for "
        "--num_seeds > 1).",
        None,
    )


def make_trainer(root_dir, run_config=None, **changes):
    """A `loop.Trainer` of a soft-Q agent, restored from ``root_dir`` if possible.

    The run's settings are ``run_config`` (default `SoftQConfig()`) with the
    keyword ``changes`` to its fields, e.g. ``make_trainer(root_dir,
    agent="mle")``.  All settings are checked, and the environment is made,
    before anything is written under ``root_dir``; a bad one raises
    `checks.ConfigError` naming its flag.  A trainer made on the
    ``root_dir`` of an earlier run resumes from its last checkpoint (see
    `loop.Trainer` for the outputs).  Seeds Python, NumPy and TensorFlow
    with ``seed``, the envs as `environments.make_envs`.  The run also
    records whether the model's MLPs are alive at its start and end
    (`model_health`), and the resolved settings (protocol applied) in
    flags.json.
    """
    args = resolved_args(root_dir, run_config, **changes)
    _check(args)
    return loop.trainer_for(
        args,
        make_agent,
        discrete=True,
        callbacks=[model_health.AliveRecorder()],
        member_policy_fn=member_policy,
    )


def resolved_args(root_dir, run_config=None, **changes):
    """The settings `make_trainer` runs (and records in flags.json) for these
    arguments: {flag: value}, root_dir included, the protocol's options and
    jit_compile filled in; not checked.
    """
    run_config = dataclasses.replace(run_config or SoftQConfig(), **changes)
    args = protocols.resolve({"root_dir": root_dir, **dataclasses.asdict(run_config)})
    if args["jit_compile"] is None:
        args["jit_compile"] = args["num_seeds"] == 1
    return args


def member_policy(population, single, member):
    """``single``'s eval policy acting with member ``member``'s Q weights.

    Args:
      population: an `OmdSoftQAgent` with ``num_members``.
      single: an `OmdSoftQAgent` of the same configuration without a member
        axis; its online Q networks are overwritten.
      member: index of the member.
    """
    for source, target in zip(population.q_networks, single.q_networks):
        networks.copy_member(source, member, target)
    return single.policy


def train_eval(root_dir, run_config=None, **changes):
    """Trains a soft-Q agent; returns the final mean eval return (float).

    Settings as for `make_trainer`; re-running with the same ``root_dir``
    resumes training.
    """
    return loop.run_and_close(make_trainer(root_dir, run_config, **changes))
