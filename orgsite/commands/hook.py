"""`orgsite hook pre-receive`: the server side of the trust core, run by git before any ref moves."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from orgsite.errors import OrgsiteError
from orgsite.repo import CommunityRepo
from orgsite.verify import RefUpdate, check_push


def parse_updates(lines: Iterable[str]) -> list[RefUpdate]:
    """The ref updates git hands a pre-receive hook ("<old> <new> <ref>" per line)."""
    updates = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            raise OrgsiteError(f"unexpected pre-receive input line {line.strip()!r}")
        updates.append(RefUpdate(*parts))
    return updates


def pre_receive(lines: Iterable[str]) -> list[str]:
    """The refusal lines for this push (empty when it is accepted)."""
    repo = CommunityRepo(os.environ.get("GIT_DIR", "."), include_quarantine=True)
    problems = check_push(repo, parse_updates(lines), now=int(time.time()))
    return [f"orgsite: {p}" for p in problems]
