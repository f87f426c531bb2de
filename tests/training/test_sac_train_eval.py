"""sac.train_eval / make_trainer and bin/train_sac.py: bad input, resume, export."""

import os

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.policies import greedy_policy
from tf_agents.trajectories import time_step as ts

from omd_tf import training
from omd_tf.training import loop
from omd_tf.training import sac

TINY = dict(
    env="InvertedPendulum-v5",
    hidden_dim=16,
    model_hidden_dim=8,
    init_steps=200,
    batch_size=32,
    eval_interval=200,
    num_eval_episodes=1,
    checkpoint_interval=200,
    replay_capacity=2000,
)
TINY_FLAGS = [f"--{name}={value}" for name, value in TINY.items()]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(env="CartPole-v1"), "--env='CartPole-v1' has discrete actions"),
        (dict(env="NoSuchEnv-v0"), "--env"),
        (dict(agent="vep"), "--agent"),
        (dict(hidden_dim=0), "--hidden_dim"),
        (dict(model_hidden_dim=-1), "--model_hidden_dim"),
        (dict(model_activation="sigmoid"), "--model_activation"),
        (dict(num_env_steps=0), "--num_env_steps"),
        (dict(inner_steps=0), "--inner_steps"),
        (dict(critic_lr=0.0), "--critic_lr"),
        (dict(rescale_actions="yes"), "--rescale_actions"),
        (dict(tau=0.0), "--tau"),
        (dict(gamma=1.5), "--gamma"),
        (dict(inverse="lu"), "--inverse"),
        (dict(num_distractors=-1), "--num_distractors"),
        (dict(model_grad_through_actor="no"), "--model_grad_through_actor"),
        (dict(likelihood_weight=-0.1), "--likelihood_weight"),
        (dict(likelihood_weight=0.1, agent="mle"), "--likelihood_weight applies"),
        (dict(hypergradient_clip_norm=-1.0), "--hypergradient_clip_norm"),
        (dict(hypergradient_clip_norm=1.0, agent="mle"), "--hypergradient_clip_norm applies"),
    ],
)
def test_bad_input_fails_before_writing_anything(tmp_path, kwargs, message):
    root = tmp_path / "run"
    with pytest.raises(training.ConfigError, match=message):
        sac.train_eval(str(root), **{**TINY, **kwargs})
    assert not root.exists()


def test_binary_trains_exports_and_rejects_bad_flags(
    tmp_path, run_binary, eval_csv_steps
):
    root = str(tmp_path / "run")
    result = run_binary(
        "train_sac.py", f"--root_dir={root}", "--num_env_steps=400", *TINY_FLAGS
    )
    assert result.returncode == 0, result.stderr
    assert "final mean eval return" in result.stdout
    assert "env steps 400/400" in result.stderr  # The progress line.
    assert eval_csv_steps(root) == [400]
    for path in (loop.POLICY_DIR, loop.CHECKPOINT_DIR, "train", "eval"):
        assert os.path.isdir(os.path.join(root, path)), path

    bad_root = tmp_path / "bad"
    for flag, message in (
        ("--env=CartPole-v1", "--env='CartPole-v1' has discrete actions"),
        ("--tau=2", "--tau must be in (0, 1], got 2.0"),
    ):
        result = run_binary("train_sac.py", f"--root_dir={bad_root}", flag)
        assert result.returncode != 0
        assert message in result.stderr
        assert not bad_root.exists()


def _network_variables(agent):
    nets = (
        agent._actor_network,
        agent._critic_network_1,
        agent._critic_network_2,
        agent._target_critic_network_1,
        agent._target_critic_network_2,
        agent.model_network,
    )
    return [v for net in nets for v in net.variables] + [agent._log_alpha]


def _greedy_actions(agent, observation):
    time_step = ts.restart(observation, batch_size=observation.shape[0])
    return greedy_policy.GreedyPolicy(agent.policy).action(time_step).action.numpy()


def test_inspect_hypergradient_reports_the_factors_of_a_run(tmp_path, run_binary):
    root = str(tmp_path / "run")
    flags = ["--num_env_steps=400", "--num_batches=2", *TINY_FLAGS]
    empty = run_binary("inspect_hypergradient.py", f"--root_dir={root}", *flags)
    assert empty.returncode != 0 and "has no checkpoint" in empty.stderr
    assert not os.path.exists(root)
    sac.train_eval(root, num_env_steps=400, **TINY)
    result = run_binary("inspect_hypergradient.py", f"--root_dir={root}", *flags)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{root} at 400 env steps, 2 batches of 32: mean (max)"
    names = [line.split()[0] for line in lines[1:]]
    assert names == [
        "true_critic_loss",
        "true_critic_grad_norm",
        "q_change",
        "target_slope_model",
        "target_slope_real",
        "dynamics_grad_norm",
        "dynamics_weight_norm",
        "reward_grad_norm",
        "reward_weight_norm",
    ]
    for line in lines[1:]:
        mean, largest = line.split()[1:]
        assert 0 < float(mean) <= float(largest.strip("()")) < np.inf, line


def test_resume_continues_from_the_checkpointed_step(tmp_path, eval_csv_steps):
    """A run to 400 env steps, then a run to 800 on its root_dir, continues at 400."""
    root = str(tmp_path / "run")
    first = sac.make_trainer(root, num_env_steps=400, **TINY)
    first.run()
    first.close()
    replay = first.replay_buffer.gather_all()
    observation = replay.observation[0, :100].numpy()
    variables = [v.numpy() for v in _network_variables(first.agent)]
    noise_state = first.agent._seed_stream.state.numpy()

    resumed = sac.make_trainer(root, num_env_steps=800, **TINY)
    assert resumed.env_steps == 400
    assert resumed.agent.train_step_counter.numpy() == 200
    for got, want in zip(
        tf.nest.flatten(resumed.replay_buffer.gather_all()), tf.nest.flatten(replay)
    ):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(_network_variables(resumed.agent), variables):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(resumed.agent._seed_stream.state, noise_state)
    np.testing.assert_array_equal(
        _greedy_actions(resumed.agent, observation),
        _greedy_actions(first.agent, observation),
    )
    resumed.run()
    resumed.close()
    assert resumed.env_steps == 800
    assert resumed.agent.train_step_counter.numpy() == 600
    assert eval_csv_steps(root) == [400, 600, 800]


def test_exported_policy_acts_like_the_live_greedy_one(tmp_path, exported_actions):
    root = str(tmp_path / "run")
    trainer = sac.make_trainer(root, num_env_steps=400, **TINY)
    trainer.run()
    trainer.close()
    observation = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    live = _greedy_actions(trainer.agent, observation)
    np.testing.assert_allclose(exported_actions(root, observation), live, rtol=1e-6)
    assert live.shape == (100, 1) and np.std(live) > 0.01  # Not a constant.


def test_train_summaries_carry_the_documented_tags(tmp_path, tensorboard_scalars):
    root = str(tmp_path / "run")
    sac.train_eval(root, num_env_steps=300, **TINY)
    tags = set(tensorboard_scalars(root, "train"))
    assert {
        "Losses/critic_loss",
        "Losses/actor_loss",
        "Losses/alpha_loss",
        "Losses/model_loss",
        "Diagnostics/model_next_obs_mse",
        "Diagnostics/model_reward_mse",
        "Diagnostics/model_reward_bias",
        "Diagnostics/model_grad_norm",
        "Diagnostics/true_critic_loss",
        "Diagnostics/mean_q",
    } <= tags, tags
    assert not any(tag.startswith("while/") for tag in tags)


@pytest.mark.parametrize("rescale_actions", [True, False])
def test_actions_and_target_entropy_on_the_rescaled_scale(tmp_path, rescale_actions):
    """The agent acts in [-1, 1] by default, target entropy −dim(A)/2 on it."""
    trainer = sac.make_trainer(
        str(tmp_path / "run"), rescale_actions=rescale_actions, **TINY
    )
    spec = trainer.agent.action_spec
    high = 1.0 if rescale_actions else 3.0
    np.testing.assert_array_equal(spec.maximum, [high])
    np.testing.assert_array_equal(spec.minimum, [-high])
    assert trainer.agent._target_entropy == -0.5  # pylint: disable=protected-access
    trainer.close()
