"""The kernel's exclusive file locks (flock), for work one process at a time may do: a process that
dies, however it dies, lets go of its lock."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from orgsite.progress import SILENT, Progress


@contextlib.contextmanager
def held(lock_file: Path, progress: Progress = SILENT, waiting: str = "Waiting") -> Iterator[None]:
    """Hold the lock on `lock_file` (made when missing) for the block, first waiting for whoever holds it
    (shown to `progress` as the phase `waiting`)."""
    with open(lock_file, "a") as handle:  # (closing it lets go of the lock)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            with progress.phase(waiting, 1) as advance:
                fcntl.flock(handle, fcntl.LOCK_EX)
                advance(1)
        yield
