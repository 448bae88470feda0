"""What a build read of the history, kept in the repository's cache for the next build: the last walk's
commits (each with its verdict, metadata and changes), and the posts' lineages at its tip. When a push
only added commits on top (see walks), the next build takes those back at once, and judges, reads and
folds only the new commits. Only ever an optimisation: what is missing, unreadable, or made by other
code is read again.

The commits are kept in runs, a file each, never rewritten: a build that read a few new commits writes
a run of those alone (writing all fifty thousand again cost a one-post build a fifth of a second), and
the newest runs are merged whenever one is no longer than twice the next, so there are few runs however
many builds there were. An index names the runs and holds the lineages."""

from __future__ import annotations

import contextlib
import dataclasses
import marshal
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orgsite import model, policy, provenance, repo, verdicts, verify
from orgsite.keyed_store import made_by
from orgsite.model import Verdict
from orgsite.provenance import Lineage
from orgsite.repo import CommitMeta, CommunityRepo

_NAME = "last-read-history"
_RUN = f"{_NAME}.run-"  # the prefix of a run's file
# One commit as kept: what every build reads of it (its id, parents, commit time, the paths it changed,
# whether it was accepted and whose key signed it, its digest), and the rest (its record, changes and
# verdict) in marshal's bytes, read when a page shows the commit: a tuple of seven plain values loads
# several times faster than the nested record.
Row = tuple


@dataclass(frozen=True)
class Kept:
    """The last walk's commits in order (a commit's row depends on nothing but the commit: the rows are
    good for any walk they begin), and the posts' lineages at `tip`, the walk's last commit. `runs`:
    the files the rows came from, with how many rows each holds."""

    rows: list[Row] = field(default_factory=list)
    tip: str | None = None
    lineages: dict[str, Lineage] = field(default_factory=dict)
    runs: tuple[tuple[str, int], ...] = ()


def _context(extra: str) -> str:
    # Read only by the code that made them (verdicts, merge rules, the fold, the diffs, this module),
    # and by the Python whose marshal wrote them.
    this = sys.modules[__name__]
    return made_by(model, policy, provenance, repo, verdicts, verify, this, versions=[sys.version, extra])


def row_of(
    commit: str, parents: Sequence[str], meta: CommitMeta, files: list[tuple], verdict: Verdict, digest: str
) -> Row:
    """What is kept of one commit (`files`: FilePatch's fields but the text; `digest`: history.commit_digest's)."""
    rest = marshal.dumps((dataclasses.astuple(meta), tuple(files), verdicts.as_plain(verdict)))
    paths = tuple(file[0] for file in files)
    return (commit, tuple(parents), meta.commit_time, paths, verdict.accepted, verdict.handle, digest, rest)


def rest_of(row: Row) -> tuple[tuple, tuple[tuple, ...], tuple]:
    """The commit's record (CommitMeta's fields), its changes (as given to row_of) and its verdict
    (verdicts.as_plain's)."""
    return marshal.loads(row[-1])


def kept(community: CommunityRepo, context: str) -> Kept:
    """What the last build kept, if this code kept it in this `context` (the verifier's and the commits'
    formats); else nothing."""
    folder = community.cache_dir
    try:
        kept_context, runs, tip, files = marshal.loads((folder / _NAME).read_bytes())
        if kept_context != _context(context):
            return Kept()
        rows: list[Row] = []
        for name, count in runs:
            run = marshal.loads((folder / name).read_bytes())
            if not isinstance(run, list) or len(run) != count:
                return Kept()
            rows += run
        return Kept(rows, tip, {path: Lineage(blob, writers) for path, (blob, writers) in files.items()}, tuple(runs))
    except (OSError, ValueError, EOFError, TypeError, AttributeError):
        return Kept()


def keep(
    community: CommunityRepo, context: str, rows: list[Row], tip: str, lineages: dict[str, Lineage], last: Kept
) -> None:
    """Keep the commits of the walk of `tip` and the lineages at it, in place of `last`, what the last
    build kept (its runs are kept as they are when `rows` begins with its rows). Nothing is kept when
    it cannot be written whole."""
    folder = community.cache_dir
    with contextlib.suppress(OSError):  # only an optimisation: a build that cannot keep them still builds
        folder.mkdir(parents=True, exist_ok=True)
        runs = list(last.runs) if rows[: len(last.rows)] == last.rows else []
        kept_rows = sum(count for _, count in runs)
        if len(rows) > kept_rows:
            runs.append((_write_marshalled(folder, _RUN, rows[kept_rows:]), len(rows) - kept_rows))
        while len(runs) > 1 and runs[-2][1] <= 2 * runs[-1][1]:
            merged = sum(count for _, count in runs[-2:])
            start = sum(count for _, count in runs[:-2])
            runs[-2:] = [(_write_marshalled(folder, _RUN, rows[start : start + merged]), merged)]
        files = {path: (lineage.blob, lineage.writers) for path, lineage in lineages.items()}
        index = _write_marshalled(folder, f".{_NAME}.", (_context(context), runs, tip, files))
        os.replace(folder / index, folder / _NAME)
        _remove_unnamed_runs(folder, {name for name, _ in runs})


def _write_marshalled(folder: Path, prefix: str, value: object) -> str:
    """Write `value` (marshalled) to a new file in `folder`, named from `prefix`; returns its name."""
    fd, temporary = tempfile.mkstemp(prefix=prefix, dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(marshal.dumps(value))
    except BaseException:
        os.unlink(temporary)
        raise
    return os.path.basename(temporary)


def _remove_unnamed_runs(folder: Path, named: set[str]) -> None:
    """Remove the runs the index no longer names (merged, or kept by a build whose index was replaced)."""
    for path in folder.glob(f"{_RUN}*"):
        if path.name not in named:
            path.unlink(missing_ok=True)
