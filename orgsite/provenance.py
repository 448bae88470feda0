"""Who wrote each file: authorship by provenance, through every parent. Pure.

A post's author is the signer of the commit that first created the file, found through all parents
(never the first-parent chain, which a merge can reorder); each version's writer likewise. A file
is published only while every commit that wrote any of its versions is accepted: refused text
cannot hide behind a merge and come out under someone else's name.

The walk folds the branch oldest first. At each commit every file under posts/ has a lineage: the
commits that wrote its versions, creation first. A commit writes a path when the path is its own
change (for a merge: not git's clean three-way outcome, policy.merge_wrote); a clean merge takes
the lineage of the side its version came from, and a version both sides hold keeps both lineages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from orgsite.model import short_id


@dataclass(frozen=True)
class CommitWrites:
    """What one commit did to files under posts/, as the fold needs it.

    `written`: the paths this commit wrote itself (blob id, or None when it deleted the file).
    `taken`: for a merge, the paths whose version it took cleanly from its second parent (blob or None).
    """

    commit: str
    parents: tuple[str, ...]
    written: dict[str, str | None]
    taken: dict[str, str | None]


@dataclass(frozen=True)
class Lineage:
    """One file's current version and every commit that wrote a version of it, oldest first."""

    blob: str
    writers: tuple[str, ...]

    @property
    def creator(self) -> str:
        """The commit that first created the file: its signer is the author."""
        return self.writers[0]


def _joined(lineages: Sequence[Lineage], position: dict[str, int]) -> tuple[str, ...]:
    writers = {w for lineage in lineages for w in lineage.writers}
    return tuple(sorted(writers, key=position.__getitem__))


def lineages(
    commits: Iterable[CommitWrites],
    *,
    start: Mapping[str, Mapping[str, Lineage]] | None = None,
    position: Mapping[str, int] | None = None,
) -> dict[str, Lineage]:
    """The lineage of every file under posts/ at the last commit of `commits` (given parents first).

    `start`: the lineages at earlier commits that `commits` build on (the fold goes on from there);
    `position`: every commit's place in the branch, oldest first (by default, its place in `commits`)."""
    history = list(commits)
    position = position or {c.commit: n for n, c in enumerate(history)}
    children = Counter(p for c in history for p in set(c.parents))
    states: dict[str, dict[str, Lineage]] = {commit: dict(state) for commit, state in (start or {}).items()}
    state: dict[str, Lineage] = {}
    for c in history:
        parents = [states.get(p, {}) for p in c.parents]
        for p in set(c.parents):
            children[p] -= 1
        # A parent's map is reused in place by its last child; the others get a copy.
        first = c.parents[0] if c.parents else None
        state = parents[0] if first and children[first] == 0 else dict(parents[0] if parents else {})
        for p in set(c.parents):
            if children[p] == 0:
                states.pop(p, None)
        written = dict(c.written)
        for path, blob in c.taken.items():
            source = parents[1].get(path) if len(parents) > 1 else None
            if blob is None:
                state.pop(path, None)
            elif source is not None and source.blob == blob:
                state[path] = source
            else:  # cannot happen in a well-formed merge: count it as the merger's own
                written.setdefault(path, blob)
        for path, blob in written.items():
            if blob is None:
                state.pop(path, None)
                continue
            priors = [p[path] for p in parents if path in p]
            state[path] = Lineage(blob, (*_joined(priors, position), c.commit))
        for other in parents[1:]:
            for path, theirs in other.items():
                ours = state.get(path)
                if ours is not None and ours is not theirs and ours.blob == theirs.blob and path not in written:
                    state[path] = Lineage(ours.blob, _joined([ours, theirs], position))
        states[c.commit] = state
    return state


def unpublished_reason(lineage: Lineage, accepted: Callable[[str], bool]) -> str | None:
    """Why a file may not be published (None when every commit that wrote a version of it is accepted)."""
    refused = next((writer for writer in lineage.writers if not accepted(writer)), None)
    if refused is None:
        return None
    return f"commit {short_id(refused)}, which wrote a version of it, breaks the community's rules"
