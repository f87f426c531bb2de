"""Presets of `soft_q.SoftQConfig`: this project's choices or the reference code's.

``--protocol`` sets the options of `OPTIONS` that a run leaves unset (None);
an option passed explicitly wins over the preset.  `resolve` fills them in
before the arguments are checked and recorded, so ``flags.json`` holds the
values a run used, and a resume is checked against those values.

* 'default': this project's choices: Q lr 1e-3, warm Adam state, Keras'
  glorot-uniform kernels (Q output U(±0.03)), Q steps before the model step
  on one batch, Keras' Adam ε 1e-7.
* 'reference': the paper's public JAX code (``evgenii-nikishin/omd``,
  ``cartpole/``): Q lr 3e-4; the OMD agent's Q optimiser reset before every
  update (an oddity of that code, not the paper's method: every inner step
  becomes ≈ lr·sign(g), see `agents.OmdSoftQAgent`), MLE / VEP keep their
  Adam state; orthogonal kernels, gain √2 hidden and 0.01 output; MLE / VEP
  step the model first and then Q on a fresh batch with the updated model;
  optax's Adam ε 1e-8 (Q and model).  The ε matters where gradients are as
  small as it: VEP's dynamics MLP, which learns only from value differences
  of 0.01-scaled random value networks, had an Adam √v̂ of 1e-9-1e-7 per
  weight late in a run (Keras' 1e-7 then damps its steps 2-100×).

Reference choices that are not options: float64 (the replay data, specs,
networks and XLA update are float32 throughout; float32 vs float64 changes
last bits, and last-bit differences change a run about as much as another
seed does, see the README's demo); sampling the batch without replacement
(`TFUniformReplayBuffer` samples with replacement: about 12% of a batch of
256 repeats a transition at the first update, from 1000 transitions, 1%
from 10 000, almost none later); evaluation also at step 0, before training
(one more point on the curve, nothing learned changes).  Batch 256, τ 0.01,
model lr 1e-3, ε 0.1, 1000 random steps and a replay as large as the 200k
budget are the defaults of both protocols.
"""

from omd_tf.training import checks

PROTOCOLS = ("default", "reference")
OPTIONS = ("q_lr", "reset_q_optimizer", "initializer", "update_order", "adam_epsilon")


def values(protocol, agent):
    """{option: value} that ``protocol`` gives ``agent`` ('omd' | 'mle' | 'vep')."""
    if protocol == "default":
        return dict(
            q_lr=1e-3,
            reset_q_optimizer=False,
            initializer="glorot",
            update_order="q_first",
            adam_epsilon=1e-7,
        )
    return dict(
        q_lr=3e-4,
        reset_q_optimizer=agent == "omd",
        initializer="orthogonal",
        update_order="q_first" if agent == "omd" else "model_first",
        adam_epsilon=1e-8,
    )


def resolve(args):
    """``args`` (a dict with protocol, agent and `OPTIONS`), None options filled in.

    Raises:
      checks.ConfigError: naming --protocol if it is not one of `PROTOCOLS`.
    """
    checks.one_of("protocol", args["protocol"], PROTOCOLS)
    preset = values(args["protocol"], args["agent"])
    return {**args, **{name: preset[name] for name in OPTIONS if args[name] is None}}


def help_text(option, text):
    """``text``, then each protocol's ``option`` (OMD's; MLE / VEP's if different)."""
    by_protocol = []
    for protocol in PROTOCOLS:
        omd, mle = values(protocol, "omd")[option], values(protocol, "mle")[option]
        by_protocol.append(
            f"{protocol} {omd}" if omd == mle else f"{protocol} {omd} (MLE/VEP {mle})"
        )
    return f"{text} Unset: the --protocol's ({', '.join(by_protocol)})."
