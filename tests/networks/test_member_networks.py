"""Populations of networks with a member axis (``num_members=N``)."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.networks import utils as network_utils
from tf_agents.specs import tensor_spec
from tf_agents.utils import common

from omd_tf import networks

N = 3
OBS = tensor_spec.TensorSpec([4], tf.float32)
ACTIONS = tensor_spec.BoundedTensorSpec([], tf.int64, 0, 2)
CONTINUOUS = tensor_spec.BoundedTensorSpec([2], tf.float32, -1.0, 1.0)


def _q(num_members, initializer):
    return networks.q_network(
        OBS, ACTIONS, hidden_dim=8, initializer=initializer, num_members=num_members
    )


def _value(num_members, initializer):
    return networks.value_network(
        OBS, hidden_dim=8, initializer=initializer, num_members=num_members
    )


def _model(num_members, initializer, action_spec=ACTIONS):
    return networks.ModelNetwork(
        OBS,
        action_spec,
        hidden_dim=8,
        initializer=initializer,
        num_members=num_members,
    )


def _continuous_model(num_members, initializer):
    return _model(num_members, initializer, CONTINUOUS)


def _observations(*outer):
    return tf.random.normal(list(outer) + [4], seed=1)


def _model_inputs(*outer):
    actions = tf.random.uniform(list(outer), 0, 3, tf.int64, seed=2)
    return _observations(*outer), actions


def _continuous_model_inputs(*outer):
    return _observations(*outer), tf.random.uniform(list(outer) + [2], -1, 1, seed=3)


# (network maker, inputs maker: outer dims -> inputs)
KINDS = {
    "q": (_q, _observations),
    "value": (_value, _observations),
    "model": (_model, _model_inputs),
    "continuous_model": (_continuous_model, _continuous_model_inputs),
}


def _built(make, num_members, initializer):
    net = make(num_members, initializer)
    net.create_variables()
    return net


def _member(nest, k):
    return tf.nest.map_structure(lambda t: t[k], nest)


@pytest.mark.parametrize("initializer", networks.INITIALIZERS)
@pytest.mark.parametrize("kind", KINDS)
def test_member_computes_as_a_single_network_with_its_weights(kind, initializer):
    """Member k on [N, B, ...] == single network with `copy_member(pop, k, .)`."""
    make, make_inputs = KINDS[kind]
    population = _built(make, N, initializer)
    single = _built(make, None, initializer)
    inputs = make_inputs(N, 5)
    outputs, _ = population(inputs)
    for k in range(N):
        networks.copy_member(population, k, single)
        expected, _ = single(_member(inputs, k))
        tf.nest.map_structure(
            lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
            _member(outputs, k),
            expected,
        )


@pytest.mark.parametrize("kind", KINDS)
def test_flat_batch_rows_belong_to_consecutive_members(kind):
    """[N·E, ...] gives the [N, E, ...] outputs, reshaped to [N·E, ...]."""
    make, make_inputs = KINDS[kind]
    population = _built(make, N, "glorot")
    inputs = make_inputs(N, 4)
    flat_inputs = tf.nest.map_structure(networks.merge_members, inputs)
    outputs, _ = population(inputs)
    flat_outputs, _ = population(flat_inputs)
    tf.nest.map_structure(
        lambda flat, full: np.testing.assert_allclose(
            flat, networks.merge_members(full), atol=1e-6
        ),
        flat_outputs,
        outputs,
    )
    assert tf.nest.flatten(flat_outputs)[0].shape[0] == N * 4


def test_flat_batch_must_split_into_members():
    population = _built(_q, N, "glorot")
    with pytest.raises(ValueError, match="does not split into 3 members"):
        population(tf.zeros([4, 4]))


def _kernels(net):
    return {
        v.name.split("/")[-2]: v.numpy() for v in net.variables if "kernel" in v.name
    }


def test_glorot_slices_have_the_single_kernel_distribution():
    """64x64 kernels with N=4: each slice is U(±√(6/128)), std √(2/128).

    Keras' fans of [4, 64, 64] would give std √(2/512), half of it.  The
    sample std of 4096 uniform values is within 1% (1.4 standard errors)
    of the true one; tolerance 5%.  The Q output slices are U(±0.03).
    """
    net = networks.q_network(
        tensor_spec.TensorSpec([64], tf.float32), ACTIONS, hidden_dim=64, num_members=4
    )
    net.create_variables()
    kernels = _kernels(net)
    limit = np.sqrt(6.0 / 128)
    for name in ("q_hidden0", "q_hidden1"):
        assert kernels[name].shape == (4, 64, 64)
        for kernel in kernels[name]:
            assert np.abs(kernel).max() <= limit
            np.testing.assert_allclose(kernel.std(), np.sqrt(2.0 / 128), rtol=0.05)
    output = kernels["q_output"]
    assert output.shape == (4, 64, 3) and np.abs(output).max() <= 0.03
    np.testing.assert_allclose(output.std(), 0.03 / np.sqrt(3), rtol=0.1)


def _gram(kernel):
    """KᵀK for a square or tall kernel [in, out], KKᵀ for a wide one."""
    tall = kernel.shape[0] >= kernel.shape[1]
    return kernel.T @ kernel if tall else kernel @ kernel.T


@pytest.mark.parametrize("kind", KINDS)
def test_orthogonal_slices_are_orthogonal_per_member(kind):
    """Gram matrix of every member's slice: gain²·I (atol 1e-5 after /gain²)."""
    population = _built(KINDS[kind][0], N, "orthogonal")
    for name, kernel in _kernels(population).items():
        gain = 0.01 if "output" in name else np.sqrt(2.0)
        for member_kernel in kernel:
            gram = _gram(member_kernel) / gain**2
            np.testing.assert_allclose(gram, np.eye(len(gram)), atol=1e-5, err_msg=name)


@pytest.mark.parametrize("initializer", networks.INITIALIZERS)
@pytest.mark.parametrize("kind", KINDS)
def test_members_draw_their_own_slices(kind, initializer):
    population = _built(KINDS[kind][0], N, initializer)
    for name, kernel in _kernels(population).items():
        for i in range(N):
            for j in range(i):
                assert not np.allclose(kernel[i], kernel[j]), name
    for v in population.variables:
        if "bias" in v.name:
            assert v.shape[0] == N and not np.any(v.numpy())


def test_member_initializer_draws_anew_and_rejects_shape_dependent_ones():
    initializer = networks.MemberInitializer("glorot_uniform")
    assert not np.allclose(initializer([2, 3, 3]), initializer([2, 3, 3]))
    with pytest.raises(ValueError, match="MemberInitializer supports"):
        networks.MemberInitializer("identity")


@pytest.mark.parametrize("kind", ["q", "value"])
def test_create_variables_gives_the_output_spec_of_one_row(kind):
    population = KINDS[kind][0](N, "glorot")
    spec = population.create_variables(OBS)
    expected = (3,) if kind == "q" else ()
    network_utils.check_single_floating_network_output(spec, expected, kind)
    target = common.maybe_copy_target_network_with_checks(
        population, input_spec=OBS, name="Target"
    )
    assert target.num_members == N
    assert [v.shape for v in target.variables] == [
        v.shape for v in population.variables
    ]


def test_model_create_variables_gives_the_output_spec_of_one_row():
    model = _model(N, "glorot")
    next_observation, reward = model.create_variables()
    assert next_observation.shape == (4,) and reward.shape == ()


@pytest.mark.parametrize("kind", KINDS)
def test_copy_is_an_independent_population(kind):
    """`copy()` before building (as the agents do) draws new member weights."""
    population = KINDS[kind][0](N, "glorot")
    other = population.copy(name="Other")
    population.create_variables()
    other.create_variables()
    assert other.num_members == N
    for a, b in zip(population.variables, other.variables):
        assert a.shape == b.shape and a.shape[0] == N
        assert a is not b
        if "kernel" in a.name:
            assert not np.allclose(a, b)


def test_member_dense_serialises_with_its_initializer():
    layer = _q(N, "orthogonal").layers[0]
    clone = tf.keras.layers.deserialize(tf.keras.layers.serialize(layer))
    assert isinstance(clone, networks.MemberDense)
    assert clone.num_members == N and clone.units == 8 and clone.name == "q_hidden0"
    wrapped = clone.kernel_initializer.initializer
    assert isinstance(wrapped, tf.keras.initializers.Orthogonal)
    assert wrapped.gain == pytest.approx(np.sqrt(2.0))


def test_jit_compiled_forward_and_gradient():
    population = _built(_q, N, "glorot")

    @tf.function(jit_compile=True)
    def loss_and_gradients(observations):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(population(observations)[0] ** 2)
        return loss, tape.gradient(loss, population.trainable_variables)

    observations = _observations(N, 2)
    loss, gradients = loss_and_gradients(observations)
    flat_loss, _ = loss_and_gradients(networks.merge_members(observations))
    assert np.isfinite(loss) and all(g.shape[0] == N for g in gradients)
    np.testing.assert_allclose(loss, flat_loss, rtol=1e-6)


def _kill_reward_mlp(model, member):
    """Member ``member``'s first reward layer: bias -1e3, so never positive."""
    bias = next(v for v in model.variables if "reward_hidden0/bias" in v.name)
    bias[member].assign(tf.fill([bias.shape[1]], -1e3))


def test_alive_mlps_per_member():
    model = networks.ModelNetwork(OBS, ACTIONS, num_members=N)
    model.create_variables()
    inputs = _model_inputs(N, 256)
    assert model.alive_mlps(inputs) == {"dynamics": [True] * N, "reward": [True] * N}
    _kill_reward_mlp(model, 1)
    assert model.alive_mlps(inputs) == {
        "dynamics": [True] * N,
        "reward": [True, False, True],
    }


def test_live_unit_fractions_per_member():
    """[N, hidden_dim]; row k is the single network's with member k's weights."""
    population = _built(_model, N, "glorot")
    single = _built(_model, None, "glorot")
    inputs = _model_inputs(N, 64)
    fractions = population.live_unit_fractions(inputs)
    for k in range(N):
        networks.copy_member(population, k, single)
        expected = single.live_unit_fractions(_member(inputs, k))
        assert sorted(expected) == sorted(fractions)
        for name, fraction in fractions.items():
            assert fraction.shape == (N, 8)
            np.testing.assert_allclose(fraction[k], expected[name])


def test_copy_member_rejects_other_architectures():
    population = _built(_q, N, "glorot")
    wider = networks.q_network(OBS, ACTIONS, hidden_dim=16)
    wider.create_variables()
    with pytest.raises(ValueError, match="does not match a member of"):
        networks.copy_member(population, 0, wider)
    with pytest.raises(ValueError, match="does not match a member of"):
        networks.copy_member(population, 0, _built(_model, None, "glorot"))
    single = _built(_q, None, "glorot")
    with pytest.raises(ValueError, match=r"`member` must be in \[0, 3\)"):
        networks.copy_member(population, N, single)
    with pytest.raises(ValueError, match="no member axis"):
        networks.copy_member(single, 0, single)


def test_member_values_are_slices_in_variable_order():
    population = _built(_value, N, "glorot")
    values = networks.member_values(population, 2)
    assert len(values) == len(population.variables)
    for value, variable in zip(values, population.variables):
        np.testing.assert_array_equal(value, variable.numpy()[2])
