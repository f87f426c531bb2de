"""agents.model_learning: argument handling of the shared model step.

The OMD / MLE / VEP gradients themselves are checked through the agents
(test_omd_soft_q_agent.py, test_omd_sac_agent.py).
"""

import pytest
import tensorflow as tf

from agents import model_learning
from omd_tf import networks


@pytest.fixture
def model(cartpole):
    return networks.ModelNetwork(
        cartpole.time_step_spec().observation, cartpole.action_spec(), hidden_dim=4
    )


def _learning(model, **kwargs):
    return model_learning.ModelLearning(model, tf.keras.optimizers.Adam(), **kwargs)


def test_iterative_inverses_default_to_a_damped_solve(model):
    for inverse in ("cg", "normal_cg"):
        learning = _learning(model, inverse=inverse)
        assert learning.inverse_options == dict(ridge=1e-3, max_iter=10)
    assert _learning(model).inverse_options == {}
    given = _learning(model, inverse="cg", inverse_options=dict(ridge=0.5))
    assert given.inverse_options == dict(ridge=0.5)


def test_bad_arguments_are_named(model):
    with pytest.raises(ValueError, match="`model_loss`"):
        _learning(model, model_loss="vep", allowed_losses=("omd", "mle"))
    with pytest.raises(ValueError, match="`inner_steps`"):
        _learning(model, inner_steps=True)
    with pytest.raises(ValueError, match="`value_networks`"):
        _learning(model, model_loss="vep")
