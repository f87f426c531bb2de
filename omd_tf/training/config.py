"""Run settings: one frozen dataclass per training binary (`RunConfig` below it).

A config's fields are at once the binary's flags (`cli.define_flags`: same
name, type, default and help), the settings a run records in its flags.json
(`dataclasses.asdict`) and the keywords a sweep's grid point changes
(`dataclasses.replace`).  A field's help is its ``metadata["help"]``.
"""

import dataclasses
import typing


def setting(help_text, default=dataclasses.MISSING):
    """A config field with its flag's help; no default: each subclass gives one."""
    return dataclasses.field(default=default, metadata={"help": help_text})


def help_text(config_class, name):
    """The help of field ``name`` of ``config_class``."""
    return config_class.__dataclass_fields__[name].metadata["help"]


def defaulted(name, default):
    """`RunConfig`'s field ``name`` (its help) with the default ``default``."""
    return setting(help_text(RunConfig, name), default)


def field_type(config_class, name):
    """The type of field ``name``: T for an ``Optional[T]`` field (default None)."""
    annotation = typing.get_type_hints(config_class)[name]
    arguments = set(typing.get_args(annotation)) - {type(None)}
    return arguments.pop() if arguments else annotation


def defaults(config_class):
    """{field: default} of ``config_class``."""
    return dataclasses.asdict(config_class())


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunConfig:
    """The settings every training binary has.

    The fields without a default here get theirs from each binary's config
    (`soft_q.SoftQConfig`, `sac.SacConfig`).

    Attributes:
      env: gymnasium id.
      agent: how the model is trained: 'omd' | 'mle' (| 'vep' for soft-Q).
      model_hidden_dim: hidden width of the model's MLPs.
      model_activation: hidden activation of the model's MLPs: 'relu' (the
        paper's) or 'swish' | 'elu' | 'tanh', which cannot die at width 1.
      num_distractors: i.i.d. N(0, 1) observation dims appended.
      num_env_steps: total env steps (initial random steps included).
      init_steps: uniformly random env steps before training.
      batch_size: transitions per train step.
      model_lr: Adam learning rate of the model.
      tau: Polyak coefficient of the target networks.
      gamma: discount.
      inner_steps: K, inner (Q or SAC) steps per model step.
      inverse: 'identity' | 'cg' | 'normal_cg' for the OMD gradient.
      likelihood_weight: λ ≥ 0 of an MLE term added to OMD's model loss
        (beyond the paper; 0 is pure OMD; 'omd' only).
      hypergradient_clip_norm: c ≥ 0; OMD's hypergradient is scaled to
        length c where longer, before the MLE term is added (beyond the
        paper; 0 never clips; 'omd' only).
      hidden_dim: hidden width of the value (and actor) networks.
      seed: random seed.
      eval_interval: env steps between evaluations.
      num_eval_episodes: episodes per evaluation.
      greedy_eval: evaluate and export the greedy policy.
      replay_capacity: transitions kept in the replay buffer.
      checkpoint_interval: env steps between checkpoints.
    """

    env: str = setting("Gymnasium id.")
    agent: str = setting("How the model learns: omd | mle.", "omd")
    model_hidden_dim: int = setting("Hidden width of the model.")
    model_activation: str = setting(
        "Model hidden activation: relu | swish | elu | tanh.", "relu"
    )
    num_distractors: int = setting("N(0, 1) observation dims added.", 0)
    num_env_steps: int = setting("Env steps, random ones included.")
    init_steps: int = setting("Uniformly random env steps first.")
    batch_size: int = setting("Transitions per train step.", 256)
    model_lr: float = setting("Adam learning rate of the model.")
    tau: float = setting("Polyak coefficient of the target networks.")
    gamma: float = setting("Discount.", 0.99)
    inner_steps: int = setting("K: inner steps per model step.", 1)
    inverse: str = setting("OMD inverse: identity | cg | normal_cg.", "identity")
    likelihood_weight: float = setting(
        "λ of an MLE term added to OMD's model loss (0: the paper's pure OMD).", 0.0
    )
    hypergradient_clip_norm: float = setting(
        "Scale OMD's hypergradient to this L2 norm where longer, before the "
        "likelihood term (0: never).",
        0.0,
    )
    hidden_dim: int = setting("Hidden width of the value networks.")
    seed: int = setting("Random seed.", 0)
    eval_interval: int = setting("Env steps between evaluations.")
    num_eval_episodes: int = setting("Episodes per evaluation.", 10)
    greedy_eval: bool = setting("Evaluate/export the greedy policy.")
    replay_capacity: int = setting("Transitions kept for replay.")
    checkpoint_interval: int = setting("Env steps between saves.", 10_000)
