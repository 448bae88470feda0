"""Turning a history into pages, without MkDocs: a small history made by hand, its pages read back."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgsite.content import PostMeta
from orgsite.model import Community, Member, Problem, Role, Rule, Verdict
from orgsite.repo import CommitMeta, FilePatch
from orgsite.site.history import CommitInfo, CommunityHistory, MemberInfo, PostInfo, Revision
from orgsite.site.mkdocs_docs import front_matter
from orgsite.site.pages import (
    IN_NAV,
    POSTS_PER_PAGE,
    Page,
    diff_html,
    rendered,
    site_pages,
    url_of,
)

T = 1_750_000_000
ALICE = Member("alice", "Alice", "a@x", Role.OPERATOR, ("A" * 40,))
BOB = Member("bob", "Bob", "b@x", Role.MEMBER, ("B" * 40,))


class Story:
    """A community's history built one signed post at a time, newest last."""

    def __init__(self) -> None:
        self.commits: list[CommitInfo] = []
        self.posts: dict[str, PostInfo] = {}

    def post(self, who: Member, slug: str, title: str, body: str, *, reply_to: str | None = None) -> PostInfo:
        n = len(self.commits)
        path = f"posts/{who.handle}/{slug}.md"
        diff = f"diff --git a/{path} b/{path}\n+title: {title}\n+{body}\n"
        commit_id, parents = f"{n:02x}" * 20, (f"{n - 1:02x}" * 20,) if n else ()
        meta = CommitMeta(who.name, who.email, T + n, T + n, f"Post {title}")
        verdict = Verdict(commit_id, who.fingerprints[0], who.handle, T + n, None, ())
        commit = CommitInfo(commit_id, n, parents, meta, verdict, (FilePatch(path, "A", diff, commit_id),))
        self.commits.append(commit)
        revision = Revision(commit, path)
        meta = PostMeta(title, None, (), reply_to, body)
        post = PostInfo(path, hashlib.sha1(repr(meta).encode()).hexdigest(), meta, who, False, [revision])
        parent = self.posts.get(reply_to or "")
        if parent:
            post.parent = parent
            parent.replies.append(post)
        self.posts[path] = post
        return post

    def history(self) -> CommunityHistory:
        posts = sorted(self.posts.values(), key=lambda p: p.created.position, reverse=True)
        members = {m.handle: MemberInfo(m, True, self.commits[0]) for m in (ALICE, BOB)}
        for info in members.values():
            info.posts = [p for p in posts if p.author == info.member]
        return CommunityHistory(
            Community("The Family", "Our <b>place</b>"), self.commits[0].id, self.commits[-1].id,
            list(reversed(self.commits)), posts, members, [], {}, {}, [],
        )  # fmt: skip


def pages_by_path(history: CommunityHistory) -> dict[str, Page]:
    pages = site_pages(history).pages
    return {page.path: page for page in rendered(pages)}


def test_a_post_has_its_own_page_and_only_post_text_is_searchable():
    story = Story()
    story.post(BOB, "hello", "Hello <all>", "Hi **everyone**")
    pages = pages_by_path(story.history())
    hello = pages["posts/bob/hello.md"]
    assert hello.title == "Hello <all>" and hello.searchable
    assert "<strong>everyone</strong>" in hello.html  # the theme shows the title, from the front matter
    assert "+title: Hello &lt;all&gt;" in hello.unindexed and "<all>" not in hello.html + hello.unindexed
    assert [p for p, page in pages.items() if page.searchable] == ["posts/bob/hello.md"]
    assert url_of("posts/bob/hello.md") == "posts/bob/hello/" and url_of("members/index.md") == "members/"


def test_replies_are_read_on_the_opening_posts_page_and_the_home_lists_conversations():
    story = Story()
    story.post(BOB, "hello", "Hello", "first")
    story.post(ALICE, "re-hello", "Re: Hello", "a warm *welcome*", reply_to="posts/bob/hello.md")
    story.post(ALICE, "cake", "Cake", "recipe")
    pages = pages_by_path(story.history())
    opening = pages["posts/bob/hello.md"]
    assert "<em>welcome</em>" not in opening.html  # kept out of the search index…
    assert "<em>welcome</em>" in opening.unindexed and "1 reply" in opening.unindexed  # …but shown below the post
    assert "--reply-to posts/bob/hello.md" in opening.unindexed
    home = pages["index.md"].html
    assert home.index("Cake") < home.index("Hello")  # the newest conversation first
    assert "Re: Hello" not in home  # a reply is shown in its conversation, not as one of its own


def test_long_lists_show_the_newest_first_and_all_on_pages_counted_from_the_first_conversation():
    story = Story()
    for n in range(POSTS_PER_PAGE * 2 + 1):
        story.post(BOB, f"p{n}", f"Post {n}", "text")
    pages = pages_by_path(story.history())
    assert {"index.md", "page/1.md", "page/2.md", "page/3.md"} <= set(pages) and "page/4.md" not in pages
    assert pages["page/1.md"].title == "The Family: conversations 1–20"
    assert "Post 0<" in pages["page/1.md"].html and "Post 0<" not in pages["index.md"].html
    assert "Post 40<" in pages["index.md"].html and "Post 40<" in pages["page/3.md"].html
    # One more conversation changes the index and the newest page; the full pages stay as they were.
    story.post(BOB, "p41", "Post 41", "text")
    again = pages_by_path(story.history())
    assert again["page/1.md"].html == pages["page/1.md"].html and again["page/2.md"].html == pages["page/2.md"].html
    assert "Post 41<" in again["index.md"].html and "Post 41<" in again["page/3.md"].html


def test_every_commit_gets_a_stamped_page_and_every_member_a_page_and_a_feed():
    story = Story()
    story.post(BOB, "hello", "Hello", "first")
    story.post(ALICE, "cake", "Cake", "recipe")
    deferred, files, *_ = site_pages(story.history())
    pages = rendered(deferred)
    by_path = {page.path: page for page in pages}
    commit_pages = [page for page in pages if page.path.startswith("commits/")]
    assert [page.title for page in commit_pages] == ["Commit 0101010: Post Cake", "Commit 0000000: Post Hello"]
    # Every page but the navigation's is laid into a prototype page MkDocs builds once.
    stamped = {page.path for page in pages if page.stamped}
    assert stamped == {page.path for page in pages if page.path not in IN_NAV}
    assert {page.path for page in commit_pages} | {"posts/bob/hello.md", "members/bob.md"} <= stamped
    assert '<span class="add">+first</span>' in by_path[f"commits/{'0' * 40}.md"].html
    assert by_path["members/bob.md"].title == "Bob" and "posts/bob/hello/" in by_path["members/bob.md"].html
    assert {"feed.xml", "members/bob/feed.xml", "members/alice/feed.xml", "posts/bob/hello/feed.xml"} <= set(files)
    assert b"<title>Hello</title>" in files["feed.xml"].render()


def test_the_community_description_is_shown_as_text_with_inline_markdown_only():
    story = Story()
    story.post(BOB, "hello", "Hello", "first")
    home = pages_by_path(story.history())["index.md"].html
    assert '<p class="orgsite-intro">Our &lt;b&gt;place&lt;/b&gt;</p>' in home


def test_every_relative_link_on_a_page_stays_inside_the_site():
    story = Story()
    story.post(BOB, "hello", "Hello", "first")
    story.post(ALICE, "re", "Re: Hello", "yes", reply_to="posts/bob/hello.md")
    for path, page in pages_by_path(story.history()).items():
        depth = url_of(path).count("/")
        for href in re.findall(r'href="([^"#:]+)', page.html + page.unindexed):
            assert href.count("../") <= depth, (path, href)


def test_front_matter_escapes_the_title_keeps_it_one_line_and_excludes_pages_from_search():
    text = front_matter(Page("posts/bob/x.md", "A <b>\u2028title", "<p>x</p>", searchable=False))
    assert text.startswith("---\n") and text.endswith("---\n")
    assert "title: A &lt;b&gt; title" in text
    assert "exclude: true" in text
    assert "title" not in front_matter(Page("index.md", "", "<p>home</p>"))


_DIFF_LINE = re.compile(r'<span class="(head|hunk|add|del|)">(.*)</span>\Z', re.S)


@given(st.lists(st.text(alphabet=st.sampled_from(list('+-@ di<>&"\'\r\x85\u2028xé')), max_size=12), max_size=30))
def test_a_diff_shows_every_line_escaped_and_classed(lines):
    text = "\n".join(lines)
    shown = str(diff_html(FilePatch("posts/bob/x.md", "M", text)))
    assert shown.startswith('<pre class="orgsite-diff" tabindex="0">') and shown.endswith("\n</pre>")
    rows = shown[len('<pre class="orgsite-diff" tabindex="0">') : -len("\n</pre>")].split("\n")
    expected = text.splitlines()
    assert len(rows) == max(len(expected), 1) if text else rows == [""]
    for row, line in zip(rows, expected, strict=False):
        match = _DIFF_LINE.match(row)
        assert match is not None and "<" not in match[2] and html.unescape(match[2]) == line
        heads = ("diff --git", "index ", "--- ", "+++ ", "new file", "deleted file")
        kind = "head" if line.startswith(heads) else {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "")
        assert match[1] == kind


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Verdict)])
def test_a_commit_pages_key_changes_with_every_field_of_its_verdict(field):
    story = Story()
    story.post(BOB, "hello", "Hello", "Hi.\n")
    commit = story.commits[-1]
    other = {int: 7, str: "other", type(None): "other"}
    value = getattr(commit.verdict, field)
    changed = (Problem(Rule.SIGNATURE, "bad"),) if field == "problems" else other[type(value)]
    if value == changed:
        changed = 8 if isinstance(value, int) else "another"
    verdict = dataclasses.replace(commit.verdict, **{field: changed})
    altered = CommitInfo(commit.id, commit.position, commit.parents, commit.meta, verdict, commit.patches)
    assert altered.digest != commit.digest
