"""The model step shared by the OMD agents: OMD, MLE or VEP.

Every agent of this package trains its value function only on a learned
model's predictions; the agents differ in how the value function is trained,
the model step is the same and lives here.  `ModelLearning.train_model`
takes one batch and

* 'omd': applies dL_true/dθ through the implicit function theorem
  (eq. 13 of the paper), where L_true is the real-data TD loss of the value
  variables w and the inner problem is the model-based TD loss L(θ, w);
* 'mle': minimises ‖f_θ(s, a) − s'‖² + (r_θ(s, a) − r)² (eq. 1);
* 'vep': minimises Σ_k (V_k(s') − V_k(f_θ(s, a)))² + (r_θ(s, a) − r)² over
  fixed random value networks V_k (eq. 14, the value-equivalence baseline).
"""

import collections
from typing import Callable, NamedTuple, Optional, Sequence

import tensorflow as tf

from omd_tf import implicit
from omd_tf.implicit import tree

MODEL_LOSSES = ("omd", "mle", "vep")
INVERSES = ("identity", "cg", "normal_cg")
# Linear-solve settings of the 'cg' / 'normal_cg' inverses when none are
# given: damping keeps the solve well posed where the TD-loss Hessian is
# singular (paper appendix E).
DEFAULT_INVERSE_OPTIONS = dict(ridge=1e-3, max_iter=10)
_MODEL_FIELDS = (
    "model_loss",
    "model_next_obs_mse",
    "model_reward_mse",
    "model_reward_bias",
    "model_grad_norm",
)


def namedtuple_with_model_fields(name, fields):
    """A namedtuple type with ``fields`` followed by the model diagnostics."""
    return collections.namedtuple(name, tuple(fields) + _MODEL_FIELDS)


ModelInfo = namedtuple_with_model_fields("ModelInfo", ())


class Batch(NamedTuple):
    """One batch of real transitions, flattened to [B, ...] tensors.

    ``valid`` is 0.0 for boundary pairs (a LAST step followed by the next
    episode's FIRST step), which carry no transition, else 1.0.
    """

    observations: tf.Tensor
    actions: tf.Tensor
    rewards: tf.Tensor
    next_observations: tf.Tensor
    discounts: tf.Tensor
    valid: tf.Tensor

    @classmethod
    def from_transition(cls, transition):
        """From a `Transition` of [B, ...] tensors (``AsTransition`` output)."""
        time_steps, policy_steps, next_time_steps = transition
        return cls(
            observations=time_steps.observation,
            actions=policy_steps.action,
            rewards=next_time_steps.reward,
            next_observations=next_time_steps.observation,
            discounts=next_time_steps.discount,
            valid=tf.cast(~time_steps.is_last(), tf.float32),
        )


def squared_errors(batch, next_observations, rewards):
    """(‖next_observations − s'‖² [B], (rewards − r)² [B]) against ``batch``."""
    obs_error = tf.reduce_sum(
        tf.square(next_observations - batch.next_observations), axis=-1
    )
    return obs_error, tf.square(rewards - batch.rewards)


def masked_mean(values, valid):
    """Mean of ``values`` [..., B] over entries with ``valid`` [..., B] = 1.

    Returns a scalar for [B] inputs and one mean per member, [N], for a
    population's [N, B] (see `OmdSoftQAgent`'s ``num_members``).
    """
    return tf.math.divide_no_nan(
        tf.reduce_sum(values * valid, axis=-1), tf.reduce_sum(valid, axis=-1)
    )


def member_sum(losses):
    """The loss to differentiate: the sum over members of [N] per-member losses.

    A scalar loss (one agent) is returned as it is; a population's members
    then get exactly their own gradients.
    """
    return tf.reduce_sum(losses)


class ModelLearning(tf.Module):
    """Holds the model, its optimiser and the rule for its gradient.

    A `tf.Module`, so an agent that owns one checkpoints the model and its
    optimiser state with it.

    Args:
      model_network: `tf_agents.networks.Network` mapping (observations,
        actions) to ((next_observations [B, ...], rewards [B]), state).
      model_optimizer: optimiser for the model's trainable variables.
      model_loss: one of ``allowed_losses``.
      allowed_losses: the losses the calling agent supports.
      inner_steps: K, value-function steps per model step (positive int).
      inverse: 'identity' | 'cg' | 'normal_cg', for 'omd'.
      inverse_options: dict of ridge, max_iter, tol, for 'cg'/'normal_cg';
        default `DEFAULT_INVERSE_OPTIONS`.
      value_networks: the fixed random value networks V_k (obs -> [B]), for
        'vep'.
      likelihood_weight: λ ≥ 0; 'omd' minimises L_true + λ·(the MLE loss),
        a likelihood term beyond the paper that anchors the model's
        predictions to the data (0, the default, is the paper's pure OMD).
      hypergradient_clip_norm: c ≥ 0, 'omd' only; beyond the paper.  A
        hypergradient h whose L2 norm exceeds c is scaled to norm c before
        the likelihood term's gradient is added (each member's on its own).
        The hypergradient's norm grows with the critics' values (1e6-1e8
        measured on CartPole and InvertedPendulum) while the MLE gradient's
        is 0.01-1000, so without the clip λ has almost no say in the sum.  0 (the default) never clips.
      num_members: N for a population whose variables and batches carry a
        leading member axis ([N, B, ...] batches); every loss is then one
        per member ([N]), the gradients are those of their sum and the 'cg' /
        'normal_cg' inverses solve each member's system separately.  None
        for one agent.
    """

    def __init__(
        self,
        model_network,
        model_optimizer,
        model_loss: str = "omd",
        allowed_losses: Sequence[str] = MODEL_LOSSES,
        inner_steps: int = 1,
        inverse: str = "identity",
        inverse_options: Optional[dict] = None,
        value_networks: Sequence[Callable] = (),
        likelihood_weight: float = 0.0,
        hypergradient_clip_norm: float = 0.0,
        num_members: Optional[int] = None,
    ):
        if model_loss not in allowed_losses:
            raise ValueError(
                f"`model_loss` must be one of {tuple(allowed_losses)}, "
                f"got {model_loss!r}."
            )
        if isinstance(inner_steps, bool) or not isinstance(inner_steps, int):
            raise ValueError(
                f"`inner_steps` must be a positive int, got {inner_steps!r}."
            )
        if inner_steps <= 0:
            raise ValueError(
                f"`inner_steps` must be a positive int, got {inner_steps!r}."
            )
        if inverse not in INVERSES:
            raise ValueError(f"`inverse` must be one of {INVERSES}, got {inverse!r}.")
        if not likelihood_weight >= 0:
            raise ValueError(
                f"`likelihood_weight` must be >= 0, got {likelihood_weight!r}."
            )
        if likelihood_weight and model_loss != "omd":
            raise ValueError("`likelihood_weight` applies to model_loss='omd' only.")
        if not hypergradient_clip_norm >= 0:
            raise ValueError(
                "`hypergradient_clip_norm` must be >= 0, got "
                f"{hypergradient_clip_norm!r}."
            )
        if hypergradient_clip_norm and model_loss != "omd":
            raise ValueError(
                "`hypergradient_clip_norm` applies to model_loss='omd' only."
            )
        if model_loss == "vep" and not value_networks:
            raise ValueError("`value_networks` must be non-empty for model_loss='vep'.")
        super().__init__(name="model_learning")
        self.model_network = model_network
        self.model_optimizer = model_optimizer
        self.model_loss = model_loss
        self.inner_steps = inner_steps
        self.num_members = num_members
        self.inverse = inverse
        if inverse_options is None and inverse != "identity":
            inverse_options = DEFAULT_INVERSE_OPTIONS
        self.inverse_options = self._solve_options(inverse, inverse_options or {})
        self.value_networks = tuple(value_networks)
        self.likelihood_weight = float(likelihood_weight)
        self.hypergradient_clip_norm = float(hypergradient_clip_norm)

    def predict(self, batch: Batch, training=False):
        """(next_observations [B, ...], rewards [B]) predicted by the model."""
        (next_obs, rewards), _ = self.model_network(
            (batch.observations, batch.actions), training=training
        )
        return next_obs, rewards

    def errors(self, batch: Batch, training=False):
        """Per-example squared errors of the model: (next obs [B], reward [B])."""
        return squared_errors(batch, *self.predict(batch, training=training))

    def mle_loss(self, batch: Batch):
        """‖f_θ(s, a) − s'‖² + (r_θ(s, a) − r)², averaged over valid pairs.

        A scalar for one agent, one loss per member ([N]) in a population.
        """
        obs_error, reward_error = self.errors(batch, training=True)
        return masked_mean(obs_error + reward_error, batch.valid)

    def vep_loss(self, batch: Batch):
        """Σ_k (V_k(s') − V_k(f_θ(s, a)))² + (r_θ − r)², averaged over pairs.

        A scalar for one agent, one loss per member ([N]) in a population.
        """
        next_obs, rewards = self.predict(batch, training=True)
        value_error = tf.add_n(
            [
                tf.square(v(batch.next_observations) - v(next_obs))
                for v in self.value_networks
            ]
        )
        reward_error = tf.square(rewards - batch.rewards)
        return masked_mean(value_error + reward_error, batch.valid)

    def model_gradients(self, true_loss_fn, inner_loss_fn, inner_variables, batch):
        """(loss, gradients w.r.t. the model's trainable variables).

        For 'omd' the loss is L_true(w) and the gradient is its implicit
        hypergradient (eq. 13, or with the inverse Hessian of
        ``inner_loss_fn`` applied by CG), clipped to
        ``hypergradient_clip_norm`` if set, plus ``likelihood_weight`` times
        the MLE loss and its gradient; otherwise the MLE/VEP loss and its
        ordinary gradient.  ``true_loss_fn`` and the returned loss are one
        loss per member ([N]) in a population, a scalar otherwise; the
        gradients are those of their sum.
        """
        if self.model_loss == "omd":
            loss, gradients = self.hypergradient(
                true_loss_fn, inner_loss_fn, inner_variables
            )
            if self.hypergradient_clip_norm:
                gradients = self._clipped(gradients)
            if self.likelihood_weight:
                mle_loss, mle_gradients = self._loss_and_gradients(
                    lambda: self.mle_loss(batch)
                )
                loss += self.likelihood_weight * mle_loss
                gradients = tree.add_scaled(
                    gradients, self.likelihood_weight, mle_gradients
                )
            return loss, gradients
        if self.model_loss == "mle":
            return self._loss_and_gradients(lambda: self.mle_loss(batch))
        return self._loss_and_gradients(lambda: self.vep_loss(batch))

    def hypergradient(
        self, true_loss_fn, inner_loss_fn, inner_variables, inverse=None, **options
    ):
        """(L_true, its implicit gradient w.r.t. the model's variables), unclipped.

        Eq. (13) with this object's inverse and options, or with ``inverse``
        and ``options`` (e.g. 'cg', max_iter=50) where given; neither the
        clip nor the likelihood term.  Loss and gradients as in
        `model_gradients`.
        """
        if inverse is None:
            inverse, options = self.inverse, self.inverse_options
        else:
            options = self._solve_options(inverse, options)
        return self._loss_and_gradients(
            lambda: implicit.implicit_call(
                true_loss_fn,
                inner_variables,
                self.model_network.trainable_variables,
                inner_loss_fn=inner_loss_fn,
                solve=inverse,
                **options,
            )
        )

    def _solve_options(self, inverse, options):
        """``options`` for ``inverse``: in a population, CG per member (batch_dims)."""
        if self.num_members is not None and inverse != "identity":
            return {**options, "batch_dims": 1}
        return dict(options)

    def _loss_and_gradients(self, loss_fn):
        """(loss_fn(), the gradients of its member sum w.r.t. the model)."""
        model_variables = self.model_network.trainable_variables
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(model_variables)
            loss = loss_fn()
            total = member_sum(loss)
        return loss, tape.gradient(
            total, model_variables, unconnected_gradients=tf.UnconnectedGradients.ZERO
        )

    def _clipped(self, gradients):
        """``gradients`` scaled to norm ``hypergradient_clip_norm`` where longer.

        One norm per member in a population (leading member axis).
        """
        batch_dims = 0 if self.num_members is None else 1
        factor = self.hypergradient_clip_norm / tf.maximum(
            tree.norm(gradients, batch_dims), self.hypergradient_clip_norm
        )
        return tree.scale(factor, gradients, batch_dims)

    def apply(self, batch, loss, gradients, predictions):
        """Applies the model ``gradients``; returns `ModelInfo`.

        ``loss`` is `model_gradients`'s; ``predictions`` are the model's
        (next observations, rewards) on ``batch`` before this step, which
        the agent has already computed.  The diagnostics are their errors,
        the mean of r_θ − r (``model_reward_bias``) and the L2 norm of
        ``gradients`` (``model_grad_norm``: OMD's hypergradient, clipped if
        so set, plus the likelihood term's if any).  Every field is a scalar
        for one agent and member k's own value at [k] ([N]) in a population.
        """
        # A population's members are checked one by one by the training
        # loop, which lets the others go on (omd_tf.training.member_failures).
        if self.num_members is None:
            tf.debugging.check_numerics(loss, "model loss is inf or nan")
        self.model_optimizer.apply_gradients(
            zip(gradients, self.model_network.trainable_variables)
        )
        return ModelInfo(
            model_loss=loss,
            **self.prediction_errors(batch, predictions),
            model_grad_norm=tree.norm(gradients, 0 if self.num_members is None else 1),
        )

    def prediction_errors(self, batch, predictions):
        """{model_next_obs_mse, model_reward_mse, model_reward_bias} of `ModelInfo`.

        ``predictions``: the model's (next observations, rewards) on ``batch``.
        """
        obs_error, reward_error = squared_errors(batch, *predictions)
        obs_dims = batch.next_observations.shape[-1]
        return dict(
            model_next_obs_mse=masked_mean(obs_error, batch.valid) / obs_dims,
            model_reward_mse=masked_mean(reward_error, batch.valid),
            model_reward_bias=masked_mean(predictions[1] - batch.rewards, batch.valid),
        )
