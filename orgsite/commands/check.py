"""`orgsite check`: in a clone, what the server would refuse among the commits not pushed yet."""

from __future__ import annotations

import time
from pathlib import Path

from orgsite.errors import OrgsiteError
from orgsite.hookfiles import install_hooks
from orgsite.model import Problem
from orgsite.repo import ZERO_ID, CommunityRepo
from orgsite.snapshot import Snapshots
from orgsite.verify import RefUpdate, check_push


def unpushed_problems(repo_dir: Path) -> tuple[int, list[Problem]]:
    """(how many commits are not on the server yet, what the server's hook would say of pushing them)."""
    repo = CommunityRepo(repo_dir)
    head = repo.head()
    if head is None:
        raise OrgsiteError(f"{repo_dir}: nothing to check, there are no commits")
    snapshots = Snapshots(repo)
    branch = snapshots.branch()
    upstream = repo.remote_tip(branch)
    server_has = [upstream] if upstream else []
    update = RefUpdate(upstream or ZERO_ID, head, f"refs/heads/{branch}")
    problems = check_push(
        repo, [update], now=int(time.time()), introduction=snapshots.introduction(head), server_has=server_has
    )
    return len(repo.walk(head, server_has)), problems


def install_pre_push(repo_dir: Path) -> None:
    """Make every `git push` of the clone `repo_dir` run this check first."""
    install_hooks(CommunityRepo(repo_dir).git_dir, ("pre-push",))
