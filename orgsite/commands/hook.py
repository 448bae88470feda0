"""`orgsite hook pre-receive`: the server side of the trust core, run by git before any ref moves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable

from orgsite.errors import OrgsiteError
from orgsite.repo import FSCK_KEY, SITE_KEY, CommunityRepo
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
    if repo.config_get(FSCK_KEY) is None:
        # Communities made before orgsite set it get git's object checks from their next push on;
        # this push's trees are checked by the rules all the same.
        repo.config_set(FSCK_KEY, "true")
    problems = check_push(repo, parse_updates(lines), now=int(time.time()))
    return [f"orgsite: {p}" for p in problems]


def post_receive() -> list[str]:
    """Start a background rebuild of the site, if one is enabled; the pusher does not wait for it."""
    repo = CommunityRepo(os.environ.get("GIT_DIR", "."))
    if not repo.config_get(SITE_KEY):
        return []
    subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-P", "-m", "orgsite", "hook", "rebuild", str(repo.git_dir)],
        cwd=repo.git_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # git waits until the hook's output closes: the rebuild must not hold it
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return ["orgsite: the site is being rebuilt in the background (see `orgsite status`)"]
