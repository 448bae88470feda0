"""Where the web door keeps its state for one repository."""

from __future__ import annotations

from pathlib import Path

from orgsite.repo import CommunityRepo


def door_store_path(repo: CommunityRepo) -> Path:
    """The door's SQLite file (sessions, nonces, passkeys), beside the repository's other caches."""
    return repo.cache_dir / "door.sqlite"
