"""A population member whose loss turns NaN is frozen and left out; the others go on.

The agent-level half (the frozen rows, the spared members) is in
tests/agents/test_population_agent.py.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

from omd_tf.training import curves
from omd_tf.training import loop
from omd_tf.training import member_failures
from omd_tf.training import population
from omd_tf.training import soft_q
from tiny_population import TINY

NUM_MEMBERS = TINY["num_seeds"]


def _poison_after(trainer, members, train_step, nan_rewards):
    """From train step ``train_step`` on, the sampled rewards of ``members`` are NaN.

    ``members`` is held in a variable: a NaN reward known when the graph is
    compiled (every member poisoned by a constant mask) makes TensorFlow's
    graph optimiser return empty tensors from the compiled loop.
    """
    sample = trainer.sample
    counter = trainer.agent.train_step_counter
    members = tf.Variable(members, dtype=tf.int32, shape=[len(members)])

    def poisoned():
        experience = sample()
        return tf.cond(
            counter >= train_step,
            lambda: nan_rewards(experience, members),
            lambda: experience,
        )

    trainer.sample = poisoned


def _member_csvs(root):
    return [
        curves.read(run_dir)
        for run_dir in population.member_dirs(root, TINY["seed"], NUM_MEMBERS)
    ]


def test_a_diverged_member_is_marked_and_left_out_while_the_others_finish(
    tmp_path, run_until_interrupted, caplog, nan_rewards
):
    """Member 1's rewards turn NaN at env step 401 (train step 200).

    The clean run poisons no member, with the same graph (TensorFlow seeds
    random ops by their place in it) and the same interruption after the
    NaN and resume from the checkpoint at 400, before it.
    """
    roots, finals = {}, {}
    for name, poisoned_members in (("clean", []), ("poisoned", [1])):
        roots[name] = root = str(tmp_path / name)
        trainer = soft_q.make_trainer(root, num_env_steps=800, **TINY)
        _poison_after(trainer, poisoned_members, 200, nan_rewards)
        run_until_interrupted(trainer, 600)
        member_dirs = population.member_dirs(root, TINY["seed"], NUM_MEMBERS)
        if poisoned_members:
            assert member_failures.diverged(member_dirs[1]) == {
                "env_step": 401,
                "seed": 6,
                "loss": "model_loss",
            }
            assert "member 1 (seed 6) diverged at env step 401" in caplog.text
        resumed = soft_q.make_trainer(root, num_env_steps=800, **TINY)
        _poison_after(resumed, poisoned_members, 200, nan_rewards)
        assert resumed.env_steps == 400 and resumed.live_members == [0, 1, 2]
        finals[name] = loop.run_and_close(resumed)

    assert member_failures.diverged(member_dirs[1])["env_step"] == 401
    assert member_failures.finished(member_dirs) == [member_dirs[0], member_dirs[2]]
    clean, poisoned = _member_csvs(roots["clean"]), _member_csvs(root)
    assert poisoned[0] == clean[0] and poisoned[2] == clean[2]
    assert sorted(poisoned[1]) == [400]  # No evaluation after the divergence.
    assert not os.path.exists(os.path.join(member_dirs[1], "policy"))
    assert tf.saved_model.contains_saved_model(os.path.join(member_dirs[2], "policy"))
    with open(os.path.join(root, population.CSV)) as f:
        last = f.read().splitlines()[-1].split(",")
    assert last[0] == "800" and last[-1] == "2"
    assert finals["poisoned"] == pytest.approx(
        np.mean([clean[0][800], clean[2][800]]), rel=1e-5
    )


def test_a_population_stops_when_every_member_has_diverged(tmp_path, nan_rewards):
    trainer = soft_q.make_trainer(str(tmp_path / "run"), num_env_steps=600, **TINY)
    _poison_after(trainer, list(range(NUM_MEMBERS)), 200, nan_rewards)
    with pytest.raises(loop.RunStopped, match="loss of every member is inf or NaN"):
        loop.run_and_close(trainer)
