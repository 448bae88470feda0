"""`orgsite follow add|remove|sync|list`: the neighbours a community follows, and their verified state."""

from __future__ import annotations

from pathlib import Path

from orgsite.errors import OrgsiteError
from orgsite.federation.follows import add_follow, remove_follow
from orgsite.federation.neighbours import NeighbourState, read_state, sync_neighbour
from orgsite.federation.stores import store_path
from orgsite.model import Follow
from orgsite.repo import CommunityRepo
from orgsite.signing_clone import Committed
from orgsite.snapshot import Snapshots


def add(repo_dir: Path, follow: Follow, *, signing_key: str | None, push_now: bool) -> Committed:
    """Follow a neighbour (an operator's signed commit in the clone `repo_dir`)."""
    return add_follow(repo_dir, follow, signing_key=signing_key, push_now=push_now)


def remove(repo_dir: Path, name: str, *, signing_key: str | None, push_now: bool) -> Committed:
    """Stop following a neighbour (an operator's signed commit in the clone `repo_dir`)."""
    return remove_follow(repo_dir, name, signing_key=signing_key, push_now=push_now)


def _follows(repo: CommunityRepo) -> tuple[Follow, ...]:
    snapshots = Snapshots(repo)
    tip = repo.branch_tip(snapshots.branch())
    return snapshots.community(tip).follows if tip else ()


def sync(repo_path: Path, name: str | None) -> list[NeighbourState]:
    """Fetch and check every followed neighbour (or just `name`); each one's state afterwards."""
    repo = CommunityRepo(repo_path)
    follows = [f for f in _follows(repo) if name is None or f.name == name]
    if name is not None and not follows:
        raise OrgsiteError(f"'{name}' is not followed by {repo.git_dir} (see [[follow]] in community.toml)")
    return [sync_neighbour(repo, follow) for follow in follows]


def states(repo_path: Path) -> list[NeighbourState]:
    """The recorded state of every followed neighbour."""
    repo = CommunityRepo(repo_path)
    return [read_state(store_path(repo, f.name), f.name) for f in _follows(repo)]
