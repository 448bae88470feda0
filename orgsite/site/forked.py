"""Work shared with a forked copy of the build process, on the machine's other core.

A build's longest steps (rendering thousands of pages with Jinja, laying them into their prototypes)
are pure Python over the history it has read: a fork inherits that history for free, so the other
half of the work needs no second reading. The copy renders and writes; it never opens a cache or a
keyring (SQLite and gpg stay with the parent) and reads the repository only through libgit2's
memory-mapped packs, which a fork shares safely.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import resource
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
# Work over items, and who does it: `here` alone, or `on_both_cores` (with its spool given).
Spread = Callable[[Sequence[Item], Callable[[Sequence[Item]], Iterable[Result]]], Iterable[Result]]
WORTH_A_FORK = 200  # fewer items than this are done here: a fork costs more than it saves
# Above this much resident memory the work is done here: the copy comes to hold much of what it reads
# (CPython writes the counts of the objects it touches, and the kernel copies their pages), and a build
# with its copy must stay within 1 GiB (a cold build at 10,000 posts holds 800 MiB; a warm one 300–550).
MOST_MEMORY_TO_FORK = 600 * 2**20
_PR_SET_PDEATHSIG = 1  # prctl(2)


class _Failed:
    """What the copy hands back when its work raised: the exception, raised again in the parent."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _die_with(parent: int) -> None:
    """Have the kernel end this process when `parent` ends (Linux): a killed build leaves no copy working."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the kernel was told
        os._exit(1)


def _failure(error: Exception) -> bytes:
    """`error`, ready to hand to the parent (as its message alone when it cannot be pickled)."""
    try:
        return pickle.dumps(_Failed(error), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 (some exceptions hold what pickle cannot take)
        return pickle.dumps(_Failed(RuntimeError(f"{type(error).__name__}: {error}")))


def _resident_bytes() -> int:
    """This process's resident memory now (its peak where /proc cannot say)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _work_in_copy(
    work: Callable[[Sequence[Item]], Iterable[Result]], share: Sequence[Item], spool: Path, parent: int
) -> None:
    """The forked copy's whole life: do `share`, write each result to `spool`, exit without returning."""
    status = 1
    try:
        _die_with(parent)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # an interrupted build ends both processes at once
        with spool.open("wb") as out:
            try:
                for result in work(share):
                    pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as e:  # noqa: BLE001 (handed to the parent, which raises it as its own)
                out.write(_failure(e))
        status = 0
    finally:
        # Never back into the parent's code: no cleanup of its scratch folder, no flush of its buffers.
        os._exit(status)


def _read_back(spool: Path) -> Iterator[object]:
    with spool.open("rb") as results:
        while True:
            try:
                yield pickle.load(results)
            except EOFError:
                return


def here(items: Sequence[Item], work: Callable[[Sequence[Item]], Iterable[Result]]) -> Iterable[Result]:
    """Every result of `work` over `items`, done by this process alone."""
    return work(items)


def on_both_cores(
    items: Sequence[Item], work: Callable[[Sequence[Item]], Iterable[Result]], spool: Path
) -> Iterator[Result]:
    """Every result of `work` over `items`: every other item is done by a forked copy of this process
    while this one does the rest (yielded as made), then the copy's results are read back from the file
    `spool`. An exception in either is raised here. Done here alone on one core, without fork, for few
    items, or when this process holds much memory already (MOST_MEMORY_TO_FORK). `work` must read
    nothing that a fork cannot share (see the module's docstring)."""
    alone = len(items) < WORTH_A_FORK or _cores() < 2 or not hasattr(os, "fork")
    if alone or _resident_bytes() > MOST_MEMORY_TO_FORK:
        yield from here(items, work)
        return
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        _work_in_copy(work, items[1::2], spool, parent)
    finished = False
    try:
        yield from work(items[0::2])
        _, status = os.waitpid(pid, 0)
        finished = True
        if status != 0:
            raise RuntimeError(f"the build's second process ended with status {status}")
        for result in _read_back(spool):
            if isinstance(result, _Failed):
                raise result.error
            yield result
    finally:
        if not finished:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        spool.unlink(missing_ok=True)
