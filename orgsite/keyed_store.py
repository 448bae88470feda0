"""A persistent map from commit ids to text (or bytes), for what never changes once a commit exists (SQLite,
safe across processes). Only ever an optimisation: when the file cannot be opened or written, the
callers simply compute again."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

_SCAN_ABOVE = 5_000  # commits asked for at once


def made_by(*modules: ModuleType, versions: Iterable[str] = ()) -> str:
    """A context for texts these modules' code made (with these libraries' `versions`): any change to
    that code or those versions is another context, so nothing they made before is read again."""
    h = hashlib.sha256()
    for part in [Path(str(module.__file__)).read_bytes() for module in modules] + [v.encode() for v in versions]:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


class KeyedStore:
    """Texts (or bytes) keyed by commit id within one `context` (what else determines them: rules, format)."""

    def __init__(self, path: Path, table: str, context: str, *, column: str = "value") -> None:
        self._table = table
        self._column = column
        self._context = context
        self._db: sqlite3.Connection | None = None
        with contextlib.suppress(sqlite3.Error, OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=10, isolation_level=None)  # waits up to 10 s for another hook
            db.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer: pushes come in bursts
            db.execute("PRAGMA synchronous = OFF")  # a lost write only costs computing it again
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (commit_id TEXT, context TEXT, {column} TEXT,"
                " PRIMARY KEY (commit_id, context))"
            )
            self._db = db

    def get_many(self, commits: Iterable[str]) -> dict[str, str | bytes]:
        """The stored values among `commits`."""
        if self._db is None:
            return {}
        found: dict[str, str | bytes] = {}
        wanted = list(commits)
        with contextlib.suppress(sqlite3.Error):
            if len(wanted) > _SCAN_ABOVE:  # a whole history: one pass over the table beats its index
                keep = set(wanted)
                rows = self._db.execute(
                    f"SELECT commit_id, {self._column} FROM {self._table} WHERE context = ?", [self._context]
                )
                return {commit: text for commit, text in rows if commit in keep}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT commit_id, {self._column} FROM {self._table} WHERE context = ? AND commit_id IN ({marks})",
                    [self._context, *chunk],
                )
                found.update(rows)
        return found

    def put_many(self, values: Iterable[tuple[str, str | bytes]]) -> None:
        """Remember (commit id, value) pairs (best effort)."""
        if self._db is None:
            return
        rows = [(commit, self._context, text) for commit, text in values]
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?, ?)", rows)
            finally:
                self._db.execute("COMMIT")

    def close(self) -> None:
        """Release the database."""
        if self._db is not None:
            self._db.close()
            self._db = None
