"""`orgsite follow add|remove|sync|list`: the neighbours a community follows, and their verified state."""

from __future__ import annotations

from pathlib import Path

from orgsite.errors import OrgsiteError
from orgsite.federation.follows import add_follow, remove_follow
from orgsite.federation.neighbours import NeighbourState, read_state, sync_neighbour
from orgsite.federation.stores import store_path
from orgsite.model import Follow
from orgsite.progress import SILENT, Progress
from orgsite.repo import SITE_KEY, CommunityRepo
from orgsite.signing_clone import Committed
from orgsite.site.rebuild import rebuild_until_current
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


def sync(repo_path: Path, name: str | None, progress: Progress = SILENT) -> list[NeighbourState]:
    """Fetch and check every followed neighbour (or just `name`); each one's state afterwards. When a
    neighbour's verified state moved and the site is enabled, the site is rebuilt to show it."""
    repo = CommunityRepo(repo_path)
    follows = [f for f in _follows(repo) if name is None or f.name == name]
    if name is not None and not follows:
        raise OrgsiteError(f"'{name}' is not followed by {repo.git_dir} (see [[follow]] in community.toml)")
    before = {f.name: read_state(store_path(repo, f.name), f.name).verified for f in follows}
    found = [sync_neighbour(repo, follow, progress=progress) for follow in follows]
    if repo.config_get(SITE_KEY) and any(state.verified != before[state.name] for state in found):
        rebuild_until_current(repo.git_dir)
    return found


def states(repo_path: Path) -> list[NeighbourState]:
    """The recorded state of every followed neighbour."""
    repo = CommunityRepo(repo_path)
    return [read_state(store_path(repo, f.name), f.name) for f in _follows(repo)]
