"""Small MLPs as TF-Agents networks (the paper's Q and value networks).

Hidden layers use ReLU, as in the paper; the model's MLPs can use another
of `ACTIVATIONS` (see `ModelNetwork`).  Kernels start from one of
`INITIALIZERS` (see `kernel_initializers`); biases start at zero.

With ``num_members=N`` a network is a population of N independently
initialised networks in one set of variables with a leading member axis (see
`MemberDense`, `MemberNetwork`, `copy_member`).
"""

import functools
import math
import numbers

import tensorflow as tf
from tf_agents.networks import network
from tf_agents.networks import sequential
from tf_agents.specs import tensor_spec

# Hidden-layer activations the networks accept (Keras names).
ACTIVATIONS = ("relu", "swish", "elu", "tanh")
# Kernel initialisation schemes (see `kernel_initializers`).
INITIALIZERS = ("glorot", "orthogonal")
# Fixed random value networks of the VEP baseline (paper section 6).
NUM_VEP_VALUE_NETWORKS = 5


def check_hidden_dim(hidden_dim, name="hidden_dim"):
    """Raises ValueError unless ``hidden_dim`` is a positive int."""
    if (
        isinstance(hidden_dim, bool)
        or not isinstance(hidden_dim, numbers.Integral)
        or hidden_dim <= 0
    ):
        raise ValueError(f"`{name}` must be a positive int, got {hidden_dim!r}.")


def _orthogonal(gain):
    return {"class_name": "Orthogonal", "config": {"gain": gain}}


def kernel_initializers(initializer, glorot_output="glorot_uniform"):
    """(hidden, output) kernel initialisers of a scheme, as Keras identifiers.

    'glorot': Keras' default glorot-uniform for hidden kernels and
    ``glorot_output`` for the output kernel.  'orthogonal' (the paper's
    reference code): `tf.keras.initializers.Orthogonal` with gain √2 for
    hidden kernels and 0.01 for the output kernel, so that the output starts
    near 0.  Identifiers rather than instances: each layer deserialises its
    own initialiser, and draws its own values.
    """
    if initializer not in INITIALIZERS:
        raise ValueError(
            f"`initializer` must be one of {INITIALIZERS}, got {initializer!r}."
        )
    if initializer == "orthogonal":
        return _orthogonal(math.sqrt(2.0)), _orthogonal(0.01)
    return "glorot_uniform", glorot_output


# Initialisers that draw every element independently, whatever the shape.
_ELEMENTWISE_INITIALIZERS = (
    tf.keras.initializers.RandomUniform,
    tf.keras.initializers.RandomNormal,
    tf.keras.initializers.TruncatedNormal,
)


@tf.keras.utils.register_keras_serializable(package="omd_tf")
class MemberInitializer(tf.keras.initializers.Initializer):
    """Kernel [N, D, H] whose every slice [n] is drawn as ``initializer`` draws [D, H].

    Keras would treat [N, D, H] as a convolution kernel (fans N·D and N·H)
    and `Orthogonal` would orthogonalise the flattened [N·D, H]; here each
    member's slice has the distribution of a single [D, H] kernel, and the
    slices are independent.  One batched op for all N slices.  Every call
    draws new values, unless ``initializer`` is seeded.

    Args:
      initializer: Keras identifier of a `VarianceScaling` (e.g.
        'glorot_uniform'), `Orthogonal`, `RandomUniform`, `RandomNormal` or
        `TruncatedNormal` initialiser.
    """

    def __init__(self, initializer):
        self.initializer = tf.keras.initializers.get(initializer)
        supported = _ELEMENTWISE_INITIALIZERS + (
            tf.keras.initializers.VarianceScaling,
            tf.keras.initializers.Orthogonal,
        )
        if not isinstance(self.initializer, supported):
            raise ValueError(
                "MemberInitializer supports "
                f"{[cls.__name__ for cls in supported]}, got {self.initializer!r}."
            )

    def __call__(self, shape, dtype=None, **kwargs):
        """Returns a [N, D, H] tensor for ``shape`` [N, D, H]."""
        del kwargs
        num_members, rows, cols = shape
        wrapped = self.initializer
        if isinstance(wrapped, tf.keras.initializers.Orthogonal):
            # Keras' Orthogonal, batched over the members.
            normal = tf.keras.initializers.RandomNormal(seed=wrapped.seed)(
                [num_members, max(rows, cols), min(rows, cols)], dtype=dtype
            )
            q, r = tf.linalg.qr(normal)
            q *= tf.sign(tf.linalg.diag_part(r))[..., tf.newaxis, :]
            if rows < cols:
                q = tf.linalg.matrix_transpose(q)
            return wrapped.gain * q
        if isinstance(wrapped, tf.keras.initializers.VarianceScaling):
            # Keras' fans of [N, D, H] are N times those of [D, H].
            fresh = tf.keras.initializers.VarianceScaling(
                scale=wrapped.scale * num_members,
                mode=wrapped.mode,
                distribution=wrapped.distribution,
                seed=wrapped.seed,
            )
        else:
            # A new instance: an unseeded Keras initialiser repeats its draws.
            fresh = type(wrapped).from_config(wrapped.get_config())
        return fresh(shape, dtype=dtype)

    def get_config(self):
        return {"initializer": tf.keras.initializers.serialize(self.initializer)}


@tf.keras.utils.register_keras_serializable(package="omd_tf")
class MemberDense(tf.keras.layers.Layer):
    """N Dense layers side by side: [N, B, D] -> [N, B, units].

    out[n] = activation(x[n] @ kernel[n] + bias[n]) with kernel [N, D, units]
    (each slice drawn by ``kernel_initializer``, see `MemberInitializer`)
    and bias [N, units] (zeros).
    """

    def __init__(
        self,
        num_members,
        units,
        activation=None,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_members = num_members
        self.units = units
        self.activation = tf.keras.activations.get(activation)
        self.kernel_initializer = MemberInitializer(kernel_initializer)
        self.input_spec = tf.keras.layers.InputSpec(ndim=3, axes={0: num_members})

    def build(self, input_shape):
        self.kernel = self.add_weight(
            "kernel",
            shape=[self.num_members, input_shape[-1], self.units],
            initializer=self.kernel_initializer,
        )
        self.bias = self.add_weight(
            "bias", shape=[self.num_members, self.units], initializer="zeros"
        )
        super().build(input_shape)

    def call(self, inputs):
        return self.activation(
            tf.matmul(inputs, self.kernel) + tf.expand_dims(self.bias, -2)
        )

    def get_config(self):
        return dict(
            super().get_config(),
            num_members=self.num_members,
            units=self.units,
            activation=tf.keras.activations.serialize(self.activation),
            kernel_initializer=tf.keras.initializers.serialize(
                self.kernel_initializer.initializer
            ),
        )


def mlp_layers(
    hidden_dim,
    output_dim,
    num_hidden_layers=2,
    name="mlp",
    initializer="glorot",
    glorot_output="glorot_uniform",
    activation="relu",
    num_members=None,
):
    """``num_hidden_layers`` Dense(hidden_dim, activation), then Dense(output_dim).

    Returns a list of unbuilt Keras layers mapping [B, D] -> [B, output_dim],
    named ``{name}_hidden{i}`` and ``{name}_output``, with zero biases and
    kernels from ``kernel_initializers(initializer, glorot_output)``;
    ``activation`` is one of `ACTIVATIONS`.  With ``num_members=N`` the
    layers are `MemberDense` layers mapping [N, B, D] -> [N, B, output_dim].
    """
    check_hidden_dim(hidden_dim)
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"`activation` must be one of {ACTIVATIONS}, got {activation!r}."
        )
    if num_members is None:
        dense = tf.keras.layers.Dense
    else:
        check_hidden_dim(num_members, "num_members")
        dense = functools.partial(MemberDense, num_members)
    hidden_initializer, output_initializer = kernel_initializers(
        initializer, glorot_output
    )
    hidden = [
        dense(
            hidden_dim,
            activation=activation,
            kernel_initializer=hidden_initializer,
            name=f"{name}_hidden{i}",
        )
        for i in range(num_hidden_layers)
    ]
    output = dense(
        output_dim, kernel_initializer=output_initializer, name=f"{name}_output"
    )
    return hidden + [output]


def split_members(tensor, num_members):
    """[N·E, ...] -> [N, E, ...]: rows k·E … (k+1)·E − 1 go to member k."""
    rows = tensor.shape[0]
    if rows is not None and rows % num_members:
        raise ValueError(
            f"A batch of {rows} rows does not split into {num_members} members."
        )
    return tf.reshape(tensor, [num_members, -1] + tensor.shape[1:].as_list())


def merge_members(tensor):
    """[N, E, ...] -> [N·E, ...], the inverse of `split_members`."""
    return tf.reshape(tensor, [-1] + tensor.shape[2:].as_list())


class MemberNetwork(network.Network):
    """A network with ``self._num_members`` members (None: a single network).

    Inputs [N, B, ...] (observations [N, B, D]) give outputs [N, B, ...].
    Flat inputs [N·E, ...] (observations [N·E, D], as from a batched
    environment whose rows k·E … (k+1)·E − 1 belong to member k) give flat
    outputs [N·E, ...].  Subclasses set ``_num_members`` and compute through
    `_member_call`.
    """

    @property
    def num_members(self):
        """Number of members N, or None for a single network."""
        return self._num_members

    def _member_call(self, call, inputs):
        """``call(inputs)``; flat inputs are split into members, outputs merged."""
        if self._num_members is None or tf.nest.flatten(inputs)[0].shape.rank != 2:
            return call(inputs)
        split = functools.partial(split_members, num_members=self._num_members)
        outputs = call(tf.nest.map_structure(split, inputs))
        return tf.nest.map_structure(merge_members, outputs)

    def create_variables(self, input_tensor_spec=None, **kwargs):
        """As `Network.create_variables`, on a flat batch of one row per member.

        Returns the output spec of one row, as for a single network.
        """
        if self._num_members is None or self._network_output_spec is not None:
            return super().create_variables(input_tensor_spec, **kwargs)
        if self._input_tensor_spec is None:
            self._input_tensor_spec = input_tensor_spec
        zeros = tensor_spec.zero_spec_nest(
            self._input_tensor_spec, outer_dims=(self._num_members,)
        )
        outputs, _ = self.__call__(zeros, **kwargs)
        self._network_output_spec = tf.nest.map_structure(
            lambda t: tf.TensorSpec(t.shape[1:], t.dtype), outputs
        )
        return self._network_output_spec


class MemberSequential(MemberNetwork, sequential.Sequential):
    """`sequential.Sequential` of `MemberDense` layers with ``num_members`` members."""

    def __init__(self, layers, num_members, input_spec=None, name=None):
        super().__init__(layers, input_spec=input_spec, name=name)
        self._num_members = num_members

    def call(self, inputs, network_state=(), **kwargs):
        return self._member_call(
            functools.partial(super().call, network_state=network_state, **kwargs),
            inputs,
        )


def _sequential(layers, input_spec, name, num_members):
    """`sequential.Sequential`, or `MemberSequential` with ``num_members``."""
    if num_members is None:
        return sequential.Sequential(layers, input_spec=input_spec, name=name)
    return MemberSequential(layers, num_members, input_spec=input_spec, name=name)


def member_values(population_network, member):
    """Member ``member``'s slices of the variables of a built population network.

    Returns a list of numpy arrays in ``population_network.variables`` order
    (kernel [N, D, H] -> [D, H], bias [N, H] -> [H]).
    """
    num_members = getattr(population_network, "num_members", None)
    if num_members is None:
        raise ValueError(
            f"`{population_network.name}` has no member axis (num_members=None)."
        )
    if not 0 <= member < num_members:
        raise ValueError(f"`member` must be in [0, {num_members}), got {member!r}.")
    return [v[member].numpy() for v in population_network.variables]


def copy_member(population_network, member, network):
    """Assigns member ``member`` of ``population_network`` to ``network``.

    ``network``: a built single (``num_members=None``) network of the same
    architecture; its i-th variable gets the ``member`` slice of the i-th
    variable of ``population_network`` (kernel[n] -> kernel, bias[n] -> bias).
    Raises ValueError when the variables do not match.
    """
    values = member_values(population_network, member)
    variables = network.variables
    expected = [list(value.shape) for value in values]
    got = [v.shape.as_list() for v in variables]
    if expected != got:
        raise ValueError(
            f"`{network.name}` does not match a member of "
            f"`{population_network.name}`: variable shapes {got}, member slices "
            f"{expected}."
        )
    for variable, value in zip(variables, values):
        variable.assign(value)


def num_discrete_actions(action_spec):
    """Number of actions of a scalar integer spec with minimum 0."""
    if not action_spec.dtype.is_integer or action_spec.shape.rank != 0:
        raise ValueError(
            f"Need a scalar integer (discrete) action spec, got {action_spec}."
        )
    if int(action_spec.minimum) != 0:
        raise ValueError(f"Discrete action spec must start at 0, got {action_spec}.")
    return int(action_spec.maximum) + 1


def q_network(
    observation_spec,
    action_spec,
    hidden_dim=32,
    initializer="glorot",
    name="QNetwork",
    num_members=None,
):
    """Q(s, .): observation [B, D] float32 -> Q-values [B, num_actions] float32.

    The output kernel starts small, so the initial Q-values are near 0: with
    ``initializer='glorot'`` U(-0.03, 0.03) as in TF-Agents' `QNetwork`, with
    'orthogonal' orthogonal with gain 0.01 (see `kernel_initializers`).
    With ``num_members=N``: [N, B, D] -> [N, B, num_actions] and
    [N·E, D] -> [N·E, num_actions] (see `MemberNetwork`).
    """
    small = tf.keras.initializers.RandomUniform(-0.03, 0.03)
    layers = mlp_layers(
        hidden_dim,
        num_discrete_actions(action_spec),
        name="q",
        initializer=initializer,
        glorot_output=small,
        num_members=num_members,
    )
    return _sequential(layers, observation_spec, name, num_members)


def value_network(
    observation_spec,
    hidden_dim=32,
    initializer="glorot",
    name="ValueNetwork",
    num_members=None,
):
    """V(s): observation [B, D] float32 -> values [B] float32.

    With ``num_members=N``: [N, B, D] -> [N, B] and [N·E, D] -> [N·E].
    """
    squeeze = tf.keras.layers.Lambda(lambda values: tf.squeeze(values, -1))
    layers = mlp_layers(
        hidden_dim, 1, name="value", initializer=initializer, num_members=num_members
    )
    return _sequential(layers + [squeeze], observation_spec, name, num_members)


def vep_value_networks(observation_spec, initializer="glorot", num_members=None):
    """VEP's `NUM_VEP_VALUE_NETWORKS` random `value_network`s, named VepValue{i}."""
    return [
        value_network(
            observation_spec,
            initializer=initializer,
            name=f"VepValue{i}",
            num_members=num_members,
        )
        for i in range(NUM_VEP_VALUE_NETWORKS)
    ]
