"""Small MLPs as TF-Agents networks (the paper's Q and value networks).

Hidden layers use ReLU, as in the paper; the model's MLPs can use another
of `ACTIVATIONS` (see `ModelNetwork`).  Kernels start from one of
`INITIALIZERS` (see `kernel_initializers`); biases start at zero.
"""

import math
import numbers

import tensorflow as tf
from tf_agents.networks import sequential

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


def mlp_layers(
    hidden_dim,
    output_dim,
    num_hidden_layers=2,
    name="mlp",
    initializer="glorot",
    glorot_output="glorot_uniform",
    activation="relu",
):
    """``num_hidden_layers`` Dense(hidden_dim, activation), then Dense(output_dim).

    Returns a list of unbuilt Keras layers mapping [B, D] -> [B, output_dim],
    named ``{name}_hidden{i}`` and ``{name}_output``, with zero biases and
    kernels from ``kernel_initializers(initializer, glorot_output)``;
    ``activation`` is one of `ACTIVATIONS`.
    """
    check_hidden_dim(hidden_dim)
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"`activation` must be one of {ACTIVATIONS}, got {activation!r}."
        )
    hidden_initializer, output_initializer = kernel_initializers(
        initializer, glorot_output
    )
    hidden = [
        tf.keras.layers.Dense(
            hidden_dim,
            activation=activation,
            kernel_initializer=hidden_initializer,
            name=f"{name}_hidden{i}",
        )
        for i in range(num_hidden_layers)
    ]
    output = tf.keras.layers.Dense(
        output_dim, kernel_initializer=output_initializer, name=f"{name}_output"
    )
    return hidden + [output]


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
    observation_spec, action_spec, hidden_dim=32, initializer="glorot", name="QNetwork"
):
    """Q(s, .): observation [B, D] float32 -> Q-values [B, num_actions] float32.

    The output kernel starts small, so the initial Q-values are near 0: with
    ``initializer='glorot'`` U(-0.03, 0.03) as in TF-Agents' `QNetwork`, with
    'orthogonal' orthogonal with gain 0.01 (see `kernel_initializers`).
    """
    small = tf.keras.initializers.RandomUniform(-0.03, 0.03)
    return sequential.Sequential(
        mlp_layers(
            hidden_dim,
            num_discrete_actions(action_spec),
            name="q",
            initializer=initializer,
            glorot_output=small,
        ),
        input_spec=observation_spec,
        name=name,
    )


def value_network(
    observation_spec, hidden_dim=32, initializer="glorot", name="ValueNetwork"
):
    """V(s): observation [B, D] float32 -> values [B] float32."""
    squeeze = tf.keras.layers.Lambda(lambda values: tf.squeeze(values, -1))
    return sequential.Sequential(
        mlp_layers(hidden_dim, 1, name="value", initializer=initializer) + [squeeze],
        input_spec=observation_spec,
        name=name,
    )


def vep_value_networks(observation_spec, initializer="glorot"):
    """VEP's `NUM_VEP_VALUE_NETWORKS` random `value_network`s, named VepValue{i}."""
    return [
        value_network(observation_spec, initializer=initializer, name=f"VepValue{i}")
        for i in range(NUM_VEP_VALUE_NETWORKS)
    ]
