"""Softmax policy over the mean of several Q networks, with ε-uniform mixing."""

import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step

from omd_tf import networks


class SoftQPolicy(tf_policy.TFPolicy):
    """π(a|s) = (1 - ε) softmax(Q̄(s, .)/α)_a + ε / |A|, Q̄ the mean of the Q's.

    Sampling this mixture is the same as taking a uniformly random action with
    probability ε and otherwise sampling softmax(Q̄/α).  Wrap it in
    `tf_agents.policies.GreedyPolicy` for argmax actions.
    """

    def __init__(
        self,
        time_step_spec,
        action_spec,
        q_networks,
        alpha,
        epsilon=0.0,
        emit_log_probability=False,
        name=None,
    ):
        """Args:
        time_step_spec: `TimeStep` spec; observations float [D].
        action_spec: scalar integer `BoundedTensorSpec` with minimum 0.
        q_networks: sequence of networks mapping observations [B, D] to
          Q-values [B, num_actions].
        alpha: softmax temperature α > 0.
        epsilon: probability ε in [0, 1] of a uniformly random action.
        emit_log_probability: emit log π(a|s) in the policy info.
        name: policy name.
        """
        if not alpha > 0:
            raise ValueError(f"`alpha` must be > 0, got {alpha!r}.")
        if not 0 <= epsilon <= 1:
            raise ValueError(f"`epsilon` must be in [0, 1], got {epsilon!r}.")
        super().__init__(
            time_step_spec,
            action_spec,
            emit_log_probability=emit_log_probability,
            name=name,
        )
        self._num_actions = networks.num_discrete_actions(action_spec)
        self._q_networks = tuple(q_networks)
        self._alpha = alpha
        self._epsilon = epsilon

    def _variables(self):
        return [v for net in self._q_networks for v in net.variables]

    def _distribution(self, time_step, policy_state):
        q_values = [
            net(time_step.observation, step_type=time_step.step_type)[0]
            for net in self._q_networks
        ]
        logits = tf.add_n(q_values) / (len(q_values) * self._alpha)
        if self._epsilon:
            probs = (1.0 - self._epsilon) * tf.nn.softmax(logits) + (
                self._epsilon / self._num_actions
            )
            logits = tf.math.log(probs)
        distribution = tfp.distributions.Categorical(
            logits=logits, dtype=self.action_spec.dtype
        )
        return policy_step.PolicyStep(distribution, policy_state)
