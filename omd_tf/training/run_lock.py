"""One run per root_dir at a time, by an OS file lock on ``root_dir/run.lock``.

The lock is `fcntl.flock` on an open file: the OS releases it when the
holding process ends, however it ends (kill -9, power loss), so a folder left
by a dead run is taken over without any cleanup.  The file itself stays; it
names the holder (pid, host, start time) for the message a second process
gets.
"""

import datetime
import fcntl
import os
import socket

from omd_tf.training import checks

FILE = "run.lock"


class RunLock:
    """The exclusive lock of one run's ``root_dir``, held until `release`."""

    def __init__(self, root_dir):
        """Creates ``root_dir`` if needed and takes its lock.

        Raises:
          checks.ConfigError: naming --root_dir, when it cannot be created or
            written, or when another live process holds its lock (the
            message names that process).
        """
        self._path = os.path.join(root_dir, FILE)
        try:
            os.makedirs(root_dir, exist_ok=True)
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise checks.ConfigError(
                f"--root_dir={root_dir!r} cannot be written: {err.strerror}."
            ) from err
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            holder = os.pread(self._fd, 1024, 0).decode(errors="replace").strip()
            os.close(self._fd)
            raise checks.ConfigError(
                f"--root_dir={root_dir!r} is in use by another run "
                f"({holder or 'process unknown'}); wait for it to end or pass "
                "another --root_dir."
            ) from err
        started = datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        )
        holder = f"pid {os.getpid()} on {socket.gethostname()}, since {started}"
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, holder.encode() + b"\n", 0)
        except OSError as err:
            self.release()
            raise checks.ConfigError(
                f"--root_dir={root_dir!r} cannot be written: {err.strerror}."
            ) from err

    def release(self):
        """Releases the lock (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)  # Closing the file releases its flock.
            self._fd = None
