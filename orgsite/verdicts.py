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


def accepted_in_plain(plain: tuple) -> bool:
    """Whether the verdict `as_plain` made `plain` from accepts its commit (Verdict.accepted)."""
    return not plain[-1]


def from_plain(plain: tuple) -> Verdict:
    """The verdict `as_plain` made `plain` from."""
    commit, signer, handle, signed_at, key_expires_at, signature_expires_at, problems = plain
    return Verdict(commit, signer, handle, signed_at, key_expires_at,
                   tuple(Problem(Rule(r), m, c, p, ref) for r, m, c, p, ref in problems),
                   signature_expires_at)  # fmt: skip


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
