"""`orgsite verify`: audit a whole community branch with the hook's own rules."""

from __future__ import annotations

from pathlib import Path

from orgsite.content import COMMUNITY_PATH, parse_community
from orgsite.errors import OrgsiteError
from orgsite.repo import CommunityRepo
from orgsite.verify import AuditReport, audit


def _default_branch(repo: CommunityRepo) -> str:
    head = repo.head()
    data = repo.read(head, COMMUNITY_PATH) if head else None
    if data:
        try:
            return parse_community(data.decode("utf-8")).branch
        except (OrgsiteError, UnicodeDecodeError):
            pass
    return repo.head_branch() or "main"


def verify_repository(path: Path, *, branch: str | None = None, introduction: str | None = None) -> AuditReport:
    """The audit of `path`'s community branch (bare repository or clone)."""
    repo = CommunityRepo(path)
    return audit(repo, branch or _default_branch(repo), introduction=introduction)


def report_lines(report: AuditReport) -> list[str]:
    """What `orgsite verify` prints: one line per problem, then the summary."""
    return [*map(str, report.problems), f"{report.checked} commits checked, {len(report.refused)} refused"]
