"""`orgsite verify`: audit a whole community branch with the hook's own rules (`--site`: check_site.py)."""

from __future__ import annotations

from pathlib import Path

from orgsite.progress import SILENT, Progress
from orgsite.repo import CommunityRepo
from orgsite.snapshot import Snapshots
from orgsite.verify import AuditReport, audit


def verify_repository(
    path: Path, *, branch: str | None = None, introduction: str | None = None, progress: Progress = SILENT
) -> AuditReport:
    """The audit of `path`'s community branch (bare repository or clone)."""
    repo = CommunityRepo(path)
    return audit(repo, branch or Snapshots(repo).branch(), introduction=introduction, progress=progress)


def report_lines(report: AuditReport) -> list[str]:
    """What `orgsite verify` prints: one line per problem, then the summary."""
    summary = f"{report.checked} commits checked, {len(report.refused)} refused"
    return [*map(str, report.problems), *report.unpublished, summary]
