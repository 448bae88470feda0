"""`orgsite share PATH --to OUTBOX`: one's own post into an outbox, signed with one's own key (the consent)."""

from __future__ import annotations

from pathlib import Path

from orgsite.federation.outbox import share as share_post
from orgsite.signing_clone import Committed


def share(repo_dir: Path, path: str, to: str, *, signing_key: str | None, push_now: bool) -> Committed:
    """The signed commit that shares `path` (with its pictures) in the outbox `to`."""
    return share_post(repo_dir, path, to, signing_key=signing_key, push_now=push_now)
