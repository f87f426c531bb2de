"""`make_trainer` settings of the population tests: 3 members, 200-step
intervals, a few hundred env steps each (imported by the test modules here)."""

TINY = dict(
    init_steps=200,
    batch_size=32,
    eval_interval=200,
    num_eval_episodes=2,
    checkpoint_interval=200,
    replay_capacity=2000,
    num_seeds=3,
    seed=5,
)
