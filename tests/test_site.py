"""`orgsite build`: the site a member reads, checked on the built HTML of real communities."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser

from tests.html_scan import article_text, links, page, parse
from tests.people import orgsite, run


def build(repo: Path, out: Path, *extra: str):
    return orgsite("build", str(repo), "--out", str(out), *extra)


def test_home_lists_conversations_by_latest_activity_without_replies_as_rows(demo_site):
    text = article_text(page(demo_site, ""))
    # Book club's newest reply moves it up; replies are never rows of their own.
    assert text.index("Book club") < text.index("Erin joins") < text.index("Welcome to our family site")
    assert "Re: Book club" not in text and "Re: Hello from Bob" not in text
    assert "Summer plans New Who is in for the lake house" in text  # "New" is shown by the script, if so
    assert re.search(r"Summer plans .*? Carol Example · \S+ · 1 reply · last reply by Bob Example", text)
    assert re.search(r"Hello from Bob .*? Bob Example · \S+ · 2 replies · last reply by Bob Example .*? hello", text)


def test_every_link_and_asset_of_every_page_leads_to_a_file_of_the_site(demo_site):
    pages = sorted(demo_site.rglob("*.html"))
    assert len(pages) > 40 and any(p.parent.name == "commits" for p in pages)
    for path in pages:
        for element in parse(path.read_text(encoding="utf-8")).elements:
            target = element.attrs.get("href") or element.attrs.get("src")
            if element.tag not in ("a", "link", "script", "img") or not target:
                continue
            target = target.split("#")[0].split("?")[0]
            if not target or target.startswith(("mailto:", "data:")) or (element.tag == "a" and "://" in target):
                continue  # a link a member wrote may lead anywhere; everything the page loads is the site's
            assert "://" not in target, f"{path.relative_to(demo_site)} loads from outside the site: {target}"
            # The 404 page, shown at any address, links from the site's root (the demo sets no url).
            resolved = (demo_site / target.lstrip("/") if target.startswith("/") else path.parent / target).resolve()
            assert resolved.is_relative_to(demo_site.resolve()), f"{path.relative_to(demo_site)}: {target}"
            assert (resolved / "index.html" if resolved.is_dir() else resolved).is_file(), (
                f"{path.relative_to(demo_site)} links to {target}, which the site does not have"
            )


def test_a_build_that_keeps_every_page_in_files_gives_the_same_site(demo, demo_site, tmp_path, monkeypatch):
    from orgsite.site import build
    from orgsite.site.manifest import digests

    root, _ = demo
    monkeypatch.setattr(build, "HTML_HELD_IN_MEMORY", 0)  # as a large community's build does past its budget
    build.build_site(root / "community.git", tmp_path / "site")
    assert digests(tmp_path / "site") == digests(demo_site)


def test_post_page_shows_signer_dates_thread_and_history(demo_site, demo):
    root, _ = demo
    html = page(demo_site, "posts/bob/hello")
    text = article_text(html)
    bob_fpr = run("gpg", "--with-colons", "--show-keys", str(root / "keys/bob.asc")).stdout.decode()
    fingerprint = next(line.split(":")[9] for line in bob_fpr.splitlines() if line.startswith("fpr:"))
    short = " ".join(fingerprint[i : i + 4] for i in range(24, 40, 4))
    assert text.startswith(f"Hello from Bob ✔ Signed by Bob Example key {short} · ")
    assert " · edited " in text
    assert "(Edited: fixed a typo.)" in text
    # the thread: carol's reply, and bob's reply to it, each signed, then how to reply, then the record
    assert "2 replies Jump to the first new reply Re: Hello from Bob New ✔ Signed by Carol Example key " in text
    assert text.index("Re: Hello from Bob") < text.index("Re: Re: Hello from Bob") < text.index("Edited 1 time")
    assert "orgsite post 'Re: Hello from Bob' --reply-to posts/bob/hello.md" in text
    # the record: both revisions, newest first, with the diff of the edit, in a closed section
    assert '<details class="orgsite-record">' in html
    assert text.count("✓ verified") == 2
    assert "-Hi all! Glad to be here. +Hi all! Glad to be here. (Edited: fixed a typo.)" in text


def _history_pages(site: Path) -> list[str]:
    pages = [page(site, "history")]
    n = 1
    while (site / f"history/page/{n}/index.html").exists():
        pages.append(page(site, f"history/page/{n}"))
        n += 1
    return pages


def test_history_lists_every_commit_with_signer_verdict_and_a_diff_page(demo_site, demo):
    root, _ = demo
    commits = run("git", "rev-list", "main", cwd=root / "community.git").stdout.decode().split()
    html = "".join(_history_pages(demo_site))
    for commit in commits:
        assert f"commits/{commit}.html" in html
    text = article_text(html)
    assert text.count("✓ verified") == len(commits) == 19
    assert "@alice" in text and "Remove member dan" in text
    newest = page(demo_site, f"commits/{commits[0]}.html")
    assert "+title: 'Re: Book club'" in article_text(newest)


def test_membership_page_lists_additions_and_the_removal_by_whom(demo_site):
    text = article_text(page(demo_site, "membership"))
    assert re.search(r"removed Dan Example @alice", text), text
    assert re.search(r"added \(as member\) Erin Example @alice", text)
    assert text.index("removed Dan") < text.index("added (as member) Erin") < text.index("added (as operator) Alice")


def test_removed_members_posts_stay_marked_as_by_a_former_member(demo_site):
    recipe = article_text(page(demo_site, "posts/dan/recipe"))
    assert "Signed by Dan Example (former member) key " in recipe
    dan = article_text(page(demo_site, "members/dan"))
    assert "(former member)" in dan and "Left 20" in dan and "Grandma's apple cake" in dan
    members = article_text(page(demo_site, "members"))
    assert "Dan Example (former member) member" in members


def test_feeds_are_valid_atom(demo_site):
    feed = feedparser.parse((demo_site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert len(feed.entries) == 12
    assert feed.entries[0].title == "Re: Book club" and "Next month: poetry." in feed.entries[0].content[0].value
    bob = feedparser.parse((demo_site / "members/bob/feed.xml").read_bytes())
    assert not bob.bozo and {e.title for e in bob.entries} == {
        "Hello from Bob",
        "Re: Re: Hello from Bob",
        "Re: Summer plans",
    }
    assert 'type="application/atom+xml"' in page(demo_site, "")


def test_search_index_has_posts_but_not_commit_pages(demo_site):
    index = (demo_site / "search/search_index.json").read_text()
    assert "Grandma" in index and "Book club" in index
    assert "commits/" not in index
    assert "diff --git" not in index  # a post's history is on its page, not in the index


def test_post_urls_come_from_repository_paths(demo_site):
    assert (demo_site / "posts/bob/hello/index.html").exists()
    assert (demo_site / "posts/carol/re-hello/index.html").exists()
    assert "../../../posts/carol/re-hello/" in links(page(demo_site, "posts/bob/hello"))


# --- built from communities made for one test -------------------------------------------------


def test_author_is_the_signer_never_the_front_matter(community, tmp_path):
    bob = community.bob
    bob.post("claim", "Written by Carol, honestly", author="Carol Example", signer="carol")
    assert bob.push().ok
    built = build(community.bare, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    text = article_text(page(tmp_path / "site", "posts/bob/claim"))
    short = " ".join(bob.key.fingerprint[i : i + 4] for i in range(24, 40, 4))
    assert text.startswith(f"Written by Carol, honestly ✔ Signed by Bob Example key {short}")
    assert "by Carol Example" not in text and "@carol" not in text


XSS = """\
<script>alert('script')</script>

<img src=x onerror="alert('img')">

[click](javascript:alert('link')) and [fine](https://example.org/page) and <a href="#" onclick="alert(1)">raw</a>

```{.mermaid onclick=alert(2)}
graph TD
```
"""


def test_script_and_event_handlers_in_posts_render_inert(community, tmp_path):
    bob = community.bob
    bob.post("xss", "<b>Bold</b> <script>alert('title')</script>", body=XSS)
    assert bob.push().ok
    assert build(community.bare, tmp_path / "site").returncode == 0
    html = page(tmp_path / "site", "posts/bob/xss")
    body_start = html.index('<div class="orgsite-body">')
    body = html[body_start : html.index("</div>", body_start)]
    elements = parse(body).elements
    assert [e.tag for e in elements if e.tag in ("script", "img", "iframe")] == []
    assert all(not name.startswith("on") for e in elements for name in e.attrs)
    assert not any("mermaid" in e.attrs.get("class", "") for e in elements)
    hrefs = [e.attrs.get("href") for e in elements if e.tag == "a"]
    assert "https://example.org/page" in hrefs and not any(h and "javascript" in h.lower() for h in hrefs)
    assert all(e.attrs.get("rel") == "noopener noreferrer" for e in elements if e.tag == "a" and e.attrs.get("href"))
    # the markup is shown as text, not run
    assert "<script>alert('script')</script>" in article_text(html)
    # and the title is escaped everywhere it appears, including <title>
    assert "<script>alert('title')</script>" not in html
    [heading] = [e for e in parse(html).elements if e.tag == "h1"]
    assert "".join(heading.text) == "<b>Bold</b> <script>alert('title')</script>"


def test_attachments_are_copied_and_shown_inline(community, tmp_path):
    bob = community.bob
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    bob.write("posts/bob/cat.png", png)
    bob.post("cat", "Our cat", body="![the cat](cat.png)\n")
    assert bob.push().ok
    assert build(community.bare, tmp_path / "site").returncode == 0
    assert (tmp_path / "site/posts/bob/cat.png").read_bytes() == png
    images = [e for e in parse(page(tmp_path / "site", "posts/bob/cat")).elements if e.tag == "img"]
    assert any(e.attrs.get("src") == "../cat.png" and e.attrs.get("alt") == "the cat" for e in images)


def _bypass_hook(community, person):
    """Put `person`'s branch on the server without the hook (as a broken or hostile server could)."""
    run("git", "fetch", "-q", "--update-head-ok", str(person.clone), "main:main", cwd=community.bare)


def test_posts_from_commits_that_break_the_rules_are_not_published(community, tmp_path):
    bob = community.bob
    bob.post("good", "A good post")
    bob.post("unsigned", "Never signed", sign=False)
    bob.write("posts/bob/broken.md", "---\ntitle: [unclosed\n---\nbody\n")
    bob.commit("broken front matter")
    _bypass_hook(community, bob)
    built = build(community.bare, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    assert "warning: posts/bob/unsigned.md: not published" in built.stderr
    assert "warning: posts/bob/broken.md: not published" in built.stderr
    site = tmp_path / "site"
    assert (site / "posts/bob/good/index.html").exists()
    assert not (site / "posts/bob/unsigned").exists() and not (site / "posts/bob/broken").exists()
    history = article_text("".join(_history_pages(site)))
    assert "✗ refused: " in history and "is not signed" in history


def test_a_site_folder_that_cannot_be_made_is_a_one_line_error(community, tmp_path):
    in_the_way = tmp_path / "notes.txt"
    in_the_way.write_text("mine\n")
    failed = orgsite("build", str(community.bare), "--out", str(in_the_way / "site"))
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert failed.stderr.startswith(f"error: cannot build into {in_the_way / 'site'}: {in_the_way} is a file")
    assert "choose another --out" in failed.stderr and in_the_way.read_text() == "mine\n"
    # Nor is such a folder taken for the site that every push rebuilds: refused at once, nothing set.
    refused = orgsite("site", "enable", str(in_the_way / "deeper" / "site"), "--repo", str(community.bare))
    assert refused.returncode == 1 and refused.stderr.startswith("error: cannot build into ")
    assert f"{in_the_way} is a file" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert run("git", "config", "orgsite.site", cwd=community.bare, check=False).returncode == 1


def test_failed_build_leaves_the_previous_site_untouched(community, tmp_path):
    site = tmp_path / "site"
    assert build(community.bare, site).returncode == 0
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    community.bob.post("new", "A new post")
    assert community.bob.push().ok
    broken = tmp_path / "broken.yml"
    broken.write_text("site_name: x\ntheme:\n  name: no-such-theme\n")
    failed = build(community.bare, site, "--config", str(broken))
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: the site build failed") and len(failed.stderr.strip().splitlines()) == 1
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    # No scratch left (the spare the first build left, taken up by the failed one, went with it).
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", "broken.yml", "c", "site"]


def test_rebuild_replaces_the_site_whole(community, tmp_path):
    site = tmp_path / "site"
    assert build(community.bare, site).returncode == 0
    community.bob.post("new", "A new post")
    assert community.bob.push().ok
    assert build(community.bare, site).returncode == 0
    assert "A new post" in article_text(page(site, ""))
    assert (site / "posts/bob/new/index.html").exists()


def test_build_refuses_to_overwrite_a_folder_it_did_not_make(community, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    refused = build(community.bare, out)
    assert refused.returncode == 1 and "is not a site built by orgsite" in refused.stderr
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


def test_home_shows_the_newest_and_every_conversation_is_on_a_page_counted_from_the_first(community, tmp_path):
    bob = community.bob
    for n in range(23):
        bob.post(f"p{n:02d}", f"Post number {n:02d}")
    assert bob.push().ok
    assert build(community.bare, tmp_path / "site").returncode == 0
    first = article_text(page(tmp_path / "site", ""))
    oldest = article_text(page(tmp_path / "site", "page/1"))
    newest = article_text(page(tmp_path / "site", "page/2"))
    assert "Post number 22" in first and "Post number 03" in first and "Post number 02" not in first
    assert "all conversations, by when they started →" in first
    assert "Post number 00" in oldest and "Post number 19" in oldest and "conversations 1–20" in oldest
    assert "Post number 20" in newest and "Post number 22" in newest and "older →" in newest


def test_history_is_paginated_newest_first_in_pages_that_stay_as_they_are(community, tmp_path):
    bob = community.bob
    commits = [bob.post(f"h{n:02d}", f"History {n:02d}") for n in range(50)]
    assert bob.push().ok
    assert build(community.bare, tmp_path / "site").returncode == 0
    first = page(tmp_path / "site", "history")
    older = page(tmp_path / "site", "history/page/1")
    assert f"commits/{commits[-1]}.html" in first and f"commits/{commits[0]}.html" in first  # the newest 50 of 53
    intro = run("git", "config", "orgsite.introduction", cwd=community.bare).stdout.decode().strip()
    assert f"commits/{intro}.html" in older and f"commits/{intro}.html" not in first
    assert "commits 1–50" in article_text(older) and "older →" in article_text(first)
    assert "commits 4–53" in article_text(first) and "← newer" in article_text(older)
    # Counted from the introduction: the next push changes the History page, not the page of the oldest.
    bob.post("h50", "History 50")
    assert bob.push().ok
    assert build(community.bare, tmp_path / "site").returncode == 0
    assert page(tmp_path / "site", "history/page/1") == older
    assert f"commits/{bob.head()}.html" in page(tmp_path / "site", "history")


def test_build_from_a_clone_gives_the_same_posts(community, tmp_path):
    bob = community.bob
    bob.post("hello", "Hello")
    assert bob.push().ok
    assert build(bob.clone, tmp_path / "from-clone").returncode == 0
    assert build(community.bare, tmp_path / "from-bare").returncode == 0
    assert article_text(page(tmp_path / "from-clone", "posts/bob/hello")) == article_text(
        page(tmp_path / "from-bare", "posts/bob/hello")
    )
