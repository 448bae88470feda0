"""The only home of the `git` binary: signing commits (git drives gpg and its pinentry) and pushing."""

from __future__ import annotations

import logging
import os
import random
import re
import subprocess
import time
from pathlib import Path

from orgsite.errors import RepoError
from orgsite.policy import SOMEONE_PUSHED_FIRST


def git(*args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run git in `cwd`; raises RepoError with git's own words when it fails and `check` is set."""
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as e:
        raise RepoError("git is not installed or not on PATH") from e
    if check and result.returncode != 0:
        said = (result.stderr or result.stdout).strip().replace("\n", " | ")
        raise RepoError(f"git {args[0]} failed in {cwd}: {said}")
    return result


def config_value(repo_dir: Path, key: str) -> str | None:
    """A git config value as git itself resolves it (repository, global, system), or None."""
    result = git("config", "--get", key, cwd=repo_dir, check=False)
    return result.stdout.strip() or None


def merge_bases(git_dir: Path, first: str, second: str) -> list[str]:
    """Every best common ancestor of two commits (several after criss-cross merges; none when unrelated)."""
    result = git("merge-base", "--all", first, second, cwd=git_dir, check=False)
    if result.returncode not in (0, 1):
        raise RepoError(f"git merge-base failed in {git_dir}: {result.stderr.strip()}")
    return result.stdout.split()


def commit_tree_signed(
    git_dir: Path, tree: str, parents: list[str], message: str, *, key: str, name: str, email: str
) -> str:
    """A new commit of `tree` signed by `key`, authored by name/email; returns its id (no ref moves)."""
    args = ["commit-tree", f"-S{key}", "-m", message]
    for parent in parents:
        args += ["-p", parent]
    identity = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    return git(*args, tree, cwd=git_dir, env=identity).stdout.strip()


def commit_paths_signed(work_dir: Path, paths: list[str], message: str, *, key: str) -> str:
    """Stage `paths` (added, changed or removed), commit only them signed by `key`; returns the commit id."""
    git("add", "--all", "--", *paths, cwd=work_dir)
    git("commit", f"-S{key}", "-m", message, "--only", "--", *paths, cwd=work_dir)
    return git("rev-parse", "HEAD", cwd=work_dir).stdout.strip()


# What git says when the branch moved under a push (someone else pushed first): worth a retry.
_RACE = re.compile(
    r"\(fetch first\)|non-fast-forward|cannot lock ref|failed to update ref|stale info|incorrect old value|"
    + re.escape(SOMEONE_PUSHED_FIRST)
)
_log = logging.getLogger("orgsite.push")


def push(work_dir: Path, *, key: str, patience: float = 300.0) -> str:
    """`git push` the current branch to its upstream, as a careful person would when others push too.

    When the branch moved meanwhile, the unpushed commits are rebased onto it, re-signed with `key`
    (members write only their own folder, so only their own edits can conflict), and the push is
    tried again after a random wait (growing, capped at 3 s: a burst of members spreads out), for at
    most `patience` seconds. Returns what git printed. Raises with one line saying what to do when the
    server refuses, the rebase conflicts, or patience runs out; the clone is never left half-rebased.
    """
    deadline = time.monotonic() + patience
    retry = 0
    while True:
        result = git("push", cwd=work_dir, check=False)
        output = (result.stderr + result.stdout).strip()
        if result.returncode == 0:
            return output
        if not _RACE.search(output):
            raise RepoError(f"the push was refused:\n{output}")
        if time.monotonic() > deadline:
            raise RepoError(
                f"the server stayed busy for {patience:.0f} s; your commit is intact: run `git push` in a moment\n"
                f"{output}"
            )
        retry += 1
        _log.warning("someone posted at the same moment; retrying (%d)", retry)
        time.sleep(random.uniform(0.05, min(3.0, 0.1 * 2 ** min(retry, 6))))  # noqa: S311 (not a secret)
        git("fetch", "-q", cwd=work_dir)
        rebased = git("rebase", "-q", "--autostash", f"--gpg-sign={key}", "@{upstream}", cwd=work_dir, check=False)
        if rebased.returncode != 0:
            git("rebase", "--abort", cwd=work_dir, check=False)
            raise RepoError(
                "someone else changed the same file meanwhile; your commit is intact: run "
                "`git pull --rebase -S`, fix the file, `git rebase --continue`, then `git push`"
            )
