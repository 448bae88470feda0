"""What one hostile post may do to the site: nothing beyond its own page. Builds of real communities
whose hook was bypassed (or whose posts are merely large) still finish, with the rest of the site."""

from __future__ import annotations

import html
import json

import feedparser

from orgsite.site.history import PostInfo
from orgsite.site.mkdocs_docs import PROTOTYPE_CONTENT, PROTOTYPE_NAME, PROTOTYPE_TITLE
from orgsite.site.pages import render_bodies
from tests.html_scan import article_text, page
from tests.test_site import _bypass_hook, build


def test_posts_that_would_stall_or_crash_a_build_are_left_out_and_the_rest_is_built(community, tmp_path):
    bob = community.bob
    bob.post("fine", "A fine post")
    deep = bob.post("deep", "Deep", body="".join("  " * level + "- x\n" for level in range(300)))
    ancient = bob.post("ancient", "Ancient", date="0001-01-01T00:00:00+14:00")
    bob.post("links", "Links", body="[a](" * 10_000 + "\n")
    _bypass_hook(community, bob)
    site = tmp_path / "site"
    built = build(community.bare, site)
    assert built.returncode == 0, built.stderr
    for path, commit in (("deep", deep), ("ancient", ancient)):
        assert f"warning: posts/bob/{path}.md: not published: commit {commit[:7]}, which wrote" in built.stderr
    assert f"{deep[:7]} posts/bob/deep.md: the text nests lists or quotes 150 levels deep" in built.stderr
    assert (site / "posts/bob/fine/index.html").exists() and (site / "posts/bob/links/index.html").exists()
    assert feedparser.parse((site / "feed.xml").read_bytes()).entries


def test_one_large_post_costs_its_page_not_the_index_the_feeds_or_the_history(community, tmp_path):
    bob = community.bob
    words = " ".join(f"word{n}" for n in range(25_000)) + "\n"  # about 220 KB of text, within max_post_bytes
    bob.post("long", "A very long post", body=words)
    bob.write("posts/bob/photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1200)  # 300 KB
    bob.commit("a photo")
    assert bob.push().ok
    site = tmp_path / "site"
    built = build(community.bare, site)
    assert built.returncode == 0, built.stderr
    assert "word24999" in article_text(page(site, "posts/bob/long"))  # the page has it all
    index = json.loads((site / "search/search_index.json").read_text())
    long_entries = [d for d in index["docs"] if d["location"].startswith("posts/bob/long/")]
    assert long_entries and sum(len(d["text"]) for d in long_entries) < 25_000
    [entry] = [e for e in feedparser.parse((site / "feed.xml").read_bytes()).entries if e.title == "A very long post"]
    assert len(entry.summary) < 1200 and "content" not in entry
    post_commit, photo_commit = bob.git("rev-parse", "HEAD~1"), bob.head()
    assert "KB more ( git show shows it)" in article_text(page(site, f"commits/{post_commit}.html"))
    assert (site / f"commits/{post_commit}.html").stat().st_size < 120_000
    assert "Too large to show here: 300 KB" in article_text(page(site, f"commits/{photo_commit}.html"))


def test_a_post_whose_body_cannot_be_rendered_is_left_out_of_every_listing():
    from orgsite.content import PostMeta
    from orgsite.site.history import CommunityHistory

    good = PostInfo("posts/bob/a.md", "a" * 40, PostMeta("A", None, ("t",), None, "fine"), None, False, [])
    not_text = PostMeta("B", None, ("t",), None, None)
    bad = PostInfo("posts/bob/b.md", "b" * 40, not_text, None, False, [])
    history = CommunityHistory(None, "i", "t", [], [good, bad], {}, [], {"t": [good, bad]}, {}, [])
    bodies = render_bodies(history)
    assert list(bodies) == ["posts/bob/a.md"]
    assert history.posts == [good] and history.tags == {"t": [good]}
    assert history.warnings == ["posts/bob/b.md: not published: its text could not be rendered (TypeError)"]


def test_titles_keep_every_unicode_character_on_the_page_the_tab_and_in_search(community, tmp_path):
    bob = community.bob
    bob.post("party", "Party 🎉 at Ōma's, 𝒻𝓊𝓃 & <games>")
    assert bob.push().ok
    site = tmp_path / "site"
    assert build(community.bare, site).returncode == 0
    html = (site / "posts/bob/party/index.html").read_text()
    assert "<title>Party 🎉 at Ōma&#39;s, 𝒻𝓊𝓃 &amp; &lt;games&gt;" in html.replace("&#x27;", "&#39;")
    assert "party" not in html.split("<title>")[1].split("</title>")[0].lower().replace("party 🎉", "")
    index = json.loads((site / "search/search_index.json").read_text())
    titles = [d["title"] for d in index["docs"] if d["location"] == "posts/bob/party/"]
    assert titles and "🎉" in titles[0] and "𝒻𝓊𝓃" in titles[0]


def test_a_commit_page_shows_diffs_until_its_budget_is_spent():
    from orgsite.repo import FilePatch
    from orgsite.site.pages import MAX_DIFF_BYTES, within_budget

    patches = [FilePatch(f"posts/bob/{n}.md", "A", "x" * MAX_DIFF_BYTES * 2) for n in range(6)]
    shown = [flag for _, flag in within_budget(patches, 4 * MAX_DIFF_BYTES)]
    assert shown == [True, True, True, True, False, False]
    small = [FilePatch("posts/bob/s.md", "A", "tiny")]
    assert within_budget(small, 0) == [(small[0], False)]


def test_a_chain_of_thousands_of_replies_is_walked_without_recursion():
    import datetime as dt

    from orgsite.content import PostMeta
    from orgsite.model import Verdict
    from orgsite.repo import CommitMeta
    from orgsite.site.history import CommitInfo, Revision

    def post(n: int, parent):
        commit = CommitInfo(
            f"{n:040x}", n, (), CommitMeta("A", "a@x", n, n, "m"), Verdict("c", None, "a", n, None, ()), ()
        )
        path = f"posts/a/p{n}.md"
        made = PostInfo(path, f"{n:040x}", PostMeta(f"P{n}", None, (), None, ""), None, False, [Revision(commit, path)])
        if parent is not None:
            made.parent = parent
            parent.replies.append(made)
        return made

    first = post(0, None)
    last = first
    for n in range(1, 5000):  # each answering the one before: deeper than Python's recursion limit
        last = post(n, last)
    assert first.thread_size() == 4999
    assert last.root is first and first.last_reply() is last
    assert first.activity()[0] == dt.datetime.fromtimestamp(4999, dt.UTC)
    assert [depth for _, depth in first.thread()][-1] == 4999


def test_text_holding_the_page_templates_markers_is_shown_as_written(community, tmp_path):
    bob = community.bob
    markers = f"{PROTOTYPE_TITLE} commits/{PROTOTYPE_NAME}.html posts/bob/{PROTOTYPE_NAME}/ {PROTOTYPE_CONTENT}"
    bob.write("posts/bob/hello.md", "---\ntitle: Hello\n---\nHi\n")
    commit = bob.commit(f"Hello\n\n{markers}")
    # A post named like the prototype of its folder's pages, its title and text holding the markers.
    bob.post("orgsite-prototype", f"Title {markers}", f"Text {markers}\n")
    assert bob.push().ok
    site = tmp_path / "site"
    assert build(community.bare, site).returncode == 0
    text = article_text(page(site, f"commits/{commit}.html"))
    assert f"{PROTOTYPE_TITLE} commits/{PROTOTYPE_NAME}.html" in text
    assert html.escape(PROTOTYPE_CONTENT) in page(site, f"commits/{commit}.html")
    post = page(site, "posts/bob/orgsite-prototype/index.html")
    assert f"Title {markers}" in article_text(post) and f"Text {markers}" in article_text(post)
    assert f"<title>Title {html.escape(markers)} - " in post
    assert (site / "posts/bob/hello/index.html").exists() and not list(site.rglob(f"{PROTOTYPE_NAME}*"))
