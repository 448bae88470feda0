"""`orgsite hook pre-receive|post-receive`: the server side of the trust core, run by git before any
ref moves, and what follows an accepted push (the doors' keys, the site's rebuild)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from orgsite.content import MEMBERS_DIR
from orgsite.errors import OrgsiteError
from orgsite.repo import AUTHORIZED_KEYS_KEY, FSCK_KEY, SITE_KEY, ZERO_ID, CommunityRepo
from orgsite.snapshot import Snapshots
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


def post_receive(lines: Iterable[str]) -> list[str]:
    """After an accepted push: bring the SSH door's keys in step when the membership changed (before
    the pusher's `git push` returns, so a removal closes the door with the push that makes it), and
    start the neighbours' sync when whom it follows changed, and the site's rebuild, in the
    background; what to tell the pusher."""
    repo = CommunityRepo(os.environ.get("GIT_DIR", "."))
    said = []
    keys_file = repo.config_get(AUTHORIZED_KEYS_KEY)
    updates = parse_updates(lines)
    if keys_file and any(_changes_members(repo, u) for u in updates):
        from orgsite.access.sync import sync_authorized_keys  # only here: the pre-receive never needs it

        try:
            count = sync_authorized_keys(repo, Path(keys_file))
            said.append(f"orgsite: SSH access updated ({count} key(s) in {keys_file})")
        except OrgsiteError as e:  # the push stands; `orgsite shell` still checks the allowlist itself
            said.append(f"orgsite: could not update SSH access: {e}")
    if any(_changes_follows(repo, u) for u in updates):
        _start(repo, "follow", "sync", str(repo.git_dir))
        said.append("orgsite: fetching and checking the neighbours it now follows (see `orgsite follow list`)")
    if repo.config_get(SITE_KEY):
        _start(repo, "hook", "rebuild", str(repo.git_dir))
        said.append("orgsite: the site is being rebuilt in the background (see `orgsite status`)")
    return said


def _changes_follows(repo: CommunityRepo, update: RefUpdate) -> bool:
    if update.new == ZERO_ID:
        return False
    snapshots = Snapshots(repo)
    before = snapshots.community(update.old).follows if update.old != ZERO_ID else ()
    return before != snapshots.community(update.new).follows


def _changes_members(repo: CommunityRepo, update: RefUpdate) -> bool:
    if update.new == ZERO_ID:
        return False
    before = repo.tree_id(update.old, MEMBERS_DIR) if update.old != ZERO_ID else None
    return before != repo.tree_id(update.new, MEMBERS_DIR)


def _start(repo: CommunityRepo, *command: str) -> None:
    """Run `orgsite COMMAND…` detached: the pusher does not wait for it."""
    subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-P", "-m", "orgsite", *command],
        cwd=repo.git_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # git waits until the hook's output closes: the rebuild must not hold it
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
