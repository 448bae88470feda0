"""`orgsite unshare PATH --to OUTBOX`: take one's post out of an outbox, by a new signed commit."""

from __future__ import annotations

from pathlib import Path

from orgsite.federation.outbox import unshare as unshare_post
from orgsite.signing_clone import Committed


def unshare(repo_dir: Path, path: str, to: str, *, signing_key: str | None, push_now: bool) -> Committed:
    """The signed commit that removes `path` from the outbox `to` (copies already fetched stay)."""
    return unshare_post(repo_dir, path, to, signing_key=signing_key, push_now=push_now)
