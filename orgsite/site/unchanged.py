"""Which conversations a push left as they were (pure): a build takes their pages' and feeds' keys from
the build before it instead of working them out again, which is most of a one-post build's work.

A conversation's pages (its posts' pages, its row in the lists, its feed) show its posts alone: their
texts, authors, revisions, places in the thread, and their tags' slugs. So when the new commits come
after every commit the last build read (the same commits, in the same order: the same positions), none
of them changes the allowlist (the same authors, former or not) or a post of the conversation, the
conversation holds the same posts as then, and no tag the last build knew has another slug, each of
those keys is the one the last build worked out.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from orgsite.allowlist import ALLOWLIST_PATH
from orgsite.site.history import CommunityHistory


class Conversations(NamedTuple):
    """What a build remembers of the history it rendered, for the next to tell what a push changed: how
    many commits it read and one digest of their ids in order (oldest first), each post's conversation
    (its first post's path) and digest, each conversation's row key, and each tag's slug."""

    commits: int
    order: str
    posts: dict[str, tuple[str, str]]
    rows: dict[str, str]
    slugs: dict[str, str]


def order_digest(ids: Iterable[str]) -> str:
    """One digest of commit ids in their order."""
    return hashlib.sha256("".join(f"{commit_id}\n" for commit_id in ids).encode("ascii", "surrogateescape")).hexdigest()


class Unchanged(NamedTuple):
    """What a push left as the last build saw it: its commits (when the push went on from them, else
    none) and the conversations whose posts are all as they were (by their first post's path)."""

    commits: int
    roots: set[str]


def unchanged(history: CommunityHistory, slugs: Mapping[str, str], before: Conversations) -> Unchanged:
    """What of `history` is as the build that remembered `before` saw it, its keys therefore that
    build's (see the module's text); `slugs`: this build's tags' slugs. (A commit's page shows the
    commit and its verdict alone: it is as it was whenever the commit is still there.)"""
    oldest_first = history.commits[::-1]
    if before.commits > len(oldest_first) or order_digest(c.id for c in oldest_first[: before.commits]) != before.order:
        return Unchanged(0, set())  # not a push on top of the last build's history: positions may have moved
    changed = {path for commit in oldest_first[before.commits :] for path in commit.changed_paths}
    if ALLOWLIST_PATH in changed or any(slugs.get(tag, slug) != slug for tag, slug in before.slugs.items()):
        return Unchanged(before.commits, set())
    size_before = Counter(root for root, _ in before.posts.values())
    roots = set()
    for root in history.posts:
        if root.parent is not None:
            continue
        posts = [root] + [reply for reply, _ in root.thread()]
        if len(posts) == size_before[root.path] and all(
            post.path not in changed and before.posts.get(post.path, ("",))[0] == root.path for post in posts
        ):
            roots.add(root.path)
    return Unchanged(before.commits, roots)
