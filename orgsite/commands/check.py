"""`orgsite check`: in a clone, what the server would refuse among the commits not pushed yet."""

from __future__ import annotations

import time
from pathlib import Path

from orgsite import policy
from orgsite.errors import OrgsiteError
from orgsite.model import Problem
from orgsite.repo import ZERO_ID, CommunityRepo
from orgsite.verify import Verifier, community_branch, introduction_of


def unpushed_problems(repo_dir: Path) -> tuple[int, list[Problem]]:
    """(how many commits are not on the server yet, what the server's rules say of them)."""
    repo = CommunityRepo(repo_dir)
    head = repo.head()
    if head is None:
        raise OrgsiteError(f"{repo_dir}: nothing to check, there are no commits")
    branch = community_branch(repo)
    upstream = repo.remote_tip(branch)
    intro = introduction_of(repo, head)
    ref_problems = policy.ref_update_problems(
        f"refs/heads/{branch}", upstream or ZERO_ID, head, branch=branch, zero=ZERO_ID,
        fast_forward=upstream is None or repo.is_ancestor(upstream, head),
        descends_from_introduction=repo.is_ancestor(intro, head),
    )  # fmt: skip
    commits = repo.walk(head, [upstream] if upstream else [])
    verifier = Verifier(repo, intro)
    try:
        verdicts = verifier.verdicts(commits)
    finally:
        verifier.close()
    now = int(time.time())
    problems = list(ref_problems)
    for commit in commits:
        problems.extend(verdicts[commit].problems)
        expired = policy.key_expired_problem(commit, verdicts[commit].key_expires_at, now)
        if verdicts[commit].accepted and expired:
            problems.append(expired)
    return len(commits), problems
