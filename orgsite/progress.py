"""Progress of long work (a build, an audit, a sync) for a person at a terminal: which phase, how far
along. The work reports through a `Progress`; the command line decides whether anyone sees it
(never on a pipe, never in a hook's log)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol

Advance = Callable[[int], None]  # "this many more steps are done"
CHUNK = 200  # commits judged between two reports


class Progress(Protocol):
    """Where long work says what phase it is in and how far along it is."""

    def phase(self, label: str, total: int) -> contextlib.AbstractContextManager[Advance]:
        """A phase of `total` steps; the context gives the function to call as steps are done."""
        ...


class Silent:
    """Progress nobody watches."""

    @contextlib.contextmanager
    def phase(self, label: str, total: int) -> Iterator[Advance]:
        """A phase whose steps are not shown."""
        yield lambda steps: None


SILENT = Silent()


def in_chunks(items: list[str], advance: Advance, size: int = CHUNK) -> Iterator[list[str]]:
    """`items` in chunks of `size`, reporting each chunk as done once the caller has handled it."""
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        yield chunk
        advance(len(chunk))
