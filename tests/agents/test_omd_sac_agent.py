"""OmdSacAgent: eq. (13) on a fixed batch, gradient paths, TF-Agents contract."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.agents.ddpg import critic_network
from tf_agents.agents.sac import tanh_normal_projection_network
from tf_agents.environments import tf_py_environment
from tf_agents.networks import actor_distribution_network
from tf_agents.trajectories import trajectory
from tf_agents.utils import common

import omd_tf.envs
from agents import model_learning
from agents.omd_sac_agent import OmdSacAgent
from omd_tf import networks

BATCH = 32


@pytest.fixture(scope="module")
def pendulum():
    env = tf_py_environment.TFPyEnvironment(
        omd_tf.envs.load("InvertedPendulum-v5", seed=0)
    )
    yield env
    env.close()


def make_sac_agent(env, model_loss="omd", sgd=False, seed=0, shared_trunk=False, **kwargs):
    """Small networks; plain SGD for the model when ``sgd``."""
    obs_spec, action_spec = env.observation_spec(), env.action_spec()
    critic = critic_network.CriticNetwork(
        (obs_spec, action_spec), joint_fc_layer_params=(16, 16)
    )
    actor = actor_distribution_network.ActorDistributionNetwork(
        obs_spec,
        action_spec,
        fc_layer_params=(16, 16),
        continuous_projection_net=(
            tanh_normal_projection_network.TanhNormalProjectionNetwork
        ),
    )
    adam = lambda: tf.keras.optimizers.Adam(1e-3)
    agent = OmdSacAgent(
        env.time_step_spec(),
        action_spec,
        critic,
        actor,
        networks.ModelNetwork(obs_spec, action_spec, hidden_dim=8, shared_trunk=shared_trunk),
        adam(),
        adam(),
        adam(),
        tf.keras.optimizers.SGD(0.1) if sgd else adam(),
        model_loss=model_loss,
        gamma=0.99,
        target_update_tau=0.005,
        seed=seed,
        train_step_counter=tf.Variable(0, dtype=tf.int64),
        **kwargs,
    )
    agent.initialize()
    return agent


@pytest.fixture(scope="module")
def experience():
    """A fixed [BATCH, 2] batch of mid-episode transitions (float32)."""
    rng = np.random.default_rng(0)
    obs = tf.constant(rng.normal(size=(BATCH, 2, 4)) * 0.1, tf.float32)
    return trajectory.Trajectory(
        step_type=tf.ones([BATCH, 2], tf.int32),
        observation=obs,
        action=tf.constant(rng.uniform(-3, 3, size=(BATCH, 2, 1)), tf.float32),
        policy_info=(),
        next_step_type=tf.ones([BATCH, 2], tf.int32),
        reward=tf.ones([BATCH, 2], tf.float32),
        discount=tf.ones([BATCH, 2], tf.float32),
    )


def _batch(agent, experience):
    return model_learning.Batch.from_transition(agent._as_transition(experience))


def _independent_target(agent, batch, seed, through_actor=True):
    """The soft target y(s', r) [B] written out from the networks.

    ``through_actor`` False feeds the actor s' with its gradient stopped.
    """
    targets = (agent._target_critic_network_1, agent._target_critic_network_2)
    alpha = tf.exp(agent._log_alpha)

    def target(next_obs, reward):
        actor_obs = next_obs if through_actor else tf.stop_gradient(next_obs)
        dist, _ = agent._actor_network(actor_obs, step_type=(), network_state=())
        a = dist.sample(seed=seed)
        log_pi = dist.log_prob(a)
        q = tf.minimum(*[t((next_obs, a))[0] for t in targets])
        return reward + 0.99 * batch.discounts * (q - alpha * log_pi)

    return target


def _independent_sac_losses(agent, batch, seed, through_actor=True):
    """Model-based and real critic losses written out from the networks."""
    critics = (agent._critic_network_1, agent._critic_network_2)
    target = _independent_target(agent, batch, seed, through_actor)

    def loss(y):
        per = sum(
            tf.square(y - c((batch.observations, batch.actions))[0]) for c in critics
        )
        return 0.5 * tf.reduce_mean(per)

    def model_loss():
        (next_obs, reward), _ = agent.model_network((batch.observations, batch.actions))
        return loss(target(next_obs, reward))

    def true_loss():
        return loss(tf.stop_gradient(target(batch.next_observations, batch.rewards)))

    return model_loss, true_loss


def _independent_eq13(agent, batch, seed, through_actor):
    """−(∂L_true/∂w)ᵀ ∂²L/∂θ∂w by nested tapes on `_independent_sac_losses`."""
    model_loss, true_loss = _independent_sac_losses(agent, batch, seed, through_actor)
    w = agent._critic_variables()
    theta = agent.model_network.trainable_variables
    with tf.GradientTape() as tape:
        outer = true_loss()
    dl_true_dw = tape.gradient(outer, w)
    with tf.GradientTape() as outer_tape:
        with tf.GradientTape() as inner_tape:
            inner = model_loss()
        dl_dw = inner_tape.gradient(inner, w)
        product = tf.add_n([tf.reduce_sum(a * b) for a, b in zip(dl_true_dw, dl_dw)])
    return [-g for g in outer_tape.gradient(product, theta)]


@pytest.mark.parametrize(
    "through_actor, shared_trunk", [(True, False), (False, False), (False, True)]
)
def test_model_gradient_equals_independent_eq13(
    pendulum, experience, through_actor, shared_trunk
):
    agent = make_sac_agent(
        pendulum, model_grad_through_actor=through_actor, shared_trunk=shared_trunk
    )
    batch = _batch(agent, experience)
    seed = tf.constant([3, 4], tf.int32)
    _, grads = agent.model_gradients(batch, seed)
    expected = _independent_eq13(agent, batch, seed, through_actor)
    assert any(float(tf.norm(g)) > 1e-6 for g in expected)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-6)
    # The option changes the gradient: the other path is not the same.
    other = _independent_eq13(agent, batch, seed, not through_actor)
    assert max(float(tf.reduce_max(tf.abs(g - o))) for g, o in zip(grads, other)) > 1e-5


@pytest.mark.parametrize("through_actor", [False, True])
def test_actor_weights_reach_the_model_gradient_only_through_the_actor_path(
    pendulum, experience, through_actor
):
    """The actor's first kernel perturbed within the null space of s'_θ and s'.

    On a one-transition batch, Δ with s'_θ·Δ = s'·Δ = 0 leaves every action
    and log-probability the actor gives at the model's and the real next
    observation as it was, and changes only its Jacobian there.  With the
    next action sampled at stop_gradient(s'_θ) the model gradient is then
    the same to float32 round-off; through the actor it changes.
    """
    agent = make_sac_agent(pendulum, model_grad_through_actor=through_actor)
    batch = _batch(agent, tf.nest.map_structure(lambda t: t[:1], experience))
    seed = tf.constant([3, 4], tf.int32)
    (next_obs, _), _ = agent.model_network((batch.observations, batch.actions))
    points = tf.concat([next_obs, batch.next_observations], 0).numpy()  # [2, 4]
    null_projector = np.eye(4) - np.linalg.pinv(points) @ points
    kernel = agent._actor_network.trainable_variables[0]
    assert kernel.shape == (4, 16)
    delta = null_projector @ np.random.default_rng(0).normal(size=(4, 16))
    np.testing.assert_allclose(points @ delta, 0.0, atol=1e-6)
    _, before = agent.model_gradients(batch, seed)
    assert max(float(tf.reduce_max(tf.abs(g))) for g in before) > 1e-4
    kernel.assign_add(tf.constant(delta, tf.float32))
    _, after = agent.model_gradients(batch, seed)
    change = max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(after, before))
    scale = max(float(tf.reduce_max(tf.abs(b))) for b in before)
    if through_actor:
        assert change > 1e-2 * scale
    else:
        assert change < 1e-4 * scale


@pytest.mark.parametrize("clip_norm", [0.0, 1e-3, 1e9])
def test_likelihood_weight_adds_the_mle_gradient_to_the_clipped_omd_one(
    pendulum, experience, clip_norm
):
    """Clipping at 1e-3 scales eq. (13) to that length; at 1e9 or 0 never."""
    weight = 0.5
    agent = make_sac_agent(
        pendulum, likelihood_weight=weight, hypergradient_clip_norm=clip_norm
    )
    batch = _batch(agent, experience)
    seed = tf.constant([3, 4], tf.int32)
    _, grads = agent.model_gradients(batch, seed)
    theta = agent.model_network.trainable_variables
    with tf.GradientTape() as tape:
        (next_obs, reward), _ = agent.model_network((batch.observations, batch.actions))
        mle = tf.reduce_mean(
            tf.reduce_sum(tf.square(next_obs - batch.next_observations), -1)
            + tf.square(reward - batch.rewards)
        )
    mle_grads = tape.gradient(mle, theta)
    omd_grads = _independent_eq13(agent, batch, seed, through_actor=True)
    omd_norm = float(tf.sqrt(sum(tf.reduce_sum(o * o) for o in omd_grads)))
    assert omd_norm > 1e-2
    if clip_norm and clip_norm < omd_norm:
        omd_grads = [o * clip_norm / omd_norm for o in omd_grads]
    for g, o, m in zip(grads, omd_grads, mle_grads):
        np.testing.assert_allclose(g, o + weight * m, rtol=1e-4, atol=1e-6)
    assert max(float(tf.reduce_max(tf.abs(m))) for m in mle_grads) > 1e-3


@pytest.mark.parametrize("model_loss", ["omd", "mle"])
def test_hypergradient_factors_match_independent_computations(
    pendulum, experience, model_loss
):
    agent = make_sac_agent(pendulum, model_loss=model_loss)
    batch = _batch(agent, experience)
    seed = tf.constant([3, 4], tf.int32)
    factors = {k: float(v) for k, v in agent.hypergradient_factors(batch, seed).items()}
    model = agent.model_network
    # Eq. (13) split by MLP: the dynamics and the reward paths.
    expected = _independent_eq13(agent, batch, seed, through_actor=True)
    by_variable = {v.ref(): g for v, g in zip(model.trainable_variables, expected)}
    for name, variables in model.mlp_variables.items():
        grads = [by_variable[v.ref()] for v in variables]
        norm = float(tf.sqrt(sum(tf.reduce_sum(g * g) for g in grads)))
        assert norm > 1e-6
        np.testing.assert_allclose(factors[f"{name}_grad_norm"], norm, rtol=1e-4)
        weights = float(tf.sqrt(sum(tf.reduce_sum(v * v) for v in variables)))
        np.testing.assert_allclose(factors[f"{name}_weight_norm"], weights, rtol=1e-5)
    # v = ∇_w L_true and u_i = ⟨∇_w (Q₁ + Q₂)(s_i, a_i), v⟩ from per-example Jacobians.
    _, true_loss = _independent_sac_losses(agent, batch, seed)
    w = agent._critic_variables()
    with tf.GradientTape() as tape:
        loss = true_loss()
    v = tape.gradient(loss, w)
    np.testing.assert_allclose(factors["true_critic_loss"], float(loss), rtol=1e-5)
    v_norm = float(tf.sqrt(sum(tf.reduce_sum(g * g) for g in v)))
    np.testing.assert_allclose(factors["true_critic_grad_norm"], v_norm, rtol=1e-4)
    with tf.GradientTape(persistent=True) as tape:
        q = sum(
            c((batch.observations, batch.actions))[0]
            for c in (agent._critic_network_1, agent._critic_network_2)
        )
    jacobians = tape.jacobian(q, w)  # each [B, *variable.shape]
    u = sum(
        tf.reduce_sum(tf.reshape(j, [BATCH, -1]) * tf.reshape(g, [1, -1]), -1)
        for j, g in zip(jacobians, v)
    )
    np.testing.assert_allclose(
        factors["q_change"], float(tf.reduce_mean(tf.abs(u))), rtol=1e-4
    )
    # ‖∂y/∂s'‖ at the model's and at the real next observations.
    target = _independent_target(agent, batch, seed, through_actor=True)
    (model_next, model_reward), _ = model((batch.observations, batch.actions))
    for key, next_obs in (
        ("target_slope_model", model_next),
        ("target_slope_real", batch.next_observations),
    ):
        with tf.GradientTape() as tape:
            tape.watch(next_obs)
            y = target(next_obs, model_reward)
        slope = tf.norm(tape.gradient(y, next_obs), axis=-1)
        assert float(tf.reduce_mean(slope)) > 1e-4
        np.testing.assert_allclose(
            factors[key], float(tf.reduce_mean(slope)), rtol=1e-4
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(likelihood_weight=-1.0), "likelihood_weight"),
        (dict(likelihood_weight=1.0, model_loss="mle"), "model_loss='omd' only"),
        (dict(hypergradient_clip_norm=-1.0), "hypergradient_clip_norm"),
        (dict(hypergradient_clip_norm=1.0, model_loss="mle"), "model_loss='omd' only"),
    ],
)
def test_bad_likelihood_weight(pendulum, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_sac_agent(pendulum, **kwargs)


def test_train_applies_the_model_gradient(pendulum, experience):
    """With SGD(0.1) on the model, θ moves by −0.1·(eq. 13 at the post-inner w)."""
    agent = make_sac_agent(pendulum, sgd=True, seed=7)
    theta = agent.model_network.trainable_variables
    before = [v.numpy() for v in theta]
    twin = tf.random.Generator.from_seed(7)
    seed = twin.uniform_full_int([2], dtype=tf.int32)
    agent.train(experience)
    after = [v.numpy() for v in theta]
    for v, b in zip(theta, before):  # gradient at the pre-update θ
        v.assign(b)
    _, grads = agent.model_gradients(_batch(agent, experience), seed)
    for a, b, g in zip(after, before, grads):
        np.testing.assert_allclose(a, b - 0.1 * g.numpy(), rtol=1e-4, atol=1e-6)


def test_inner_loss_reaches_the_model_and_true_loss_does_not(pendulum, experience):
    agent = make_sac_agent(pendulum)
    batch = _batch(agent, experience)
    seed = tf.constant([1, 2], tf.int32)
    theta = agent.model_network.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        inner = agent.model_critic_loss(batch, seed)
        outer = agent.true_critic_loss(batch, seed)
    inner_grads = tape.gradient(inner, theta)
    outer_grads = tape.gradient(outer, theta)
    assert all(g is not None for g in inner_grads)
    assert sum(float(tf.norm(g)) for g in inner_grads) > 1e-4
    assert all(g is None for g in outer_grads)


def test_mle_model_loss_is_squared_error(pendulum, experience):
    agent = make_sac_agent(pendulum, model_loss="mle")
    batch = _batch(agent, experience)
    loss, _ = agent.model_gradients(batch, tf.constant([0, 0]))
    (next_obs, reward), _ = agent.model_network((batch.observations, batch.actions))
    expected = np.mean(
        np.sum((next_obs - batch.next_observations) ** 2, axis=-1)
        + (reward - batch.rewards) ** 2
    )
    np.testing.assert_allclose(loss, expected, rtol=1e-6)


@pytest.mark.parametrize("model_loss", ["omd", "mle"])
def test_tf_agents_contract(pendulum, experience, model_loss):
    agent = make_sac_agent(pendulum, model_loss=model_loss, inverse="cg")
    assert agent.train_sequence_length == 2
    assert agent.policy.time_step_spec == pendulum.time_step_spec()
    assert agent.collect_policy.action_spec == pendulum.action_spec()
    step = pendulum.reset()
    action = agent.collect_policy.action(step).action
    assert action.shape == (1, 1)
    info = agent.train(experience)
    for name in (
        "critic_loss",
        "actor_loss",
        "alpha_loss",
        "model_loss",
        "model_next_obs_mse",
        "model_reward_mse",
        "model_reward_bias",
        "model_grad_norm",
        "true_critic_loss",
        "mean_q",
    ):
        assert np.isfinite(getattr(info.extra, name).numpy()), name
    assert int(agent.train_step_counter) == 1
    if model_loss == "omd":  # Both are L_true(w) after the critic step.
        np.testing.assert_allclose(
            info.extra.true_critic_loss, info.extra.model_loss, rtol=1e-6
        )


def test_train_traces_once(pendulum, experience):
    """After the first call (which also creates optimizer slots), no retrace."""
    agent = make_sac_agent(pendulum)
    train = common.function(agent.train)
    train(experience)
    traces = train.experimental_get_tracing_count()
    for _ in range(3):
        train(experience)
    assert train.experimental_get_tracing_count() == traces <= 2


def test_bad_arguments_fail_fast(pendulum):
    with pytest.raises(ValueError, match="`model_loss`"):
        make_sac_agent(pendulum, model_loss="vep")
    with pytest.raises(ValueError, match="`inner_steps`"):
        make_sac_agent(pendulum, inner_steps=0)
    with pytest.raises(ValueError, match="`inverse`"):
        make_sac_agent(pendulum, inverse="exact")
    cartpole = tf_py_environment.TFPyEnvironment(omd_tf.envs.load("CartPole-v1"))
    with pytest.raises(NotImplementedError, match="discrete"):
        make_sac_agent(cartpole)
