"""A persistent cache of commit verdicts, so no commit is verified twice (SQLite, safe across processes)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from orgsite.model import Problem, Rule, Verdict

# Bump when the stored form of a verdict changes: verdicts stored in another form are not read.
FORMAT_VERSION = "2"


def _encode(verdict: Verdict) -> str:
    return json.dumps(
        {
            "signer": verdict.signer,
            "handle": verdict.handle,
            "signed_at": verdict.signed_at,
            "key_expires_at": verdict.key_expires_at,
            "signature_expires_at": verdict.signature_expires_at,
            "problems": [
                {"rule": p.rule.value, "message": p.message, "commit": p.commit, "path": p.path, "ref": p.ref}
                for p in verdict.problems
            ],
        }
    )


def _decode(commit: str, text: str) -> Verdict:
    data = json.loads(text)
    return Verdict(
        commit=commit,
        signer=data["signer"],
        handle=data["handle"],
        signed_at=data["signed_at"],
        key_expires_at=data["key_expires_at"],
        signature_expires_at=data["signature_expires_at"],
        problems=tuple(
            Problem(Rule(p["rule"]), p["message"], p["commit"], p["path"], p["ref"]) for p in data["problems"]
        ),
    )


class VerdictCache:
    """Verdicts keyed by commit id and the context that determines them (rules version, introduction).

    A commit id fixes its parents and so every tree the rules read; the cache is only ever an
    optimisation: when the file cannot be opened or written, verdicts are simply recomputed.
    """

    def __init__(self, path: Path, context: str) -> None:
        self._context = f"{FORMAT_VERSION}:{context}"
        self._db: sqlite3.Connection | None = None
        with contextlib.suppress(sqlite3.Error, OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=10, isolation_level=None)  # waits up to 10 s for another hook
            db.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer: pushes come in bursts
            db.execute("PRAGMA synchronous = OFF")  # a lost write only costs a re-verification
            db.execute(
                "CREATE TABLE IF NOT EXISTS verdicts (commit_id TEXT, context TEXT, verdict TEXT,"
                " PRIMARY KEY (commit_id, context))"
            )
            self._db = db

    def get_many(self, commits: Iterable[str]) -> dict[str, Verdict]:
        """The cached verdicts among `commits`."""
        if self._db is None:
            return {}
        found: dict[str, Verdict] = {}
        wanted = list(commits)
        with contextlib.suppress(sqlite3.Error):
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT commit_id, verdict FROM verdicts WHERE context = ? AND commit_id IN ({marks})",
                    [self._context, *chunk],
                )
                found.update((commit, _decode(commit, text)) for commit, text in rows)
        return found

    def put_many(self, verdicts: Iterable[Verdict]) -> None:
        """Remember `verdicts` (best effort)."""
        if self._db is None:
            return
        rows = [(v.commit, self._context, _encode(v)) for v in verdicts]
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?)", rows)
            finally:
                self._db.execute("COMMIT")

    def close(self) -> None:
        """Release the database."""
        if self._db is not None:
            self._db.close()
            self._db = None
