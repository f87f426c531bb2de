"""Soft double-Q agent whose Q-functions learn only from a learned model.

Implements the discrete-action agent of

  "Control-Oriented Model-Based Reinforcement Learning with Implicit
  Differentiation", Nikishin et al., AAAI 2022 (section 6, algorithm 1).

Per `train(experience)` call, on one sampled batch (``update_order='q_first'``,
the default):

1. K warm-started inner steps on the Q networks w:
   L(θ, w) = ½ Σ_j E[(Q_j(s, a) − (r_θ + γ·discount·V̄(s'_θ)))²]    (eq. 10)
   with (s'_θ, r_θ) the model's predictions, double Q and
   V̄(s') = α logsumexp(min(Q̄₁, Q̄₂)(s')/α) from the target networks, which
   follow w by Polyak averaging after every inner step (``double_q=False``:
   one Q network, V̄ from its target alone; the paper's Figure 7 ablation).
2. One model step (`agents.model_learning`): 'omd' applies the implicit
   gradient of L_true(w), the same loss on the real (r, s') (eq. 11), through
   eq. (13); 'mle' the squared error of next observation and reward; 'vep'
   the value-equivalence loss with 5 fixed random value networks.

With ``update_order='model_first'`` (MLE / VEP only) the order is reversed:
the model steps on one batch, then the K Q steps use the updated model's
predictions on a second, fresh batch, as the paper's reference code does.

In every variant Q learns only from model outputs.

With ``num_members=N`` the agent is a population: N independent agents of
one configuration (different initial weights), trained in lockstep by one
`train` call on [N, B, 2] experience, member k's batch in row k.
"""

import functools

import tensorflow as tf
from tf_agents.agents import data_converter
from tf_agents.agents import tf_agent
from tf_agents.networks import utils as network_utils
from tf_agents.policies import greedy_policy
from tf_agents.specs import tensor_spec
from tf_agents.utils import common

from agents import model_learning
from agents import soft_q_policy
from omd_tf import networks
from omd_tf.implicit import tree

UPDATE_ORDERS = ("q_first", "model_first")

OmdSoftQLossInfo = model_learning.namedtuple_with_model_fields(
    "OmdSoftQLossInfo", ("q_loss", "mean_q", "policy_entropy")
)
OmdSoftQLossInfo.__doc__ = """`LossInfo.extra` of `OmdSoftQAgent.train`, float32.

Each field is a scalar for one agent; in a population, [N]: member k's own
value at [k].

q_loss: L(θ, w) at the last inner step, before its update.
mean_q: E[Q̄(s, a)], Q̄ the mean of the Q networks, at the last inner step,
  before its update.
policy_entropy: E[H(softmax(Q̄(s, .)/α))] in nats, same weights.
model_loss: the model objective before the model step (OMD: L_true(w) after
  the inner steps; MLE / VEP: their losses).
model_next_obs_mse: per-dimension squared error of f_θ(s, a) against the
  real next observation, before the model step.
model_reward_mse: squared error of g_θ(s, a) against the real reward, before
  the model step.
model_reward_bias: mean of g_θ(s, a) − r, same model.
model_grad_norm: L2 norm of the model step's gradient (OMD: the eq. 13
  hypergradient, plus the likelihood term's if any).
"""


def _halves(nest, axis):
    """(first half, second half) of every tensor of ``nest`` along ``axis``."""
    halves = [tf.split(t, 2, axis=axis) for t in tf.nest.flatten(nest)]
    return tuple(
        tf.nest.pack_sequence_as(nest, [h[i] for h in halves]) for i in range(2)
    )


class OmdSoftQAgent(tf_agent.TFAgent):
    """Model-based soft double-Q agent for discrete actions (OMD / MLE / VEP).

    A drop-in replacement for `DqnAgent`: `train_sequence_length` is 2, it
    trains on `Trajectory` batches [B, 2] sampled from a replay buffer
    ([2B, 2], two batches, with ``update_order='model_first'``; see
    `batches_per_train`), and boundary transitions (LAST -> FIRST) are
    masked.  One `train` call does K inner Q steps and one model step in one
    traced `tf.function`, whose update part is optionally XLA-compiled.

    The options ``reset_q_optimizer`` and ``update_order='model_first'`` (and
    `omd_tf.networks`' 'orthogonal' initialiser and a Q lr of 3e-4) are the
    choices of the paper's public reference code; see
    `omd_tf.training.protocol`.

    A population (``num_members=N``) takes networks built with the same
    ``num_members`` (`omd_tf.networks`), whose variables carry a leading
    member axis, and `train`s on [N, B, 2] `Trajectory` batches (row k:
    member k's transitions, e.g. `omd_tf.training.member_replay`).  Every
    loss is the sum over members of the member's own mean, so each member's
    gradients, Adam moments, Polyak targets and OMD hypergradient are its
    own; each field of `LossInfo.extra` holds the members' own values, [N],
    and `LossInfo.loss` is their mean.  The policies act
    on a batched env whose rows k·E … (k+1)·E − 1 belong to member k.
    """

    def __init__(
        self,
        time_step_spec,
        action_spec,
        q_network,
        model_network,
        q_optimizer,
        model_optimizer,
        model_loss="omd",
        q_network_2=None,
        double_q=True,
        value_networks=None,
        inner_steps=1,
        reset_q_optimizer=False,
        q_lr_schedule=None,
        update_order="q_first",
        inverse="identity",
        inverse_options=None,
        likelihood_weight=0.0,
        hypergradient_clip_norm=0.0,
        alpha=0.01,
        gamma=0.99,
        epsilon=0.1,
        target_update_tau=0.01,
        td_target_bound=0.0,
        greedy_eval=False,
        jit_compile=True,
        num_members=None,
        train_step_counter=None,
        name=None,
    ):
        """Creates the agent.

        Args:
          time_step_spec: `TimeStep` spec; observations float [D].
          action_spec: scalar integer `BoundedTensorSpec` with minimum 0.
          q_network: network observation [B, D] -> Q-values [B, num_actions]
            (e.g. `omd_tf.networks.q_network`).
          model_network: network (observation, action) -> (next observation
            [B, D], reward [B]) (e.g. `omd_tf.networks.ModelNetwork`).
          q_optimizer: Keras optimizer of both Q networks.
          model_optimizer: Keras optimizer of the model.
          model_loss: 'omd' | 'mle' | 'vep'.
          q_network_2: second Q network; defaults to a copy of `q_network`
            made before its variables exist (independent initial weights).
          double_q: two Q networks, the TD target from the minimum of their
            targets (the paper's agent); False: ``q_network`` alone, the
            target from its own target network (the single-Q ablation of
            the paper's Figure 7).
          value_networks: VEP's fixed value networks observation [B, D] ->
            [B]; defaults to `omd_tf.networks.vep_value_networks`.  Only
            used with model_loss='vep'; never trained.
          inner_steps: K, inner Q steps per train call (positive int).
          reset_q_optimizer: set every variable of ``q_optimizer`` (step
            count and moments) to zero before the K inner steps of every
            train call.  An oddity of the paper's reference code
            (``warm_opt=False``, its default), not the paper's method: with
            Adam every update's first inner step is then Adam's first step,
            Δw = −lr·g/(|g| + ε/√(1 − β₂)) ≈ −lr·sign(g), a sign-gradient step
            of fixed size lr for every weight whose gradient g is not 0
            (Keras' ε = 1e-7 shrinks only steps with |g| ≲ 3e-6; optax's
            ε = 1e-8 of the reference code, added after bias correction,
            only those with |g| ≲ 1e-8).  Steps 2..K of an update continue
            from that fresh state.  The optimiser is built on the Q
            variables here, so that the reset is part of the compiled update.
          update_order: 'q_first' (K Q steps, then the model step, on one
            batch) or 'model_first' (model_loss 'mle' / 'vep' only: the
            model steps on the first half of ``experience``, then the Q
            steps use the updated model's predictions on the second half,
            like the reference code's MLE and VEP agents, which sample a
            fresh batch for the Q step).
          inverse: 'identity' (eq. 13), 'cg' or 'normal_cg' (the inverse
            Hessian of L(θ, w) applied iteratively) for the OMD gradient.
          inverse_options: dict of ridge, max_iter, tol for 'cg'/'normal_cg';
            default `model_learning.DEFAULT_INVERSE_OPTIONS`.
          likelihood_weight: λ ≥ 0, model_loss='omd' only: the model
            minimises L_true + λ·(the MLE loss), a likelihood term beyond
            the paper that anchors r_θ and f_θ to the data; 0 (the default)
            is the paper's pure OMD.
          hypergradient_clip_norm: c ≥ 0, model_loss='omd' only, beyond the
            paper: a hypergradient longer than c is scaled to length c
            before the likelihood term's gradient is added (see
            `model_learning.ModelLearning`); 0 (the default) never clips.
          alpha: soft-max temperature α > 0.
          gamma: discount γ in [0, 1].
          epsilon: probability in [0, 1] of a uniformly random collect action.
          target_update_tau: Polyak coefficient τ in (0, 1] of the target
            networks, applied after every inner step.
          td_target_bound: B ≥ 0, beyond the paper: every TD target (of
            L(θ, w) and of L_true(w)) is clipped to [−B, B], with B chosen
            so that every soft value the env allows lies inside (CartPole:
            0 ≤ V ≤ (1 + α log 2)/(1 − γ) ≈ 100.7), so that Q's
            bootstrapped targets cannot run away; a clipped target passes
            no gradient to the model.  0 (the default) never clips.
          greedy_eval: make `policy` argmax Q̄ instead of sampling
            softmax(Q̄/α).
          jit_compile: XLA-compile the update (the math of a train step).  On
            CPU with the paper's small networks it pays off when a run has one
            core (about 1.2x faster training loop than plain graph mode) and
            costs a little when it has two (about 1.1x slower), where graph
            mode runs independent ops in parallel; see bench/agent_bench.py.
          num_members: N, the members of a population (see above), or None
            for one agent.
          train_step_counter: int64 variable incremented by `train`;
            defaults to the global step.
          name: module name; defaults to the class name.

        Raises:
          ValueError: for a non-discrete action spec or an invalid argument
            (the message names it).
        """
        tf.Module.__init__(self, name=name)
        if not 0 < target_update_tau <= 1:
            raise ValueError(
                f"`target_update_tau` must be in (0, 1], got {target_update_tau!r}."
            )
        if not 0 <= gamma <= 1:
            raise ValueError(f"`gamma` must be in [0, 1], got {gamma!r}.")
        if not td_target_bound >= 0:
            raise ValueError(
                f"`td_target_bound` must be >= 0, got {td_target_bound!r}."
            )
        if update_order not in UPDATE_ORDERS:
            raise ValueError(
                f"`update_order` must be one of {UPDATE_ORDERS}, got {update_order!r}."
            )
        if update_order == "model_first" and model_loss == "omd":
            raise ValueError(
                "`update_order` must be 'q_first' for model_loss='omd' (its model "
                "gradient needs the Q steps first)."
            )
        # A schedule is serialised as a dict in the optimiser's config.
        if q_lr_schedule is not None and isinstance(
            q_optimizer.get_config()["learning_rate"], dict
        ):
            raise ValueError(
                "`q_lr_schedule` needs a `q_optimizer` with a plain learning rate, "
                "not a schedule."
            )
        action_spec = tensor_spec.from_spec(action_spec)
        num_actions = networks.num_discrete_actions(action_spec)
        observation_spec = time_step_spec.observation

        if double_q:
            q_network_2 = q_network_2 or q_network.copy(name="QNetwork2")
            self._q_networks = (q_network, q_network_2)
        elif q_network_2 is not None:
            raise ValueError("`q_network_2` must be None with double_q=False.")
        else:
            self._q_networks = (q_network,)
        for net, label in zip(self._q_networks, ("q_network", "q_network_2")):
            network_utils.check_single_floating_network_output(
                net.create_variables(observation_spec), (num_actions,), label
            )
        self._target_q_networks = tuple(
            common.maybe_copy_target_network_with_checks(
                net, input_spec=observation_spec, name=f"TargetQNetwork{i + 1}"
            )
            for i, net in enumerate(self._q_networks)
        )
        model_network.create_variables((observation_spec, action_spec))
        self._value_networks = ()
        if model_loss == "vep":
            self._value_networks = tuple(
                value_networks
                or networks.vep_value_networks(
                    observation_spec, num_members=num_members
                )
            )
            for net in self._value_networks:
                net.create_variables(observation_spec)
        self._model_learning = model_learning.ModelLearning(
            model_network,
            model_optimizer,
            model_loss=model_loss,
            inner_steps=inner_steps,
            inverse=inverse,
            inverse_options=inverse_options,
            likelihood_weight=likelihood_weight,
            hypergradient_clip_norm=hypergradient_clip_norm,
            num_members=num_members,
            value_networks=[
                lambda observation, net=net: net(observation)[0]
                for net in self._value_networks
            ],
        )
        # Attributes of the agent, so that checkpoints of it include them.
        self._model_network = model_network
        self._model_optimizer = model_optimizer
        self._q_optimizer = q_optimizer
        self._reset_q_optimizer = reset_q_optimizer
        self._q_lr_schedule = q_lr_schedule
        # Built now, not at the first step, so that their moments exist from
        # the start (for `reset_q_optimizer` and `member_variables`).
        q_optimizer.build(self.q_variables)
        model_optimizer.build(model_network.trainable_variables)
        self._update_order = update_order
        self._num_members = num_members
        self._alpha = alpha
        self._gamma = gamma
        self._tau = target_update_tau
        self._td_target_bound = td_target_bound

        policy = soft_q_policy.SoftQPolicy(
            time_step_spec, action_spec, self._q_networks, alpha
        )
        if greedy_eval:
            policy = greedy_policy.GreedyPolicy(policy)
        collect_policy = soft_q_policy.SoftQPolicy(
            time_step_spec, action_spec, self._q_networks, alpha, epsilon=epsilon
        )
        super().__init__(
            time_step_spec,
            action_spec,
            policy,
            collect_policy,
            train_sequence_length=2,
            train_step_counter=train_step_counter,
        )
        self._as_transition = data_converter.AsTransition(
            self.data_context, squeeze_time_dim=True
        )
        self._train_fn = common.function(self._train)
        self._update_fn = tf.function(
            self._update, jit_compile=jit_compile, autograph=False
        )

    @property
    def q_networks(self):
        """The online Q networks (w): two, or one with ``double_q=False``."""
        return self._q_networks

    @property
    def target_q_networks(self):
        """The Polyak-averaged target Q networks (w̄), one per online network."""
        return self._target_q_networks

    @property
    def model_network(self):
        """The dynamics and reward model (θ)."""
        return self._model_network

    @property
    def model_optimizer(self):
        """The model's optimiser; its ``learning_rate`` is a variable that can
        be set, e.g. to 0 to freeze the model after a restore."""
        return self._model_learning.model_optimizer

    @property
    def value_networks(self):
        """VEP's fixed random value networks (empty unless model_loss='vep')."""
        return self._value_networks

    @property
    def num_members(self):
        """N of a population, None for one agent."""
        return self._num_members

    @property
    def member_variables(self):
        """A population's variables whose row k is member k's own state.

        Those of every network (targets and VEP's value networks included)
        and the optimisers' moments (built with the agent): all of a
        member's state but the optimisers' step counters and the train step
        counter, which are shared scalars.  Empty for one agent.
        """
        if self._num_members is None:
            return []
        nets = (
            self._q_networks
            + self._target_q_networks
            + (self._model_network,)
            + self._value_networks
        )
        slots = [
            v
            for optimizer in (self._q_optimizer, self._model_optimizer)
            for v in optimizer.variables
            if v.shape.rank
        ]
        return [v for net in nets for v in net.variables] + slots

    @property
    def batches_per_train(self):
        """Batches of B transitions that one `train` call takes, as [n·B, 2].

        2 with ``update_order='model_first'`` (model batch, then Q batch),
        else 1; `omd_tf.training.loop.Trainer` samples that many.
        """
        return 2 if self._update_order == "model_first" else 1

    @property
    def q_variables(self):
        """Trainable variables w of the Q networks."""
        return [v for net in self._q_networks for v in net.trainable_variables]

    def _initialize(self):
        self._update_targets(tau=1.0)

    def _update_targets(self, tau):
        for net, target in zip(self._q_networks, self._target_q_networks):
            common.soft_variables_update(net.variables, target.variables, tau=tau)

    # Losses.

    def soft_target_value(self, observation):
        """V̄(s) = α logsumexp(min(Q̄₁, Q̄₂)(s)/α) [B] from the target networks.

        With one Q network, Q̄₁ alone.
        """
        q_min = functools.reduce(
            tf.minimum, [net(observation)[0] for net in self._target_q_networks]
        )
        return self._alpha * tf.reduce_logsumexp(q_min / self._alpha, axis=-1)

    def td_target(self, reward, next_observation, discount):
        """y = r + γ·discount·V̄(s') [B]; differentiable in r and s'.

        Clipped to [−B, B] with ``td_target_bound`` B > 0.  Gradients stop at
        the target networks' weights only (no optimiser and no tape of this
        agent touches them), so r_θ and s'_θ keep the model in L(θ, w).
        """
        target = reward + self._gamma * discount * self.soft_target_value(
            next_observation
        )
        if self._td_target_bound:
            bound = self._td_target_bound
            target = tf.clip_by_value(target, -bound, bound)
        return target

    def _soft_q_loss(self, observation, action, target, weight):
        """½ Σ_j E[weight (Q_j(s, a) − y)²] and Q̄(s, .) [B, A], the networks' mean.

        In a population: [N, B, ...] inputs, one loss per member ([N]).
        """
        q_values, q_mean = self._q_values(observation)
        losses = [
            tf.reduce_mean(
                weight * tf.square(common.index_with_actions(q, action) - target),
                axis=-1,
            )
            for q in q_values
        ]
        return 0.5 * tf.add_n(losses), q_mean

    def _q_values(self, observation):
        """(Q_j(s, .) [B, A] of each network, Q̄(s, .) [B, A] their mean)."""
        q_values = [net(observation)[0] for net in self._q_networks]
        return q_values, tf.add_n(q_values) / len(q_values)

    def model_td_loss(self, batch, weight):
        """L(θ, w), eq. (10): the TD loss on model rewards and next observations.

        Args:
          batch: `model_learning.Batch` of real transitions [B, ...].
          weight: per-transition weights [B] (0 for boundary transitions).

        Returns:
          The loss: a scalar, or one per member ([N]) in a population.
        """
        next_observation, reward = self._model_learning.predict(batch)
        target = self.td_target(reward, next_observation, batch.discounts)
        return self._soft_q_loss(batch.observations, batch.actions, target, weight)[0]

    def true_td_loss(self, batch, weight):
        """L_true(w), eq. (11): the TD loss on the real transitions, as above."""
        target = tf.stop_gradient(
            self.td_target(batch.rewards, batch.next_observations, batch.discounts)
        )
        return self._soft_q_loss(batch.observations, batch.actions, target, weight)[0]

    # Training.

    def _as_batch(self, experience, weights):
        """(`model_learning.Batch`, per-transition weights), [B] or [N, B] each."""
        if self._num_members is None:
            transition = self._as_transition(experience)
        else:  # [N, B, 2] -> [N·B, 2] for the converter, then back.
            outer = tf.shape(experience.step_type)[:2]
            transition = tf.nest.map_structure(
                lambda t: tf.reshape(t, tf.concat([outer, tf.shape(t)[1:]], 0)),
                self._as_transition(
                    tf.nest.map_structure(
                        lambda t: tf.reshape(t, tf.concat([[-1], tf.shape(t)[2:]], 0)),
                        experience,
                    )
                ),
            )
        batch = model_learning.Batch.from_transition(transition)
        weight = batch.valid if weights is None else batch.valid * weights
        return batch, weight

    def _q_step(self, batch, weight, next_observation, reward):
        """One optimiser step on L(θ, w) w.r.t. w, then the Polyak update."""
        target = self.td_target(reward, next_observation, batch.discounts)
        variables = self.q_variables
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(variables)
            loss, q_mean = self._soft_q_loss(
                batch.observations, batch.actions, target, weight
            )
            total = model_learning.member_sum(loss)
        grads = tape.gradient(total, variables)
        self._q_optimizer.apply_gradients(zip(grads, variables))
        self._update_targets(self._tau)
        return loss, q_mean

    def _predictions(self, batch):
        return tf.nest.map_structure(
            tf.stop_gradient, self._model_learning.predict(batch)
        )

    def _q_steps(self, batch, weight, predictions):
        """The K inner Q steps on ``predictions``; (loss, Q̄ [B, A]) of the last."""
        if self._reset_q_optimizer:
            for variable in self._q_optimizer.variables:
                variable.assign(tf.zeros_like(variable))
        if self._q_lr_schedule is not None:
            self._q_optimizer.learning_rate.assign(
                self._q_lr_schedule(self.train_step_counter)
            )
        for _ in range(self._model_learning.inner_steps):
            q_loss, q_mean = self._q_step(batch, weight, *predictions)
        return q_loss, q_mean

    def _model_step(self, batch, weight, predictions):
        """One model step on ``batch``; ``predictions`` are the model's before it."""
        return self._model_learning.apply(
            batch,
            *self._model_learning.model_gradients(
                true_loss_fn=lambda: self.true_td_loss(batch, weight),
                inner_loss_fn=lambda: model_learning.member_sum(
                    self.model_td_loss(batch, weight)
                ),
                inner_variables=self.q_variables,
                batch=batch,
            ),
            predictions=predictions,
        )

    def _update(self, batch, weight):
        """K inner Q steps on model outputs and one model step, in ``update_order``."""
        if self._update_order == "model_first":
            (model_batch, model_weight), (batch, weight) = _halves(
                (batch, weight), axis=0 if self._num_members is None else 1
            )
            model_info = self._model_step(
                model_batch, model_weight, self._predictions(model_batch)
            )
            q_loss, q_mean = self._q_steps(batch, weight, self._predictions(batch))
        else:
            predictions = self._predictions(batch)
            q_loss, q_mean = self._q_steps(batch, weight, predictions)
            model_info = self._model_step(batch, weight, predictions)
        log_policy = tf.nn.log_softmax(q_mean / self._alpha)
        entropy = -tf.reduce_sum(tf.exp(log_policy) * log_policy, axis=-1)
        return OmdSoftQLossInfo(
            q_loss=q_loss,
            mean_q=tf.reduce_mean(
                common.index_with_actions(q_mean, batch.actions), axis=-1
            ),
            policy_entropy=tf.reduce_mean(entropy, axis=-1),
            **model_info._asdict(),
        )

    def inspect(self, experience, cg_iterations=10):
        """Where the agent stands on ``experience``, without updating anything.

        For runs whose seeds collapse: whether Q has run away, whether the
        model has, and how eq. (13)'s identity inverse compares with the
        inverse Hessian applied by CG.  Any model loss (an MLE agent's Q and
        model through the same formulas, as a contrast).

        Args:
          experience: `Trajectory` [B, 2], or [N, B, 2] in a population.
          cg_iterations: CG iterations of the inverse (ridge as the default
            `model_learning.DEFAULT_INVERSE_OPTIONS`).

        Returns:
          {name: float32 scalar, [N] in a population}: ``true_td_loss``
          L_true(w); ``mean_q`` E[Q̄(s, a)]; ``model_next_obs_mse`` and
          ``model_reward_bias`` as in `OmdSoftQLossInfo`;
          ``hypergradient_norm`` and ``cg_hypergradient_norm``, the L2 norms
          of dL_true/dθ by eq. (13) with the identity and with the CG
          inverse; ``hypergradient_cosine``, the cosine between the two
          (NaN where a norm is 0: a model that gets no gradient).
        """
        batch, weight = self._as_batch(experience, None)
        learning = self._model_learning
        losses = dict(
            true_loss_fn=lambda: self.true_td_loss(batch, weight),
            inner_loss_fn=lambda: model_learning.member_sum(
                self.model_td_loss(batch, weight)
            ),
            inner_variables=self.q_variables,
        )
        true_loss, identity = learning.hypergradient(**losses, inverse="identity")
        _, solved = learning.hypergradient(
            **losses,
            inverse="cg",
            **{**model_learning.DEFAULT_INVERSE_OPTIONS, "max_iter": cg_iterations},
        )
        batch_dims = 0 if self._num_members is None else 1
        norms = [tree.norm(g, batch_dims) for g in (identity, solved)]
        _, q_mean = self._q_values(batch.observations)
        errors = learning.prediction_errors(batch, learning.predict(batch))
        return dict(
            true_td_loss=true_loss,
            mean_q=tf.reduce_mean(
                common.index_with_actions(q_mean, batch.actions), axis=-1
            ),
            model_next_obs_mse=errors["model_next_obs_mse"],
            model_reward_bias=errors["model_reward_bias"],
            hypergradient_norm=norms[0],
            cg_hypergradient_norm=norms[1],
            hypergradient_cosine=tree.vdot(identity, solved, batch_dims)
            / (norms[0] * norms[1]),
        )

    def summarize(self, extra, member=None):
        """Writes ``extra``'s train summaries (Losses/…, Diagnostics/…).

        Each value as it is for one agent; in a population, member
        ``member``'s own, or the members' mean if ``member`` is None.
        """
        if member is None:
            pick = tf.reduce_mean  # A scalar stays itself.
        else:
            pick = lambda value: value[member]
        extra = OmdSoftQLossInfo(*[pick(value) for value in extra])
        losses = dict(
            q_loss=extra.q_loss,
            model_loss=extra.model_loss,
            total_loss=extra.q_loss + extra.model_loss,
        )
        diagnostics = {
            name: value
            for name, value in extra._asdict().items()
            if name not in losses
        }
        for name_scope, scalars in (("Losses/", losses), ("Diagnostics/", diagnostics)):
            common.summarize_scalar_dict(
                scalars, step=self.train_step_counter, name_scope=name_scope
            )

    def _train(self, experience, weights=None):
        extra = self._update_fn(*self._as_batch(experience, weights))
        self.train_step_counter.assign_add(1)
        if self.summaries_enabled:
            self.summarize(extra)
        return tf_agent.LossInfo(
            loss=tf.reduce_mean(extra.q_loss + extra.model_loss), extra=extra
        )

    def _loss(self, experience, weights=None, training=False):
        """L(θ, w) plus the model objective, without updating anything."""
        del training
        batch, weight = self._as_batch(experience, weights)
        model_loss = {
            "omd": lambda: self.true_td_loss(batch, weight),
            "mle": lambda: self._model_learning.mle_loss(batch),
            "vep": lambda: self._model_learning.vep_loss(batch),
        }[self._model_learning.model_loss]()
        return tf_agent.LossInfo(
            loss=tf.reduce_mean(self.model_td_loss(batch, weight) + model_loss),
            extra=(),
        )
