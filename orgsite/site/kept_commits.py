"""The commits of the last walk a build read (each with its verdict, metadata and changes), kept in the
repository's cache in one piece: when a push only added commits on top (see walks), the walk begins
with the last one, and the next build reads those back at once instead of fifty thousand cached rows,
and reads and judges only the new ones. Only ever an optimisation: what is missing, unreadable, or
made by other code is read again."""

from __future__ import annotations

import contextlib
import dataclasses
import marshal
import os
import sys
import tempfile
from collections.abc import Sequence

from orgsite import model, policy, repo, verify
from orgsite.keyed_store import made_by
from orgsite.model import Problem, Rule, Verdict
from orgsite.repo import CommitMeta, CommunityRepo

_NAME = "last-walk-commits"
# One commit as kept: its id, parents, metadata, changes (FilePatch's fields but the text) and verdict.
Row = tuple


def _context(extra: str) -> str:
    # The verdicts' rules and forms, the diffs, and marshal's own format (Python's version).
    return made_by(model, policy, repo, verify, versions=[sys.version, extra])


def row_of(commit: str, parents: Sequence[str], meta: CommitMeta, files: list[tuple], verdict: Verdict) -> Row:
    """What is kept of one commit."""
    problems = tuple((p.rule.value, p.message, p.commit, p.path, p.ref) for p in verdict.problems)
    judged = (verdict.signer, verdict.handle, verdict.signed_at, verdict.key_expires_at,
              verdict.signature_expires_at, problems)  # fmt: skip
    return (commit, tuple(parents), dataclasses.astuple(meta), tuple(files), judged)


def verdict_of(row: Row) -> Verdict:
    """The verdict kept in `row`."""
    signer, handle, signed_at, key_expires_at, signature_expires_at, problems = row[4]
    return Verdict(row[0], signer, handle, signed_at, key_expires_at,
                   tuple(Problem(Rule(r), m, c, p, ref) for r, m, c, p, ref in problems),
                   signature_expires_at)  # fmt: skip


def kept(community: CommunityRepo, context: str) -> list[Row]:
    """The commits the last build kept (the walk of its tip, in order), if this code kept them in this
    `context` (the verifier's and the commits' formats); else none. A commit's row depends on nothing
    but the commit: the rows are good for any walk they begin."""
    try:
        kept_context, rows = marshal.loads((community.cache_dir / _NAME).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return []
    return rows if kept_context == _context(context) and isinstance(rows, list) else []


def keep(community: CommunityRepo, context: str, rows: list[Row]) -> None:
    """Keep the commits of a walk, in order, in place of the last kept (written whole, or not at all)."""
    folder = community.cache_dir
    with contextlib.suppress(OSError):  # only an optimisation: a build that cannot keep them still builds
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{_NAME}.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(marshal.dumps((_context(context), rows)))
            os.replace(temporary, folder / _NAME)
        except BaseException:
            os.unlink(temporary)
            raise
