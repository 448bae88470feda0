"""Where a community keeps its neighbours' stores, and the ref that holds each one's verified state."""

from __future__ import annotations

from pathlib import Path

from orgsite.repo import CommunityRepo


def neighbours_dir(repo: CommunityRepo) -> Path:
    """The folder beside the community's repository that holds its neighbours' stores."""
    return repo.git_dir.parent / f"{repo.git_dir.name.removesuffix('.git')}.neighbours"


def store_path(repo: CommunityRepo, name: str) -> Path:
    """The bare store of the neighbour `name`."""
    return neighbours_dir(repo) / f"{name}.git"


def verified_ref(name: str) -> str:
    """The ref that holds a neighbour's last verified tip."""
    return f"refs/orgsite/follow/{name}/verified"


def verified_has(repo: CommunityRepo, name: str, path: str) -> bool:
    """True when the verified state of the neighbour `name` has a file at `path`."""
    store = store_path(repo, name)
    if not (store / "HEAD").exists():
        return False
    neighbour = CommunityRepo(store)
    tip = neighbour.ref_commit(verified_ref(name))
    return tip is not None and neighbour.blob_id(tip, path) is not None
