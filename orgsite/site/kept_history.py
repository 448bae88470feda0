"""What a build read of the history, kept in the repository's cache for the next build: the last walk's
commits (each with its verdict, metadata and changes), and the posts' lineages at its tip. When a push
only added commits on top (see walks), the next build takes those back at once, and judges, reads and
folds only the new commits. Only ever an optimisation: what is missing, unreadable, or made by other
code is read again."""

from __future__ import annotations

import contextlib
import dataclasses
import marshal
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from orgsite import model, policy, provenance, repo, verdicts, verify
from orgsite.keyed_store import made_by
from orgsite.model import Verdict
from orgsite.provenance import Lineage
from orgsite.repo import CommitMeta, CommunityRepo

_NAME = "last-read-history"
# One commit as kept: its id, parents, metadata, changes (FilePatch's fields but the text), verdict, digest.
Row = tuple


@dataclass(frozen=True)
class Kept:
    """The last walk's commits in order (a commit's row depends on nothing but the commit: the rows are
    good for any walk they begin), and the posts' lineages at `tip`, the walk's last commit."""

    rows: list[Row] = field(default_factory=list)
    tip: str | None = None
    lineages: dict[str, Lineage] = field(default_factory=dict)


def _context(extra: str) -> str:
    # Read only by the code that made them (verdicts, merge rules, the fold, the diffs, this module),
    # and by the Python whose marshal wrote them.
    this = sys.modules[__name__]
    return made_by(model, policy, provenance, repo, verdicts, verify, this, versions=[sys.version, extra])


def row_of(
    commit: str, parents: Sequence[str], meta: CommitMeta, files: list[tuple], verdict: Verdict, digest: str
) -> Row:
    """What is kept of one commit (`digest`: history.commit_digest's)."""
    return (commit, tuple(parents), dataclasses.astuple(meta), tuple(files), verdicts.as_plain(verdict), digest)


def kept(community: CommunityRepo, context: str) -> Kept:
    """What the last build kept, if this code kept it in this `context` (the verifier's and the commits'
    formats); else nothing."""
    try:
        kept_context, rows, tip, files = marshal.loads((community.cache_dir / _NAME).read_bytes())
        if kept_context != _context(context) or not isinstance(rows, list):
            return Kept()
        return Kept(rows, tip, {path: Lineage(blob, writers) for path, (blob, writers) in files.items()})
    except (OSError, ValueError, EOFError, TypeError, AttributeError):
        return Kept()


def keep(community: CommunityRepo, context: str, rows: list[Row], tip: str, lineages: dict[str, Lineage]) -> None:
    """Keep the commits of the walk of `tip` and the lineages at it, in place of the last kept (written
    whole, or not at all)."""
    folder = community.cache_dir
    files = {path: (lineage.blob, lineage.writers) for path, lineage in lineages.items()}
    with contextlib.suppress(OSError):  # only an optimisation: a build that cannot keep them still builds
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{_NAME}.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(marshal.dumps((_context(context), rows, tip, files)))
            os.replace(temporary, folder / _NAME)
        except BaseException:
            os.unlink(temporary)
            raise
