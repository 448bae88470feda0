"""The neighbours a site shows: for each followed community, its last verified state read from its
store (never anything fetched but not verified), with what the last sync said."""

from __future__ import annotations

from dataclasses import dataclass

from orgsite.errors import OrgsiteError
from orgsite.federation.neighbours import NeighbourState, read_state
from orgsite.federation.stores import store_path, verified_ref
from orgsite.model import Follow
from orgsite.repo import CommunityRepo
from orgsite.site.history import CommunityHistory, read_history
from orgsite.snapshot import Snapshots


@dataclass
class Neighbour:
    """A followed community as the site shows it: its entry, its sync state, its verified history."""

    follow: Follow
    state: NeighbourState
    history: CommunityHistory | None  # None until something was verified

    @property
    def base(self) -> str:
        """Where its pages live under the site root."""
        return f"neighbours/{self.follow.name}/"

    @property
    def label(self) -> str:
        """The neighbour's own name once verified, else the name we follow it by."""
        return self.history.community.name if self.history else self.follow.name


def read_neighbours(repo: CommunityRepo, follows: tuple[Follow, ...], warnings: list[str]) -> list[Neighbour]:
    """Every followed neighbour, with its verified history when there is one (problems go to `warnings`)."""
    neighbours = []
    for follow in follows:
        store = store_path(repo, follow.name)
        state = read_state(store, follow.name)
        history = None
        if (store / "HEAD").exists():
            neighbour = CommunityRepo(store)
            tip = neighbour.ref_commit(verified_ref(follow.name))
            if tip is not None:
                try:
                    branch = Snapshots(neighbour).community(follow.introduction).branch
                    history = read_history(neighbour, branch, introduction=follow.introduction)
                except OrgsiteError as e:
                    warnings.append(f"neighbour {follow.name}: not shown: {e}")
        neighbours.append(Neighbour(follow, state, history))
    return neighbours
