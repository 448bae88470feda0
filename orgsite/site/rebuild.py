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
from orgsite.hookfiles import install_hooks
from orgsite.model import short_id
from orgsite.repo import SITE_KEY, CommunityRepo
from orgsite.site.build import BuildReport, build_site, check_out_dir
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


@dataclass(frozen=True)
class BuildOutcome:
    """How one rebuild went: the report when it succeeded, else what went wrong (and a traceback for a bug)."""

    report: BuildReport | None
    seconds: float
    error: str = ""
    traceback: str = ""

    @property
    def summary(self) -> str:
        """The build log's line: `ok <tip>: … pages … in N s`, or `error …`."""
        if self.report is None:
            return f"error {self.error}" + (" (traceback in this log)" if self.traceback else "")
        r = self.report
        warnings = f", {len(r.warnings)} warning(s): {r.warnings[0]}" if r.warnings else ""
        return (f"ok {short_id(r.tip)}: {r.pages} pages, {r.posts} posts, {r.commits} commits in "
                f"{self.seconds:.1f} s{warnings}")  # fmt: skip


def build_and_report(repo_path: Path, site: Path) -> BuildOutcome:
    """Build `site` once (swapped in whole, or not at all); never raises for a failed build: a bug is
    reported with its traceback rather than ending whoever rebuilds (the post-receive builder, `serve`)."""
    started = time.perf_counter()
    try:
        report = build_site(repo_path, site)
    except OrgsiteError as e:
        return BuildOutcome(None, time.perf_counter() - started, str(e))
    except Exception as e:  # noqa: BLE001 (a bug must not end the rebuilds silently: report it whole)
        why = f"{type(e).__name__}: {str(e)[:300]}"
        return BuildOutcome(None, time.perf_counter() - started, why, traceback.format_exc())
    return BuildOutcome(report, time.perf_counter() - started)


def build_once(repo_path: Path, site: Path, files: BuildFiles) -> bool:
    """One build of `site`, logged as `start`, then `ok …` or `error …` (with the traceback of an
    unexpected failure); never raises for a failed build. True when it succeeded."""
    _log(files, f"start {site}")
    outcome = build_and_report(repo_path, site)
    _log(files, outcome.summary, outcome.traceback)
    return outcome.report is not None


def enable_rebuilds(repo: CommunityRepo, site: Path) -> str:
    """Rebuild `site` after each accepted push to the bare `repo`, and build it once now; returns
    the first build's log line."""
    if repo.work_dir is not None:
        raise OrgsiteError(f"{repo.git_dir} is a clone; enable the site on the server's bare repository")
    site = site.absolute()
    check_out_dir(site)
    repo.config_set(SITE_KEY, str(site))
    install_hooks(repo.git_dir, ("post-receive",))
    files = BuildFiles.of(repo)
    build_once(repo.git_dir, site, files)
    return files.last_lines(1)[0]


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
