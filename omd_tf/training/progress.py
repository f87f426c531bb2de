"""One-line training progress: env steps, last eval return, steps/s, ETA."""

import time


def _duration(seconds):
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{seconds:02d}s"
    return f"{minutes}m{seconds:02d}s"


class Progress:
    """Formats progress lines; the rate is over the steps since the last line."""

    def __init__(self, start_step, total_steps):
        self._last_step = start_step
        self._last_time = time.monotonic()
        self._total_steps = total_steps

    def line(self, step, eval_return):
        """E.g. 'env steps 20000/200000 | eval return 187.3 | 412 steps/s | ETA 7m17s'.

        Steps/s counts wall time since the previous line, evaluation included.
        """
        now = time.monotonic()
        elapsed = now - self._last_time
        rate = (step - self._last_step) / elapsed if elapsed > 0 else 0.0
        self._last_step, self._last_time = step, now
        eta = _duration((self._total_steps - step) / rate) if rate > 0 else "?"
        return (
            f"env steps {step}/{self._total_steps} | eval return {eval_return:.1f} | "
            f"{rate:.0f} steps/s | ETA {eta}"
        )
