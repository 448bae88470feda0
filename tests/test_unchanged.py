"""Which conversations a push left as they were: a build takes their keys from the build before, so a
conversation called unchanged that is not would show its old pages. A table of pushes over a small
history made by hand (tests/test_pages.py's Story); the byte-for-byte test of
test_incremental_builds.py checks the same through real pushes and builds."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orgsite.allowlist import ALLOWLIST_PATH
from orgsite.model import Verdict
from orgsite.repo import CommitMeta, FilePatch
from orgsite.site.history import CommitInfo, Revision
from orgsite.site.pages import site_pages, tag_slugs
from orgsite.site.unchanged import unchanged
from tests.test_pages import ALICE, BOB, Story, T

OPENED = ["posts/bob/one.md", "posts/alice/two.md", "posts/bob/three.md"]


def story() -> Story:
    """Three conversations, the second with a reply."""
    s = Story()
    s.post(BOB, "one", "One", "first")
    s.post(ALICE, "two", "Two", "second")
    s.post(BOB, "re-two", "Re: Two", "yes", reply_to="posts/alice/two.md")
    s.post(BOB, "three", "Three", "third")
    return s


def commit(s: Story, path: str, message: str) -> CommitInfo:
    """One more commit of Alice's, changing the file at `path`."""
    n = len(s.commits)
    commit_id = f"{n:02x}" * 20
    meta = CommitMeta(ALICE.name, ALICE.email, T + n, T + n, message)
    verdict = Verdict(commit_id, ALICE.fingerprints[0], "alice", T + n, None, ())
    made = CommitInfo(commit_id, n, (s.commits[-1].id,), meta, verdict, (FilePatch(path, "M", "", commit_id),))
    s.commits.append(made)
    return made


def allowlist_changed(s: Story) -> None:
    commit(s, ALLOWLIST_PATH, "add carol")


def reply_edited(s: Story) -> None:
    """Bob's reply in the second conversation, edited: the conversation holds the same posts, one changed."""
    reply = s.posts["posts/bob/re-two.md"]
    reply.revisions.append(Revision(commit(s, reply.path, "edit"), reply.path))
    reply.blob = "e" * 40


def dangling_then_answered(s: Story) -> None:
    """A reply to a post not yet written, then that post: the reply joins the new post's conversation."""
    early = s.post(ALICE, "early", "Re: Later", "before", reply_to="posts/bob/later.md")
    later = s.post(BOB, "later", "Later", "at last")
    later.replies.append(early)
    early.parent = later


def history_rewritten(s: Story) -> None:
    """Not a push on top: the first commit is another (a rebuilt branch)."""
    first = s.commits[0]
    s.commits[0] = CommitInfo("ff" * 20, 0, (), first.meta, first.verdict, first.patches)


PUSHES: list[tuple[str, Callable[[Story], object], set[str]]] = [
    ("nothing new", lambda s: None, set(OPENED)),
    ("a new conversation", lambda s: s.post(ALICE, "four", "Four", "fourth"), set(OPENED)),
    ("a reply", lambda s: s.post(ALICE, "re-one", "Re: One", "ok", reply_to="posts/bob/one.md"), set(OPENED[1:])),
    ("a reply to a reply", lambda s: s.post(ALICE, "re-re", "Re", "ok", reply_to="posts/bob/re-two.md"),
     {OPENED[0], OPENED[2]}),
    ("a reply to a post not yet written, then the post", dangling_then_answered, set(OPENED)),
    ("a reply edited", reply_edited, {OPENED[0], OPENED[2]}),
    ("the allowlist changed", allowlist_changed, set()),
    ("the history rewritten", history_rewritten, set()),
]  # fmt: skip


@pytest.mark.parametrize(("what", "push", "roots"), PUSHES, ids=[p[0] for p in PUSHES])
def test_a_conversation_is_unchanged_only_when_nothing_it_shows_changed(what, push, roots):
    s = story()
    before = site_pages(s.history()).conversations
    push(s)
    history = s.history()
    assert unchanged(history, tag_slugs(list(history.tags)), before).roots == roots


def test_a_conversation_that_lost_a_post_or_gained_one_it_had_elsewhere_is_changed():
    s = story()
    before = site_pages(s.history()).conversations
    two = s.posts["posts/alice/two.md"]
    reply = two.replies.pop()  # the reply now opens a conversation of its own (as when its text says so)
    reply.parent = None
    history = s.history()
    assert unchanged(history, {}, before).roots == {OPENED[0], OPENED[2]}


def test_a_tag_the_last_build_knew_under_another_slug_changes_every_conversation():
    s = story()
    before = site_pages(s.history()).conversations._replace(slugs={"news": "news"})
    history = s.history()
    assert unchanged(history, {"news": "news"}, before).roots == set(OPENED)
    assert unchanged(history, {"news": "news-1a2b3c4d", "News": "news"}, before).roots == set()


@pytest.mark.parametrize(
    ("push", "commits"),
    [(lambda s: s.post(ALICE, "four", "Four", "4"), 4), (allowlist_changed, 4), (history_rewritten, 0)],
)
def test_the_commits_of_the_last_build_are_as_they_were_when_the_push_went_on_from_them(push, commits):
    s = story()
    before = site_pages(s.history()).conversations
    push(s)
    history = s.history()
    assert unchanged(history, {}, before).commits == commits
