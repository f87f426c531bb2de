"""SAC whose critic learns from a model trained by OMD or maximum likelihood.

`OmdSacAgent` is a drop-in replacement for `tf_agents.agents.SacAgent`
(paper appendix F).  Per `train(experience)` call, on one sampled batch:

1. K inner steps of SAC: the critics regress the soft target computed on the
   model's predicted next observation and reward (real termination
   discounts), then the actor and α steps of `SacAgent`, then a Polyak update
   of the target critics.
2. One model step.  'omd': the gradient of the real-data critic loss L_true(w)
   (eq. 11) w.r.t. the model θ through the implicit function theorem
   (eq. 13, `omd_tf.implicit.implicit_call`), with the model-based critic loss
   L(θ, w) (eq. 10) as the inner problem.  'mle': squared error of the
   predicted next observation and reward (MBPO without an ensemble).

`SacAgent.critic_loss` wraps its targets in `tf.stop_gradient`, which would
cut the model out of L(θ, w); the model-based loss here stops gradients only
at the target critics' weights, so r_θ and s'_θ stay differentiable.
"""

from typing import Optional

import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.agents.sac import sac_agent
from tf_agents.utils import common
from tf_agents.utils import object_identity

from agents import model_learning
from omd_tf import implicit
from omd_tf.implicit import tree

OmdSacLossInfo = model_learning.namedtuple_with_model_fields(
    "OmdSacLossInfo", sac_agent.SacLossInfo._fields + ("true_critic_loss", "mean_q")
)
OmdSacLossInfo.__doc__ = """`LossInfo.extra` of `OmdSacAgent.train`; float32 scalars.

critic_loss, actor_loss, alpha_loss: `SacAgent`'s, at the last inner step
  (the critic loss on the model's (s'_θ, r_θ), eq. 10).
true_critic_loss: L_true(w) of eq. (11), the critic loss on the real
  (s', r), after the inner steps (for 'omd' also the model objective).
mean_q: E[(Q₁ + Q₂)(s, a) / 2] on the batch, after the inner steps.
model_loss, model_next_obs_mse, model_reward_mse, model_reward_bias,
  model_grad_norm: as `OmdSoftQLossInfo`'s.
"""


class OmdSacAgent(sac_agent.SacAgent):
    """SAC with a learned deterministic model; see the module docstring."""

    def __init__(
        self,
        time_step_spec,
        action_spec,
        critic_network,
        actor_network,
        model_network,
        actor_optimizer,
        critic_optimizer,
        alpha_optimizer,
        model_optimizer,
        model_loss: str = "omd",
        inner_steps: int = 1,
        inverse: str = "identity",
        inverse_options: Optional[dict] = None,
        model_grad_through_actor: bool = True,
        likelihood_weight: float = 0.0,
        hypergradient_clip_norm: float = 0.0,
        seed: Optional[int] = None,
        name: Optional[str] = None,
        **sac_kwargs,
    ):
        """Creates the agent.

        Args:
          time_step_spec, action_spec, critic_network, actor_network,
            actor_optimizer, critic_optimizer, alpha_optimizer: as for
            `SacAgent`; continuous (float) actions only.
          model_network: a `tf_agents.networks.Network` mapping
            (observations [B, ...], actions [B, ...]) to
            ((next_observations [B, ...], rewards [B]), state).
          model_optimizer: optimizer for the model's variables.
          model_loss: 'omd' or 'mle'.
          inner_steps: K, critic/actor/α steps per model step (positive int).
          inverse: 'identity' (the paper's default), 'cg' or 'normal_cg':
            how the inverse Hessian of the inner critic loss is applied.
          inverse_options: dict of ridge, max_iter, tol for 'cg'/'normal_cg';
            default `model_learning.DEFAULT_INVERSE_OPTIONS`.
          model_grad_through_actor: whether the model-based critic target's
            next action a' ~ π(·|s'_θ) and its log π pass gradients to the
            model through the actor.  False samples them at
            stop_gradient(s'_θ), as the paper's reference code does: the
            hypergradient then reaches the model only through
            Q̄(s'_θ, a') and r_θ (a' itself still depends on the actor).
          likelihood_weight: λ ≥ 0 of an MLE term added to the OMD model
            loss (`model_learning.ModelLearning`; 0 is the paper's OMD).
          hypergradient_clip_norm: c ≥ 0, model_loss='omd' only, beyond the
            paper: a hypergradient longer than c is scaled to length c
            before the likelihood term's gradient is added (see
            `model_learning.ModelLearning`); 0 (the default) never clips.
          seed: seeds the stream of per-train-step sampling seeds (see
            `noise_seed`); None draws a non-deterministic one.
          name: agent name.
          **sac_kwargs: the remaining `SacAgent` arguments (gamma,
            target_update_tau, reward_scale_factor, target_entropy, ...).
        """
        self._model_learning = model_learning.ModelLearning(
            model_network,
            model_optimizer,
            model_loss=model_loss,
            allowed_losses=("omd", "mle"),
            inner_steps=inner_steps,
            inverse=inverse,
            inverse_options=inverse_options,
            likelihood_weight=likelihood_weight,
            hypergradient_clip_norm=hypergradient_clip_norm,
        )
        super().__init__(
            time_step_spec,
            action_spec,
            critic_network,
            actor_network,
            actor_optimizer,
            critic_optimizer,
            alpha_optimizer,
            name=name,
            **sac_kwargs,
        )
        model_network.create_variables(
            (time_step_spec.observation, action_spec), training=False
        )
        self._model_network = model_network
        self._model_grad_through_actor = model_grad_through_actor
        self._seed_stream = (
            tf.random.Generator.from_non_deterministic_state()
            if seed is None
            else tf.random.Generator.from_seed(seed)
        )

    @property
    def model_network(self):
        return self._model_network

    def noise_seed(self):
        """The next stateless seed (int32 [2]) for one train step's sampling.

        All losses of a train step sample the actor's reparameterisation
        noise with this seed, so the inner loss is one deterministic function
        of (θ, w) for the inner steps, the HVPs and the mixed product alike.
        """
        return self._seed_stream.uniform_full_int([2], dtype=tf.int32)

    def model_gradients(self, batch, seed, weights=None):
        """(loss, gradients w.r.t. the model variables) for ``batch``.

        'omd': L_true(w) and its implicit hypergradient (eq. 13), taken at the
        current critic weights; 'mle': the squared-error loss and gradient.
        """
        return self._model_learning.model_gradients(
            true_loss_fn=lambda: self.true_critic_loss(batch, seed, weights),
            inner_loss_fn=lambda: self.model_critic_loss(batch, seed, weights),
            inner_variables=self._critic_variables(),
            batch=batch,
        )

    def _critic_variables(self):
        return list(
            object_identity.ObjectIdentitySet(
                self._critic_network_1.trainable_variables
                + self._critic_network_2.trainable_variables
            )
        )

    def _sample_actions(self, observations, seed):
        """Actions [B, A] ~ π(·|s) and their log-probabilities [B].

        ``seed`` is a stateless seed (int32 [2]): every evaluation of a loss
        within one train step sees the same reparameterisation noise, so
        the inner loss is one deterministic function of (θ, w).
        """
        distribution, _ = self._actor_network(
            observations, step_type=(), network_state=(), training=False
        )
        actions = tf.nest.map_structure(lambda d: d.sample(seed=seed), distribution)
        log_pi = common.log_probability(distribution, actions, self.action_spec)
        return actions, log_pi

    def soft_targets(self, next_observations, rewards, discounts, seed):
        """r + γ·discount·(min(Q̄₁, Q̄₂)(s', a') − α log π(a'|s')), [B].

        Differentiable w.r.t. ``next_observations`` (through a' = π(s') too
        unless ``model_grad_through_actor`` is False) and ``rewards``, never
        w.r.t. the target critics' weights, which no optimiser of this agent
        updates.
        """
        actor_input = (
            next_observations
            if self._model_grad_through_actor
            else tf.stop_gradient(next_observations)
        )
        next_actions, next_log_pi = self._sample_actions(actor_input, seed)
        target_input = (next_observations, next_actions)
        q1, _ = self._target_critic_network_1(target_input, training=False)
        q2, _ = self._target_critic_network_2(target_input, training=False)
        values = tf.minimum(q1, q2) - tf.exp(self._log_alpha) * next_log_pi
        return self._reward_scale_factor * rewards + self._gamma * discounts * values

    def critic_loss_on(self, observations, actions, targets, weights=None):
        """SAC's weighted two-critic TD loss for given targets [B]; a scalar."""
        pred_input = (observations, actions)
        q1, _ = self._critic_network_1(pred_input, training=True)
        q2, _ = self._critic_network_2(pred_input, training=True)
        per_example = self._td_errors_loss_fn(targets, q1) + self._td_errors_loss_fn(
            targets, q2
        )
        loss = common.aggregate_losses(
            per_example_loss=per_example,
            sample_weight=weights,
            regularization_loss=(
                self._critic_network_1.losses + self._critic_network_2.losses
            ),
        ).total_loss
        return self._critic_loss_weight * loss

    def model_critic_loss(self, batch, seed, weights=None):
        """L(θ, w) of eq. (10): critic loss on the model's (s'_θ, r_θ)."""
        (next_obs, rewards), _ = self._model_network(
            (batch.observations, batch.actions), training=True
        )
        targets = self.soft_targets(next_obs, rewards, batch.discounts, seed)
        return self.critic_loss_on(batch.observations, batch.actions, targets, weights)

    def true_critic_loss(self, batch, seed, weights=None):
        """L_true(w) of eq. (11): critic loss on the real (s', r)."""
        targets = tf.stop_gradient(
            self.soft_targets(
                batch.next_observations, batch.rewards, batch.discounts, seed
            )
        )
        return self.critic_loss_on(batch.observations, batch.actions, targets, weights)

    def q_values(self, observations, actions):
        """(Q₁(s, a), Q₂(s, a)), each [B], from the two (non-target) critics."""
        q1, _ = self._critic_network_1((observations, actions), training=False)
        q2, _ = self._critic_network_2((observations, actions), training=False)
        return q1, q2

    def hypergradient_factors(self, batch, seed, weights=None):
        """What the size of OMD's hypergradient on ``batch`` is made of.

        With v = ∇_w L_true(w), the identity-inverse hypergradient of eq. (13)
        is −∂_θ⟨∇_w L(θ, w), v⟩ = c·Σ_i u_i·∂y_i/∂θ, where
        u_i = ⟨∇_w (Q₁ + Q₂)(s_i, a_i), v⟩ is how far the critics' values move
        along v and y_i = r_θ + γ·d·V̄(s'_θ) the model-based target.  The
        dynamics MLP reaches y only through s'_θ and the reward MLP only
        through r_θ, so the hypergradient's part on each MLP is its path.
        Computed whatever the agent's ``model_loss`` (an MLE agent's critics
        and model can be inspected the same way); no variable changes.

        Args:
          batch: a `model_learning.Batch` of [B, ...] real transitions.
          seed: stateless sampling seed, int32 [2].
          weights: optional per-example weights [B] of the critic losses.

        Returns:
          {name: float32 scalar}: ``true_critic_loss`` L_true(w);
          ``true_critic_grad_norm`` ‖v‖; ``q_change`` mean |u_i| (value
          units per unit step along v); ``target_slope_model`` and
          ``target_slope_real`` mean ‖∂y_i/∂s'‖ at the model's s'_θ and at
          the real s'; ``dynamics_grad_norm``, ``reward_grad_norm`` the
          hypergradient's norm on each MLP; ``dynamics_weight_norm``,
          ``reward_weight_norm`` ‖θ‖ of each MLP (a model with a shared
          trunk has one MLP, "model", which both paths reach:
          ``model_grad_norm``, ``model_weight_norm``).
        """
        critic_variables = self._critic_variables()
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(critic_variables)
            true_loss = self.true_critic_loss(batch, seed, weights)
        v = tape.gradient(true_loss, critic_variables)
        u = implicit.jvp(
            lambda: tf.add_n(self.q_values(batch.observations, batch.actions)),
            critic_variables,
            v,
        )
        hypergradient = implicit.mixed_vjp(
            lambda: self.model_critic_loss(batch, seed, weights),
            critic_variables,
            self._model_network.trainable_variables,
            v,
        )
        by_variable = {
            variable.ref(): -g
            for variable, g in zip(self._model_network.trainable_variables, hypergradient)
        }
        next_obs, rewards = self._model_learning.predict(batch)

        def target_slope(next_observations):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(next_observations)
                targets = self.soft_targets(
                    next_observations, rewards, batch.discounts, seed
                )
            slope = tape.gradient(targets, next_observations)
            return model_learning.masked_mean(tf.norm(slope, axis=-1), batch.valid)

        factors = {
            "true_critic_loss": true_loss,
            "true_critic_grad_norm": tree.norm(v),
            "q_change": model_learning.masked_mean(tf.abs(u), batch.valid),
            "target_slope_model": target_slope(next_obs),
            "target_slope_real": target_slope(batch.next_observations),
        }
        for name, variables in self._model_network.mlp_variables.items():
            grads = [by_variable[variable.ref()] for variable in variables]
            factors[f"{name}_grad_norm"] = tree.norm(grads)
            factors[f"{name}_weight_norm"] = tree.norm(variables)
        return factors

    def _minimize(self, name, loss_fn, variables, optimizer):
        """One optimiser step on ``loss_fn()``; returns the loss.

        A non-finite loss raises `InvalidArgumentError` naming ``name``.
        """
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(variables)
            loss = loss_fn()
        tf.debugging.check_numerics(loss, f"{name} is inf or nan")
        self._apply_gradients(tape.gradient(loss, variables), variables, optimizer)
        return loss

    def _train(self, experience, weights):
        transition = self._as_transition(experience)
        time_steps = transition.time_step
        batch = model_learning.Batch.from_transition(transition)
        critic_weights = batch.valid if weights is None else batch.valid * weights
        seed = self.noise_seed()
        critic_variables = self._critic_variables()
        model_critic_loss = lambda: self.model_critic_loss(batch, seed, critic_weights)
        for _ in range(self._model_learning.inner_steps):
            critic_loss = self._minimize(
                "critic loss", model_critic_loss, critic_variables, self._critic_optimizer
            )
            actor_loss = self._minimize(
                "actor loss",
                lambda: self._actor_loss_weight
                * self.actor_loss(time_steps, weights=weights, training=True),
                self._actor_network.trainable_variables,
                self._actor_optimizer,
            )
            alpha_loss = self._minimize(
                "alpha loss",
                lambda: self._alpha_loss_weight
                * self.alpha_loss(time_steps, weights=weights, training=True),
                [self._log_alpha],
                self._alpha_optimizer,
            )
            self._update_target()
        true_critic_loss = self.true_critic_loss(batch, seed, critic_weights)
        q1, q2 = self.q_values(batch.observations, batch.actions)
        mean_q = model_learning.masked_mean((q1 + q2) / 2, batch.valid)
        model_info = self._model_learning.apply(
            batch,
            *self.model_gradients(batch, seed, critic_weights),
            predictions=self._model_learning.predict(batch),
        )
        extra = OmdSacLossInfo(
            critic_loss=critic_loss,
            actor_loss=actor_loss,
            alpha_loss=alpha_loss,
            true_critic_loss=true_critic_loss,
            mean_q=mean_q,
            **model_info._asdict(),
        )
        if self.summaries_enabled:
            common.summarize_scalar_dict(
                {
                    "critic_loss": critic_loss,
                    "actor_loss": actor_loss,
                    "alpha_loss": alpha_loss,
                    "model_loss": model_info.model_loss,
                },
                step=self.train_step_counter,
                name_scope="Losses/",
            )
            common.summarize_scalar_dict(
                {
                    name: getattr(extra, name)
                    for name in (
                        "true_critic_loss",
                        "mean_q",
                        "model_next_obs_mse",
                        "model_reward_mse",
                        "model_reward_bias",
                        "model_grad_norm",
                    )
                },
                step=self.train_step_counter,
                name_scope="Diagnostics/",
            )
        self.train_step_counter.assign_add(1)
        return tf_agent.LossInfo(
            loss=critic_loss + actor_loss + alpha_loss + model_info.model_loss,
            extra=extra,
        )
