"""Deterministic dynamics and reward model f_θ(s, a), g_θ(s, a)."""

import tensorflow as tf

from omd_tf.networks import mlp


class ModelNetwork(mlp.MemberNetwork):
    """(observation, action) -> (next observation, reward), both deterministic.

    The input is concat(observation, one-hot(action)) for a scalar integer
    action spec (minimum 0) and concat(observation, action) for a float one,
    so the same network serves discrete- and continuous-action agents.  Two
    separate MLPs, each with two hidden layers of ``hidden_dim`` units (the
    paper's misspecification knob, down to 1; ReLU as in the paper), predict
    (with ``shared_trunk=True`` one such MLP with D + 1 outputs, [s', r], as
    the paper's SAC-based reference code has it)

      next_observation: [B, D] float32, the next observation itself (default)
        or, with ``predict_delta=True``, observation + the MLP output;
      reward: [B] float32.

    Direct prediction is the default: it is what the paper's CartPole model
    does, and with hidden width 1 it keeps the model genuinely unable to
    represent the dynamics (a residual model would copy s into s' for free).

    With ReLU and ``hidden_dim=1`` an MLP is dead (constant output, zero
    gradient) whenever its single second-layer unit is negative on every
    input: at initialisation when that unit's weight is negative, or later in
    training.  ``activation='swish'`` (MBPO's model activation) or 'elu' /
    'tanh' never have zero gradient on a whole input range.

    With ``num_members=N`` the model is a population of N models (see
    `mlp.MemberNetwork`): observations [N, B, D] with actions [N, B] or
    [N, B, A] give next observations [N, B, D] and rewards [N, B]; flat
    observations [N·E, D] with actions [N·E] or [N·E, A] give [N·E, D] and
    [N·E].
    """

    def __init__(
        self,
        observation_spec,
        action_spec,
        hidden_dim=32,
        predict_delta=False,
        activation="relu",
        initializer="glorot",
        shared_trunk=False,
        name="ModelNetwork",
        num_members=None,
    ):
        """Args:
        observation_spec: float `TensorSpec` of shape [D].
        action_spec: scalar integer `BoundedTensorSpec` starting at 0, or a
          float `BoundedTensorSpec` of shape [A].
        hidden_dim: width of both hidden layers of both MLPs (positive int).
        predict_delta: predict s' - s instead of s'.
        activation: hidden-layer activation, one of `mlp.ACTIVATIONS`.
        initializer: kernel initialisation, one of `mlp.INITIALIZERS` (see
          `mlp.kernel_initializers`; 'orthogonal' starts both outputs near 0).
        shared_trunk: one MLP ("model") for both outputs instead of a
          "dynamics" and a "reward" MLP.
        name: network name.
        num_members: None (one model) or the number of members N (positive
          int), each with its own independently initialised MLPs.
        """
        super().__init__(
            input_tensor_spec=(observation_spec, action_spec), state_spec=(), name=name
        )
        mlp.check_hidden_dim(hidden_dim, "hidden_dim")
        if observation_spec.shape.rank != 1 or not observation_spec.dtype.is_floating:
            raise ValueError(
                f"`observation_spec` must be a 1-D float spec, got {observation_spec}."
            )
        if action_spec.dtype.is_integer:
            self._num_actions = mlp.num_discrete_actions(action_spec)
        elif action_spec.dtype.is_floating and action_spec.shape.rank == 1:
            self._num_actions = None
        else:
            raise ValueError(
                "`action_spec` must be a scalar integer or a 1-D float spec, got "
                f"{action_spec}."
            )
        self._predict_delta = predict_delta
        self._num_members = num_members

        def make_mlp(mlp_name, output_dim):
            return tf.keras.Sequential(
                mlp.mlp_layers(
                    hidden_dim,
                    output_dim,
                    name=mlp_name,
                    initializer=initializer,
                    activation=activation,
                    num_members=num_members,
                ),
                name=mlp_name,
            )

        # Attributes, not a list: their names are the checkpoints' keys.
        if shared_trunk:
            self._model = make_mlp("model", observation_spec.shape[0] + 1)
        else:
            self._dynamics = make_mlp("dynamics", observation_spec.shape[0])
            self._reward = make_mlp("reward", 1)
        self._shared_trunk = shared_trunk

    @property
    def _mlps(self):
        """The MLPs; their outputs concatenated are [s', r]."""
        return [self._model] if self._shared_trunk else [self._dynamics, self._reward]

    def _features(self, inputs):
        observation, action = inputs
        if self._num_actions is None:
            action_features = tf.cast(action, tf.float32)
        else:
            action_features = tf.one_hot(action, self._num_actions, dtype=tf.float32)
        return tf.concat([observation, action_features], axis=-1)

    def _predict(self, inputs):
        features = self._features(inputs)
        outputs = tf.concat([mlp_model(features) for mlp_model in self._mlps], axis=-1)
        next_observation, reward = outputs[..., :-1], outputs[..., -1]
        if self._predict_delta:
            next_observation += inputs[0]
        return next_observation, reward

    def call(self, inputs, step_type=None, network_state=(), training=False):
        del step_type, training
        return self._member_call(self._predict, inputs), network_state

    @property
    def mlp_variables(self):
        """{MLP name: its trainable variables}: "dynamics" and "reward", or "model"."""
        return {mlp_model.name: mlp_model.trainable_variables for mlp_model in self._mlps}

    def live_unit_fractions(self, inputs):
        """Per hidden unit, the fraction of inputs on which its output moves.

        A unit is live on an input where the derivative of its activation is
        non-zero (for ReLU: a positive pre-activation); a unit live on no
        input of a large batch is dead, and a hidden layer of dead units
        makes the MLP's output constant.

        Args:
          inputs: (observations [B, D], actions [B] or [B, A]); with
            ``num_members=N``: (observations [N, B, D], actions [N, B] or
            [N, B, A]).

        Returns:
          {layer name: float32 [hidden_dim]} ([N, hidden_dim] with members)
          for the hidden layers of the dynamics and reward MLPs.
        """
        fractions = {}
        for mlp_model in self._mlps:
            hidden = self._features(inputs)
            for layer in mlp_model.layers[:-1]:
                bias = tf.expand_dims(layer.bias, -2)  # [1, H], members [N, 1, H].
                with tf.GradientTape() as tape:
                    pre_activation = tf.matmul(hidden, layer.kernel) + bias
                    tape.watch(pre_activation)
                    hidden = layer.activation(pre_activation)
                slope = tape.gradient(hidden, pre_activation)
                live = tf.cast(tf.not_equal(slope, 0.0), tf.float32)
                fractions[layer.name] = tf.reduce_mean(live, axis=-2)
        return fractions

    def alive_mlps(self, inputs):
        """{MLP name: bool}: whether each MLP is alive on ``inputs``.

        An MLP is alive when every hidden layer has a unit that is live (see
        `live_unit_fractions`) on at least one input.  A dead MLP (some
        hidden layer without a live unit) predicts the same for every input
        of the batch, and no gradient reaches its hidden layers.  With
        ``num_members=N``: {"dynamics": [bool] * N, "reward": [bool] * N},
        one per member.

        Args:
          inputs: as for `live_unit_fractions`.
        """
        fractions = self.live_unit_fractions(inputs)
        alive = {}
        for mlp_model in self._mlps:
            layers_alive = [
                tf.reduce_any(fractions[layer.name] > 0.0, axis=-1)
                for layer in mlp_model.layers[:-1]
            ]
            alive[mlp_model.name] = tf.reduce_all(layers_alive, axis=0).numpy().tolist()
        return alive
