"""OmdSoftQAgent: TF-Agents contract, the three model losses, the OMD gradient."""

import collections
import functools

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.policies import greedy_policy
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

from agents import OmdSoftQLossInfo
from agents import OmdSoftQAgent
from omd_tf import networks

GAMMA, ALPHA = 0.99, 0.01
Transitions = collections.namedtuple(
    "Transitions", "observation action reward next_observation discount mask"
)


def _sgd(learning_rate=1e-3):
    return tf.keras.optimizers.SGD(learning_rate)


def _transitions(experience):
    """The [B, 2] trajectory as transitions, written out by hand."""
    return Transitions(
        observation=experience.observation[:, 0],
        action=experience.action[:, 0],
        reward=experience.reward[:, 0],
        next_observation=experience.observation[:, 1],
        discount=experience.discount[:, 0],
        mask=tf.cast(experience.step_type[:, 0] != ts.StepType.LAST, tf.float32),
    )


def _target_variables(agent):
    return [v for net in agent.target_q_networks for v in net.variables]


def _all_variables(agent):
    return (
        agent.q_variables
        + _target_variables(agent)
        + agent.model_network.trainable_variables
    )


def _values(variables):
    return [v.numpy() for v in variables]


def _assign(variables, values):
    for variable, value in zip(variables, values):
        variable.assign(value)


def _assert_all_close(actual, expected, **kwargs):
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, **kwargs)


def _td_targets(agent, t, reward, next_observation):
    """y = r + γ d α lse(min_j Q̄_j(s')/α) [B], unclipped."""
    q_min = functools.reduce(
        tf.minimum, [net(next_observation)[0] for net in agent.target_q_networks]
    )
    value = ALPHA * tf.reduce_logsumexp(q_min / ALPHA, axis=-1)
    return reward + GAMMA * t.discount * value


def _td_loss(agent, t, reward, next_observation, bound=0.0):
    """½ Σ_j E[mask (Q_j(s, a) − y)²] on current weights, y clipped to ±bound if > 0."""
    target = _td_targets(agent, t, reward, next_observation)
    if bound:
        target = tf.clip_by_value(target, -bound, bound)
    loss = 0.0
    for net in agent.q_networks:
        q = tf.gather(net(t.observation)[0], t.action, batch_dims=1)
        loss += 0.5 * tf.reduce_mean(t.mask * tf.square(q - target))
    return loss


def _model_td_targets(agent, t):
    """L's TD targets [B] on the model's r_θ and s'_θ, unclipped."""
    next_observation, reward = agent.model_network((t.observation, t.action))[0]
    return _td_targets(agent, t, reward, next_observation)


def _model_td_loss(agent, t, bound=0.0):
    next_observation, reward = agent.model_network((t.observation, t.action))[0]
    return _td_loss(agent, t, reward, next_observation, bound)


@pytest.mark.parametrize("model_loss", ["omd", "mle", "vep"])
def test_tf_agents_contract(cartpole, replay_buffer, model_loss, make_agent):
    agent = make_agent(cartpole, model_loss)
    assert agent.time_step_spec == cartpole.time_step_spec()
    assert agent.action_spec == cartpole.action_spec()
    assert agent.train_sequence_length == 2
    assert agent.collect_data_spec == replay_buffer.data_spec
    for policy in (agent.policy, agent.collect_policy):
        assert policy.time_step_spec == agent.time_step_spec
        assert policy.action_spec == agent.action_spec
        action = policy.action(cartpole.reset()).action
        assert action.shape == (1,) and action.dtype == tf.int64
    dataset = replay_buffer.as_dataset(
        sample_batch_size=32, num_steps=agent.train_sequence_length
    )
    experience, _ = next(iter(dataset))
    info = agent.train(experience)
    assert isinstance(info, tf_agent.LossInfo)
    assert isinstance(info.extra, OmdSoftQLossInfo)
    for value in info.extra:
        assert value.shape == () and value.dtype == tf.float32
        assert np.isfinite(value.numpy())
    np.testing.assert_allclose(info.loss, info.extra.q_loss + info.extra.model_loss)
    assert agent.train_step_counter.numpy() == 1
    assert np.isfinite(agent.loss(experience).loss.numpy())


def test_train_step_traces_once(cartpole, experience, make_agent):
    agent = make_agent(cartpole)
    for _ in range(3):
        agent.train(experience)
    assert agent._train_fn.experimental_get_tracing_count() == 1


@pytest.mark.parametrize(
    "options", [dict(), dict(model_loss="mle", update_order="model_first")]
)
def test_xla_update_matches_the_plain_graph(cartpole, experience, make_agent, options):
    plain = make_agent(cartpole, jit_compile=False, **options)
    compiled = make_agent(cartpole, jit_compile=True, **options)
    _assign(_all_variables(compiled), _values(_all_variables(plain)))
    for _ in range(2):
        plain_info = plain.train(experience)
        compiled_info = compiled.train(experience)
    _assert_all_close(compiled_info.extra, plain_info.extra, rtol=1e-4, atol=1e-6)
    _assert_all_close(
        _all_variables(compiled), _all_variables(plain), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("model_loss", ["omd", "mle", "vep"])
def test_q_learns_only_from_model_outputs(cartpole, experience, model_loss, make_agent):
    agent = make_agent(cartpole, model_loss, _sgd(), _sgd())
    initial = _values(_all_variables(agent))
    agent.train(experience)
    q_after = _values(agent.q_variables)
    _assign(_all_variables(agent), initial)
    altered = experience._replace(
        reward=experience.reward + 5.0,
        observation=tf.concat(
            [experience.observation[:, :1], -experience.observation[:, 1:]], axis=1
        ),
    )
    agent.train(altered)
    _assert_all_close(_values(agent.q_variables), q_after, rtol=1e-6)


@pytest.mark.parametrize("model_loss", ["omd", "mle", "vep"])
def test_boundary_transitions_are_masked(cartpole, experience, model_loss, make_agent):
    agent = make_agent(cartpole, model_loss, _sgd(), _sgd())
    initial = _values(_all_variables(agent))
    agent.train(experience)
    after = _values(_all_variables(agent))
    _assign(_all_variables(agent), initial)
    boundary = (experience.step_type[:, :1] == ts.StepType.LAST)[..., None]
    garbage = experience._replace(
        reward=tf.where(boundary[..., 0], 1e3, experience.reward),
        observation=tf.where(boundary, 1e3, experience.observation),
    )
    agent.train(garbage)
    _assert_all_close(_values(_all_variables(agent)), after, rtol=1e-6)


def _inner_step_and_true_gradient(agent, t, initial, q_lr, tau, bound=0.0):
    """Checks the agent's inner step and Polyak update; returns ∂L_true/∂w.

    ``bound`` > 0: the TD targets clipped to ±bound.
    """
    w0, w_bar0, theta0 = initial
    w1, w_bar1 = _values(agent.q_variables), _values(_target_variables(agent))
    _assign(agent.q_variables, w0)
    _assign(_target_variables(agent), w_bar0)
    _assign(agent.model_network.trainable_variables, theta0)
    with tf.GradientTape() as tape:
        loss = _model_td_loss(agent, t, bound)
    grads = tape.gradient(loss, agent.q_variables)
    _assert_all_close(w1, [w - q_lr * g for w, g in zip(w0, grads)], atol=1e-6)
    _assert_all_close(
        w_bar1, [tau * w + (1 - tau) * b for w, b in zip(w1, w_bar0)], atol=1e-6
    )
    _assign(agent.q_variables, w1)
    _assign(_target_variables(agent), w_bar1)
    with tf.GradientTape() as tape:
        true_loss = _td_loss(agent, t, t.reward, t.next_observation, bound)
    return true_loss, tape.gradient(true_loss, agent.q_variables)


def _mixed_product(agent, t, vector, bound=0.0):
    """vᵀ ∂²L(θ, w)/∂θ∂w with two nested tapes (targets clipped to ±bound if > 0)."""
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            loss = _model_td_loss(agent, t, bound)
        grads = inner.gradient(loss, agent.q_variables)
    return outer.gradient(
        grads, agent.model_network.trainable_variables, output_gradients=vector
    )


def _run_sgd_agent(make_agent, cartpole, experience, q_lr, tau, prepare=None, **kwargs):
    """An OMD agent with plain SGD after one train step; ``prepare(agent)`` before it."""
    agent = make_agent(
        cartpole, "omd", _sgd(q_lr), _sgd(1.0), target_update_tau=tau, **kwargs
    )
    # Targets different from the online networks, so that w̄ matters.
    for variable in _target_variables(agent):
        variable.assign(variable * 0.8)
    if prepare:
        prepare(agent)
    initial = [
        _values(agent.q_variables),
        _values(_target_variables(agent)),
        _values(agent.model_network.trainable_variables),
    ]
    info = agent.train(experience)
    return agent, initial, info


def _mle_loss_and_gradient(agent, t):
    """The masked MLE loss of the current model and its gradient, by one tape."""
    theta = agent.model_network.trainable_variables
    with tf.GradientTape() as tape:
        next_obs, reward = agent.model_network((t.observation, t.action))[0]
        errors = tf.reduce_sum(tf.square(next_obs - t.next_observation), -1)
        errors += tf.square(reward - t.reward)
        loss = tf.reduce_sum(t.mask * errors) / tf.reduce_sum(t.mask)
    return loss, tape.gradient(loss, theta)


def _centre_model_targets_on(bound, experience, agent):
    """Shifts the model's reward bias: the median of L's TD targets becomes ``bound``."""
    median = np.median(_model_td_targets(agent, _transitions(experience)))
    (bias,) = [
        v for v in agent.model_network.trainable_variables
        if v.name == "reward_output/bias:0"
    ]
    bias.assign_add([bound - median])


def _clipped_fraction(agent, t, bound):
    """Fractions of L's and L_true's TD targets beyond ±bound, at the current weights."""
    return [
        float(tf.reduce_mean(tf.cast(tf.abs(y) > bound, tf.float32)))
        for y in (
            _model_td_targets(agent, t),
            _td_targets(agent, t, t.reward, t.next_observation),
        )
    ]


@pytest.mark.parametrize(
    "likelihood_weight, double_q, bound",
    [(0.0, True, 0.0), (0.5, True, 0.0), (0.0, False, 0.0), (0.0, True, 1.0)],
)
def test_omd_model_gradient_is_eq_13(
    cartpole, experience, make_agent, likelihood_weight, double_q, bound
):
    """With λ > 0 the step adds λ times the MLE gradient (and loss) to eq. 13.

    With one Q network (``double_q=False``) L is that network's TD loss alone.
    With ``td_target_bound`` B > 0 every TD target of L and L_true is clipped
    to [−B, B]; so that both losses have targets on either side of B
    (checked), the batch's rewards are drawn from N(0, B²) and r_θ is
    shifted to put the median of L's targets at B.
    """
    if bound:
        experience = experience._replace(
            reward=tf.random.stateless_normal(
                experience.reward.shape, seed=[0, 1], stddev=bound
            )
        )
    q_lr, tau = 0.05, 0.1
    agent, initial, info = _run_sgd_agent(
        make_agent,
        cartpole,
        experience,
        q_lr,
        tau,
        prepare=functools.partial(_centre_model_targets_on, bound, experience)
        if bound
        else None,
        likelihood_weight=likelihood_weight,
        double_q=double_q,
        td_target_bound=bound,
    )
    assert len(agent.q_networks) == len(agent.target_q_networks) == (2 if double_q else 1)
    theta1 = _values(agent.model_network.trainable_variables)
    t = _transitions(experience)
    true_loss, true_grad = _inner_step_and_true_gradient(
        agent, t, initial, q_lr, tau, bound
    )
    if bound:  # At θ0, w1 and w̄1: the weights of eq. 13.
        for fraction in _clipped_fraction(agent, t, bound):
            assert 0.1 < fraction < 0.9
    mle_loss, mle_grad = _mle_loss_and_gradient(agent, t)
    assert max(float(tf.reduce_max(tf.abs(m))) for m in mle_grad) > 1e-3
    np.testing.assert_allclose(
        info.extra.model_loss, true_loss + likelihood_weight * mle_loss, rtol=1e-5
    )
    hypergradient = [
        likelihood_weight * m - h
        for m, h in zip(mle_grad, _mixed_product(agent, t, true_grad, bound))
    ]
    # Plain SGD with learning rate 1: θ1 = θ0 − dL_true/dθ.
    applied = [t0 - t1 for t0, t1 in zip(initial[2], theta1)]
    _assert_all_close(applied, hypergradient, rtol=1e-4, atol=1e-6)
    norms = {
        v.name: np.abs(g).max()
        for v, g in zip(agent.model_network.trainable_variables, applied)
    }
    assert norms["dynamics_output/kernel:0"] > 1e-5
    assert norms["reward_output/kernel:0"] > 1e-5


def test_cg_inverse_with_one_iteration_rescales_eq_13(cartpole, experience, make_agent):
    """One CG step from 0 on (H + λI)u = v gives u = vᵀv / vᵀ(H + λI)v · v."""
    q_lr, tau, ridge = 0.05, 0.1, 0.5
    agent = make_agent(
        cartpole,
        "omd",
        _sgd(q_lr),
        _sgd(1.0),
        target_update_tau=tau,
        inverse="cg",
        inverse_options=dict(max_iter=1, ridge=ridge),
    )
    initial = [
        _values(agent.q_variables),
        _values(_target_variables(agent)),
        _values(agent.model_network.trainable_variables),
    ]
    agent.train(experience)
    theta1 = _values(agent.model_network.trainable_variables)
    t = _transitions(experience)
    _, v = _inner_step_and_true_gradient(agent, t, initial, q_lr, tau)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            loss = _model_td_loss(agent, t)
        grads = inner.gradient(loss, agent.q_variables)
    hv = outer.gradient(grads, agent.q_variables, output_gradients=v)
    vv = sum(np.sum(np.square(x)) for x in v)
    vhv = sum(np.sum(x * y) for x, y in zip(v, hv)) + ridge * vv
    scale = vv / vhv
    expected = [-scale * m for m in _mixed_product(agent, t, v)]
    applied = [t0 - t1 for t0, t1 in zip(initial[2], theta1)]
    _assert_all_close(applied, expected, rtol=1e-3, atol=1e-6)


def test_inspect_reports_the_state_that_the_model_step_saw(
    cartpole, experience, make_agent
):
    """After a train step with a frozen model, `inspect` sees what the model step saw.

    Its L_true, next-state error and identity-inverse hypergradient norm are
    the step's, and CG with one iteration is eq. (13) rescaled (cosine 1).
    """
    agent = make_agent(cartpole, "omd", _sgd(0.05), _sgd(0.0))
    info = agent.train(experience).extra
    inspected = agent.inspect(experience, cg_iterations=1)
    for name, expected in [
        ("true_td_loss", info.model_loss),
        ("model_next_obs_mse", info.model_next_obs_mse),
        ("model_reward_bias", info.model_reward_bias),
        ("hypergradient_norm", info.model_grad_norm),
    ]:
        np.testing.assert_allclose(inspected[name], expected, rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(inspected["hypergradient_cosine"], 1.0, rtol=1e-5)
    assert inspected["cg_hypergradient_norm"] > 0
    assert inspected["mean_q"].shape == ()
    several = agent.inspect(experience, cg_iterations=10)["hypergradient_cosine"]
    assert -1.0 <= several < 0.9999  # CG beyond one step: another direction.


def test_mle_loss_is_next_observation_plus_reward_error(
    cartpole, experience, make_agent
):
    agent = make_agent(cartpole, "mle")
    t = _transitions(experience)
    model_variables = agent.model_network.trainable_variables
    with tf.GradientTape() as tape:
        next_obs, reward = agent.model_network((t.observation, t.action))[0]
        obs_error = tf.reduce_sum(tf.square(next_obs - t.next_observation), axis=-1)
        reward_error = tf.square(reward - t.reward)
        expected = tf.reduce_sum(t.mask * (obs_error + reward_error)) / tf.reduce_sum(
            t.mask
        )
    gradient_norm = tf.linalg.global_norm(tape.gradient(expected, model_variables))
    info = agent.train(experience)
    np.testing.assert_allclose(info.extra.model_loss, expected, rtol=1e-5)
    # The diagnostics are the same errors, of the model before its step.
    obs_dims = t.observation.shape[-1]
    np.testing.assert_allclose(
        info.extra.model_next_obs_mse,
        np.sum(t.mask * obs_error) / np.sum(t.mask) / obs_dims,
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        info.extra.model_reward_mse,
        np.sum(t.mask * reward_error) / np.sum(t.mask),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        info.extra.model_reward_bias,
        np.sum(t.mask * (reward - t.reward)) / np.sum(t.mask),
        rtol=1e-5,
    )
    np.testing.assert_allclose(info.extra.model_grad_norm, gradient_norm, rtol=1e-5)


def test_vep_loss_is_value_plus_reward_error_with_fixed_values(
    cartpole, experience, make_agent
):
    agent = make_agent(cartpole, "vep")
    assert len(agent.value_networks) == 5
    values_before = [_values(net.variables) for net in agent.value_networks]
    t = _transitions(experience)
    next_obs, reward = agent.model_network((t.observation, t.action))[0]
    per_example = np.square(reward - t.reward)
    for net in agent.value_networks:
        per_example += np.square(net(t.next_observation)[0] - net(next_obs)[0])
    expected = np.sum(t.mask * per_example) / np.sum(t.mask)
    info = agent.train(experience)
    np.testing.assert_allclose(info.extra.model_loss, expected, rtol=1e-5)
    for net, before in zip(agent.value_networks, values_before):
        _assert_all_close(_values(net.variables), before)


def test_inner_steps(cartpole, experience, make_agent):
    q_optimizer, model_optimizer = _sgd(), _sgd()
    agent = make_agent(cartpole, "mle", q_optimizer, model_optimizer, inner_steps=3)
    agent.train(experience)
    assert q_optimizer.iterations.numpy() == 3
    assert model_optimizer.iterations.numpy() == 1


def test_diagnostics_are_those_of_the_inner_step(cartpole, experience, make_agent):
    agent = make_agent(cartpole, "mle")
    t = _transitions(experience)
    q_mean = 0.5 * sum(net(t.observation)[0] for net in agent.q_networks)
    probs = tf.nn.softmax(q_mean / ALPHA).numpy()
    entropy = -np.sum(probs * np.log(np.maximum(probs, 1e-30)), axis=-1)
    mean_q = np.mean(np.take_along_axis(q_mean.numpy(), t.action.numpy()[:, None], -1))
    q_loss = _model_td_loss(agent, t)
    info = agent.train(experience)
    np.testing.assert_allclose(info.extra.policy_entropy, entropy.mean(), rtol=1e-4)
    np.testing.assert_allclose(info.extra.mean_q, mean_q, rtol=1e-5)
    np.testing.assert_allclose(info.extra.q_loss, q_loss, rtol=1e-5)


def test_single_q_learns_from_its_own_target(cartpole, experience, make_agent):
    """double_q=False: one Q network, V̄ = α lse(Q̄₁/α), policies over Q₁ alone."""
    agent = make_agent(cartpole, double_q=False)
    (q_network,), (target,) = agent.q_networks, agent.target_q_networks
    assert agent.q_variables == q_network.trainable_variables
    for variable in target.variables:  # Unlike the online network.
        variable.assign(variable * 0.8)
    observation = experience.observation[:, 0]
    expected = ALPHA * tf.reduce_logsumexp(target(observation)[0] / ALPHA, axis=-1)
    np.testing.assert_allclose(
        agent.soft_target_value(observation), expected, rtol=1e-6
    )
    time_step = ts.restart(observation, batch_size=observation.shape[0])
    logits = agent.policy.distribution(time_step).action.logits
    np.testing.assert_allclose(logits, q_network(observation)[0] / ALPHA, rtol=1e-5)
    info = agent.train(experience)
    assert all(np.isfinite(value.numpy()) for value in info.extra)


def test_greedy_eval_policy(cartpole, make_agent):
    agent = make_agent(cartpole, greedy_eval=True)
    assert isinstance(agent.policy, greedy_policy.GreedyPolicy)


def test_bad_arguments_are_named(cartpole, make_agent):
    with pytest.raises(ValueError, match="`model_loss`"):
        make_agent(cartpole, "likelihood")
    with pytest.raises(ValueError, match="`inverse`"):
        make_agent(cartpole, inverse="lu")
    with pytest.raises(ValueError, match="`inner_steps`"):
        make_agent(cartpole, inner_steps=0)
    with pytest.raises(ValueError, match="`target_update_tau`"):
        make_agent(cartpole, target_update_tau=0.0)
    with pytest.raises(ValueError, match="`alpha`"):
        make_agent(cartpole, alpha=0.0)
    with pytest.raises(ValueError, match="`gamma`"):
        make_agent(cartpole, gamma=1.5)
    with pytest.raises(ValueError, match="`td_target_bound`"):
        make_agent(cartpole, td_target_bound=-1.0)
    with pytest.raises(ValueError, match="`update_order`"):
        make_agent(cartpole, "mle", update_order="q_last")
    with pytest.raises(ValueError, match="`update_order`"):
        make_agent(cartpole, "omd", update_order="model_first")
    with pytest.raises(ValueError, match="`q_network_2`"):
        make_agent(
            cartpole,
            double_q=False,
            q_network_2=networks.q_network(
                cartpole.time_step_spec().observation, cartpole.action_spec()
            ),
        )
    observation_spec = cartpole.time_step_spec().observation
    continuous = tensor_spec.BoundedTensorSpec([1], tf.float32, -1.0, 1.0)
    with pytest.raises(ValueError, match="discrete"):
        OmdSoftQAgent(
            cartpole.time_step_spec(),
            continuous,
            networks.q_network(observation_spec, cartpole.action_spec()),
            networks.ModelNetwork(observation_spec, continuous),
            tf.keras.optimizers.Adam(),
            tf.keras.optimizers.Adam(),
        )


def _q_steps_and_gradients(agent, experience):
    """(Δw, ∂L(θ, w)/∂w) of one train call on ``experience``, after three on
    other observations (so that a kept Adam state would show)."""
    for _ in range(3):
        agent.train(experience._replace(observation=-experience.observation))
    with tf.GradientTape() as tape:
        loss = _model_td_loss(agent, _transitions(experience))
    grads = [g.numpy() for g in tape.gradient(loss, agent.q_variables)]
    before = _values(agent.q_variables)
    agent.train(experience)
    steps = [w1 - w0 for w1, w0 in zip(_values(agent.q_variables), before)]
    return steps, grads


def _omd_agent_with_eps_free_adam(make_agent, env, lr, **kwargs):
    """An OMD agent whose Q Adam has ε = 1e-20, so a first step is ∓lr exactly."""
    return make_agent(env, "omd", tf.keras.optimizers.Adam(lr, epsilon=1e-20), **kwargs)


def _fraction_off_sign_steps(steps, grads, lr):
    """Fraction of Q weights whose step is not −lr·sign(g) (tolerance 1e-3·lr)."""
    off = [np.abs(s + lr * np.sign(g)) > 1e-3 * lr for s, g in zip(steps, grads)]
    assert sum(np.sum(g == 0) for g in grads) > 0  # Dead Q units: steps of 0.
    return sum(np.sum(o) for o in off) / sum(o.size for o in off)


@pytest.mark.parametrize("reset", [True, False])
@pytest.mark.parametrize("jit_compile", [False, True])
def test_reset_q_optimizer_makes_every_q_step_plus_or_minus_lr(
    cartpole, experience, make_agent, reset, jit_compile
):
    """With the reset, every Q weight moves by −lr·sign(g) on a fixed batch.

    Adam's first step is −lr·g/(|g| + ε/√(1−β₂)); ε = 1e-20 (Keras' default
    1e-7 would shrink the steps of the weights with |g| ≲ 3e-3 by more than
    the tolerance) makes it ∓lr for every g ≠ 0 and 0 for g = 0.  Tolerance
    1e-3·lr, float32 rounding of w ± lr.  Without the reset, Adam's state
    from three updates on other observations moves most weights otherwise.
    """
    lr = 3e-4
    agent = _omd_agent_with_eps_free_adam(
        make_agent, cartpole, lr, reset_q_optimizer=reset, jit_compile=jit_compile
    )
    off_fraction = _fraction_off_sign_steps(
        *_q_steps_and_gradients(agent, experience), lr
    )
    if reset:
        assert off_fraction == 0
    else:
        assert off_fraction > 0.5


@pytest.mark.parametrize("jit_compile", [False, True])
def test_q_lr_schedule_sets_the_step_size_at_the_agents_train_step(
    cartpole, experience, make_agent, jit_compile
):
    """With the reset and a linear decay 3e-4 → 3e-5 over 8 train steps, the
    fourth update (train step 3) moves every Q weight by exactly ∓lr₃·sign(g),
    lr₃ = 3e-4 − 2.7e-4·3/8, although the reset zeroes the optimiser's own
    step count each update (tolerance as above)."""
    lr0 = 3e-4
    schedule = tf.keras.optimizers.schedules.PolynomialDecay(lr0, 8, lr0 / 10)
    agent = _omd_agent_with_eps_free_adam(
        make_agent,
        cartpole,
        lr0,
        reset_q_optimizer=True,
        q_lr_schedule=schedule,
        jit_compile=jit_compile,
    )
    lr3 = lr0 - (lr0 - lr0 / 10) * 3 / 8
    steps, grads = _q_steps_and_gradients(agent, experience)
    assert _fraction_off_sign_steps(steps, grads, lr3) == 0
    assert _fraction_off_sign_steps(steps, grads, lr0) > 0.5


def test_q_lr_schedule_refuses_an_optimizer_with_its_own_schedule(
    cartpole, make_agent
):
    schedule = tf.keras.optimizers.schedules.PolynomialDecay(3e-4, 8, 3e-5)
    with pytest.raises(ValueError, match="`q_lr_schedule`"):
        make_agent(
            cartpole,
            "omd",
            tf.keras.optimizers.Adam(schedule),
            q_lr_schedule=schedule,
        )


def _model_loss(agent, t, model_loss):
    """MLE or VEP loss on the current θ: masked mean of (r_θ − r)² plus
    ‖f_θ(s, a) − s'‖² (MLE) or Σ_k (V_k(s') − V_k(f_θ(s, a)))² (VEP)."""
    next_obs, reward = agent.model_network((t.observation, t.action))[0]
    error = tf.square(reward - t.reward)
    if model_loss == "mle":
        error += tf.reduce_sum(tf.square(next_obs - t.next_observation), -1)
    for net in agent.value_networks:
        error += tf.square(net(t.next_observation)[0] - net(next_obs)[0])
    return tf.reduce_sum(t.mask * error) / tf.reduce_sum(t.mask)


def _q_step_weights(agent, t, theta, w0, w_bar0, q_lr):
    """w0 − q_lr·∂L(θ, w0)/∂w on transitions ``t``, written out by hand."""
    _assign(agent.model_network.trainable_variables, theta)
    _assign(agent.q_variables, w0)
    _assign(_target_variables(agent), w_bar0)
    with tf.GradientTape() as tape:
        loss = _model_td_loss(agent, t)
    grads = tape.gradient(loss, agent.q_variables)
    return [w - q_lr * g for w, g in zip(w0, grads)]


@pytest.mark.parametrize("model_loss", ["mle", "vep"])
def test_model_first_steps_q_on_the_second_batch_with_the_updated_model(
    cartpole, replay_buffer, experience, model_loss, make_agent
):
    """[model batch; Q batch]: θ1 from the model batch, then w1 from θ1 on the Q batch.

    SGD, so that each step is a plain gradient step computed independently
    here (tolerance rtol 1e-4, atol 1e-6, float32).  The Q step with the
    model before its step, or on the model batch, gives other weights.
    """
    q_lr, model_lr = 0.05, 0.5
    agent = make_agent(
        cartpole, model_loss, _sgd(q_lr), _sgd(model_lr), update_order="model_first"
    )
    assert agent.batches_per_train == 2
    dataset = replay_buffer.as_dataset(sample_batch_size=64, num_steps=2)
    q_experience = next(
        batch
        for batch, _ in dataset
        if not np.array_equal(batch.observation, experience.observation)
    )
    model_t, q_t = _transitions(experience), _transitions(q_experience)
    w0, w_bar0 = _values(agent.q_variables), _values(_target_variables(agent))
    theta0 = _values(agent.model_network.trainable_variables)
    with tf.GradientTape() as tape:
        loss = _model_loss(agent, model_t, model_loss)
    model_grads = tape.gradient(loss, agent.model_network.trainable_variables)
    theta1 = [t - model_lr * g for t, g in zip(theta0, model_grads)]

    info = agent.train(
        tf.nest.map_structure(lambda *t: tf.concat(t, 0), experience, q_experience)
    )
    w1 = _values(agent.q_variables)
    _assert_all_close(
        _values(agent.model_network.trainable_variables), theta1, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(info.extra.model_loss, loss, rtol=1e-5)
    expected = _q_step_weights(agent, q_t, theta1, w0, w_bar0, q_lr)
    _assert_all_close(w1, expected, rtol=1e-4, atol=1e-6)
    for theta, t in ((theta0, q_t), (theta1, model_t)):
        other = _q_step_weights(agent, t, theta, w0, w_bar0, q_lr)
        assert max(np.abs(a - b).max() for a, b in zip(other, expected)) > 1e-4
