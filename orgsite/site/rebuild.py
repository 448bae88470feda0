"""Rebuilding a community's site after pushes: one build at a time, and the last push always rendered.

A push leaves a "pending" mark, then tries to become the builder (an exclusive lock). The builder
builds while marks keep appearing; a push that finds the lock taken just leaves its mark. Every
outcome is one line in the repository's build log, which `orgsite status` shows.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import time
from dataclasses import dataclass
from pathlib import Path

from orgsite.errors import OrgsiteError
from orgsite.repo import SITE_KEY, CommunityRepo
from orgsite.site.build import build_site


@dataclass(frozen=True)
class BuildFiles:
    """Where one repository keeps its build lock, pending mark and log."""

    lock: Path
    pending: Path
    log: Path

    @classmethod
    def of(cls, repo: CommunityRepo) -> BuildFiles:
        """The build files of `repo`, in its orgsite cache folder."""
        repo.cache_dir.mkdir(parents=True, exist_ok=True)
        return cls(repo.cache_dir / "build.lock", repo.cache_dir / "build.pending", repo.cache_dir / "build.log")

    def building(self) -> bool:
        """True while some process holds the build lock."""
        with self.lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False

    def last_lines(self, count: int = 5) -> list[str]:
        """The newest lines of the build log."""
        if not self.log.exists():
            return []
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-count:]


def _log(files: BuildFiles, line: str) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with files.log.open("a", encoding="utf-8") as log:
        log.write(f"{stamp} {line}\n")


def build_once(repo_path: Path, site: Path, files: BuildFiles) -> None:
    """One build of `site`, logged as `ok …` or `error …`; never raises for a failed build."""
    started = time.perf_counter()
    try:
        report = build_site(repo_path, site)
    except OrgsiteError as e:
        _log(files, f"error {e}")
        return
    warnings = f", {len(report.warnings)} warning(s): {report.warnings[0]}" if report.warnings else ""
    _log(files, f"ok {report.pages} pages, {report.posts} posts, {report.commits} commits in "
                f"{time.perf_counter() - started:.1f} s{warnings}")  # fmt: skip


def rebuild_until_current(repo_path: Path) -> None:
    """Build the configured site until no push is left unrendered, unless another builder is at it."""
    repo = CommunityRepo(repo_path)
    site = repo.config_get(SITE_KEY)
    if not site:
        return
    files = BuildFiles.of(repo)
    files.pending.touch()
    while files.pending.exists():
        with files.lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # the builder holding the lock will see our mark
            while files.pending.exists():
                files.pending.unlink()
                build_once(repo_path, Path(site), files)
        # A push may have left its mark after our last look but before we let go: look again.
