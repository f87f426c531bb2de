"""The sweep's ETA: trials side by side, list-scheduled on the slots."""

import pytest

from omd_tf.sweeps import run


@pytest.mark.parametrize(
    "running_elapsed, queued, slots, expected",
    [
        # Two 55-minute trials side by side, one just finished at 51 min: the
        # other ends in 4 min (the old estimate, 51 min per finished trial
        # one after another, said 51).
        ([51.0], 0, 2, 4.0),
        # The same with 10 more queued on 2 slots: slot A is free now, slot B
        # in 4 min; A runs 5 of them (5 × 55 = 275), B the other 5 (4 + 275).
        ([51.0], 10, 2, 279.0),
        # One slot: the running trial's rest, then the queue one by one.
        ([20.0], 3, 1, 35.0 + 3 * 55.0),
        # A trial that has run longer than the mean ends "now", not before.
        ([80.0, 10.0], 0, 2, 45.0),
        # Nothing left.
        ([], 0, 2, 0.0),
        # Idle slots take queued trials at once.
        ([], 3, 4, 55.0),
    ],
)
def test_eta_is_list_scheduling_of_the_rest(running_elapsed, queued, slots, expected):
    assert run.eta_seconds(55.0, running_elapsed, queued, slots) == pytest.approx(expected)
