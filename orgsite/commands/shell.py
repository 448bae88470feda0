"""`orgsite shell REPO HANDLE --key FPR`: the forced command of every member's SSH key. Re-reads the
allowlist at the branch tip on every connection, then hands the connection to git-shell for a fetch
or push of this one repository; anything else is refused with one line."""

from __future__ import annotations

import os
from pathlib import Path

from orgsite.access.gate import Refused, door_problem, parse_request
from orgsite.repo import CommunityRepo
from orgsite.snapshot import Snapshots


def admit(repo_path: Path, handle: str, key_fingerprint: str, original_command: str | None, home: str) -> list[str]:
    """The git-shell command line for this connection; raises Refused with the reason otherwise."""
    request = parse_request(original_command)
    repo_real = os.path.realpath(repo_path)
    asked = request.resolved(home)
    if os.path.realpath(asked) != repo_real and os.path.realpath(asked + ".git") != repo_real:
        raise Refused(f"{request.path[:200]!r} is not this community's repository; this key opens only {repo_path}")
    repo = CommunityRepo(repo_real)
    snapshots = Snapshots(repo)
    tip = repo.branch_tip(snapshots.branch())
    problem = door_problem(snapshots.allowlist(tip) if tip else None, handle, key_fingerprint, request.service)
    if problem:
        raise Refused(problem)
    return ["git-shell", "-c", f"{request.service} {_single_quoted(repo_real)}"]


def _single_quoted(path: str) -> str:
    """`path` as git-shell wants its argument: always in single quotes (git's sq_dequote)."""
    return "'" + path.replace("'", "'\\''") + "'"


def shell(repo_path: Path, handle: str, key_fingerprint: str) -> None:
    """Run git for this connection (never returns), or raise Refused."""
    command = admit(
        repo_path, handle, key_fingerprint, os.environ.get("SSH_ORIGINAL_COMMAND"), os.path.expanduser("~")
    )
    os.execvp(command[0], command)  # noqa: S606 (git-shell, with a command it checks again)
