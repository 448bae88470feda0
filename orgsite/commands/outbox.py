"""`orgsite outbox create`: a community for one audience, made by an operator of the main community."""

from __future__ import annotations

from pathlib import Path

from orgsite.federation.outbox import create_outbox
from orgsite.signing_clone import Committed


def create(
    repo_dir: Path, target: Path, name: str, *, signing_key: str | None, push_now: bool
) -> tuple[str, Committed]:
    """The outbox `name` at `target`, with the main community's operators: its introduction's id, and
    the signed commit that records it in the main community."""
    return create_outbox(repo_dir, target, name, signing_key=signing_key, push_now=push_now)
