"""One-line training progress: env steps, last eval return, steps/s, ETA."""

import time

from omd_tf.training import curves


def _duration(seconds):
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{seconds:02d}s"
    return f"{minutes}m{seconds:02d}s"


class Progress:
    """Formats progress lines; the rate is over the steps since the last line.

    ``num_members`` N of a population: steps count per member, the rate
    counts the env steps of all members, and the eval return is the mean ±
    standard error over members.
    """

    def __init__(self, start_step, total_steps, num_members=1):
        self._last_step = start_step
        self._last_time = time.monotonic()
        self._total_steps = total_steps
        self._num_members = num_members

    def line(self, step, eval_returns):
        """E.g. 'env steps 20000/200000 | eval return 187.3 | 412 steps/s | ETA 7m17s'.

        ``eval_returns``: each member's mean eval return (one for one
        agent); a population's line reads e.g. 'eval return 187.3 ± 12.0
        (10 seeds) | 4120 steps/s (all seeds)', or '(9 of 10 seeds)' when
        one member's returns are left out (it diverged).  Steps/s counts
        wall time since the previous line, evaluation included.
        """
        now = time.monotonic()
        elapsed = now - self._last_time
        rate = (step - self._last_step) / elapsed if elapsed > 0 else 0.0
        self._last_step, self._last_time = step, now
        eta = _duration((self._total_steps - step) / rate) if rate > 0 else "?"
        returns, total = curves.mean_and_se_text(eval_returns), ""
        if self._num_members > 1:
            counted = len(eval_returns)
            of_all = "" if counted == self._num_members else f" of {self._num_members}"
            returns += f" ({counted}{of_all} seeds)"
            total = " (all seeds)"
        return (
            f"env steps {step}/{self._total_steps} | eval return {returns} | "
            f"{rate * self._num_members:.0f} steps/s{total} | ETA {eta}"
        )
