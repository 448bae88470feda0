"""A persistent cache of commit verdicts, so no commit is verified twice (SQLite, safe across processes)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from orgsite.keyed_store import KeyedStore
from orgsite.model import Problem, Rule, Verdict

# Bump when the stored form of a verdict changes: verdicts stored in another form are not read.
FORMAT_VERSION = "2"


def as_plain(verdict: Verdict) -> tuple:
    """Everything `verdict` says, as plain values (strings, numbers, tuples): for keys and compact caches."""
    problems = tuple((p.rule.value, p.message, p.commit, p.path, p.ref) for p in verdict.problems)
    return (verdict.commit, verdict.signer, verdict.handle, verdict.signed_at, verdict.key_expires_at,
            verdict.signature_expires_at, problems)  # fmt: skip


def from_plain(plain: tuple) -> Verdict:
    """The verdict `as_plain` made `plain` from."""
    commit, signer, handle, signed_at, key_expires_at, signature_expires_at, problems = plain
    return Verdict(commit, signer, handle, signed_at, key_expires_at,
                   tuple(Problem(Rule(r), m, c, p, ref) for r, m, c, p, ref in problems),
                   signature_expires_at)  # fmt: skip


# The stored form: as_plain's values by name (the commit is the key), problems as objects.
_FIELDS = ("signer", "handle", "signed_at", "key_expires_at", "signature_expires_at")
_PROBLEM_FIELDS = ("rule", "message", "commit", "path", "ref")


def _encode(verdict: Verdict) -> str:
    _, *values, problems = as_plain(verdict)
    stored = dict(zip(_FIELDS, values, strict=True))
    stored["problems"] = [dict(zip(_PROBLEM_FIELDS, problem, strict=True)) for problem in problems]
    return json.dumps(stored)


def _decode(commit: str, text: str) -> Verdict:
    data = json.loads(text)
    problems = tuple(tuple(p[name] for name in _PROBLEM_FIELDS) for p in data["problems"])
    return from_plain((commit, *(data[name] for name in _FIELDS), problems))


class VerdictCache:
    """Verdicts keyed by commit id and the context that determines them (rules version, introduction).

    A commit id fixes its parents and so every tree the rules read; the cache is only ever an
    optimisation: when the file cannot be opened or written, verdicts are simply recomputed.
    """

    def __init__(self, path: Path, context: str) -> None:
        self._store = KeyedStore(path, "verdicts", f"{FORMAT_VERSION}:{context}", column="verdict")

    def get_many(self, commits: Iterable[str]) -> dict[str, Verdict]:
        """The cached verdicts among `commits`."""
        return {commit: _decode(commit, text) for commit, text in self._store.get_many(commits).items()}

    def put_many(self, verdicts: Iterable[Verdict]) -> None:
        """Remember `verdicts` (best effort)."""
        self._store.put_many((v.commit, _encode(v)) for v in verdicts)

    def close(self) -> None:
        """Release the database."""
        self._store.close()
