"""Rebuilding a community's site after pushes: one build at a time, and the last push always rendered.

A push leaves a "pending" mark, then tries to become the builder (an exclusive lock). The builder
builds while marks keep appearing; a push that finds the lock taken just leaves its mark. Every
outcome is one line in the repository's build log, which `orgsite status` shows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orgsite.errors import OrgsiteError
from orgsite.model import short_id
from orgsite.repo import SITE_KEY, CommunityRepo
from orgsite.site.build import build_site
from orgsite.textsafe import terminal_safe


@dataclass(frozen=True)
class BuildFiles:
    """Where one repository keeps its build lock, its marks and its log.

    `pending` is left by every push; a builder claims it by renaming it to `claimed`, and removes
    `claimed` only after a build that covers it succeeded. A build that fails or is killed leaves the
    claim behind, so the push it was for is still owed a rendering (the next push, or `orgsite hook
    rebuild REPO`, builds it) and `orgsite status` says so.
    """

    lock: Path
    pending: Path
    claimed: Path
    log: Path

    @classmethod
    def of(cls, repo: CommunityRepo) -> BuildFiles:
        """The build files of `repo`, in its orgsite cache folder."""
        repo.cache_dir.mkdir(parents=True, exist_ok=True)
        folder = repo.cache_dir
        return cls(folder / "build.lock", folder / "build.pending", folder / "build.claimed", folder / "build.log")

    @contextlib.contextmanager
    def builder(self) -> Iterator[bool]:
        """Try to become the one builder: yields True while holding the lock, False when another holds it.

        The lock is the kernel's (flock): a builder that is killed lets go of it with its last breath.
        """
        with self.lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def building(self) -> bool:
        """True while some process holds the build lock."""
        with self.builder() as mine:
            return not mine

    def owed(self) -> bool:
        """True while some push is not rendered yet (waiting, or its build failed or was killed)."""
        return self.pending.exists() or self.claimed.exists()

    def last_lines(self, count: int = 5) -> list[str]:
        """The newest entries of the build log (tracebacks, indented below their entry, left out)."""
        if not self.log.exists():
            return []
        entries = [line for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines()
                   if line and not line.startswith(" ")]  # fmt: skip
        return entries[-count:]


def _log(files: BuildFiles, line: str, detail: str = "") -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    indented = "".join(f"    {row}\n" for row in detail.splitlines())
    with files.log.open("a", encoding="utf-8") as log:
        log.write(f"{stamp} {terminal_safe(line)}\n{terminal_safe(indented)}")


def build_once(repo_path: Path, site: Path, files: BuildFiles) -> bool:
    """One build of `site`, logged as `start`, then `ok …` or `error …` (with the traceback of an
    unexpected failure); never raises for a failed build. True when it succeeded."""
    started = time.perf_counter()
    _log(files, f"start {site}")
    try:
        report = build_site(repo_path, site)
    except OrgsiteError as e:
        _log(files, f"error {e}")
        return False
    except Exception as e:  # noqa: BLE001 (a bug must not end the rebuild silently: log it whole)
        _log(files, f"error {type(e).__name__}: {str(e)[:300]} (traceback in this log)", traceback.format_exc())
        return False
    warnings = f", {len(report.warnings)} warning(s): {report.warnings[0]}" if report.warnings else ""
    _log(files, f"ok {short_id(report.tip)}: {report.pages} pages, {report.posts} posts, {report.commits} commits in "
                f"{time.perf_counter() - started:.1f} s{warnings}")  # fmt: skip
    return True


def rebuild_until_current(repo_path: Path) -> None:
    """Build the configured site until no push is left unrendered, unless another builder is at it.

    A failed build stops the loop (the claim stays, owed to the next try) rather than retrying forever.
    """
    repo = CommunityRepo(repo_path)
    site = repo.config_get(SITE_KEY)
    if not site:
        return
    files = BuildFiles.of(repo)
    files.pending.touch()
    while files.pending.exists():
        with files.builder() as mine:
            if not mine:
                return  # the builder holding the lock will see our mark
            while files.owed():
                if files.pending.exists():
                    files.pending.replace(files.claimed)
                if not build_once(repo_path, Path(site), files):
                    return
                files.claimed.unlink(missing_ok=True)
        # A push may have left its mark after our last look but before we let go: look again.
