"""The site makes no request outside itself: no fonts, CDN, analytics; members' links are marked."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.site_privacy import browser_requests, html_references, served, site_references


@pytest.fixture(scope="module")
def demo_site(demo):
    root, _ = demo
    return root / "site"


def test_built_site_references_no_other_host(demo_site):
    assert site_references(demo_site) == []


def test_members_links_are_kept_but_marked_noopener(demo_site):
    html = (demo_site / "posts/alice/photos/index.html").read_text()
    assert '<a href="https://git-scm.com/book" rel="noopener noreferrer">the Git book</a>' in html


@pytest.mark.parametrize(
    "html",
    [
        '<img src="https://cdn.example/x.png">',
        '<link rel="stylesheet" href="https://fonts.example/css">',
        '<script src="//cdn.example/a.js"></script><script>fetch("https://track.example/p")</script>',
        '<div style="background: url(https://img.example/b.png)"></div>',
        '<div class="orgsite-body"><a href="https://example.org">no rel</a></div>',
        '<a href="https://example.org" rel="noopener noreferrer">outside a post</a>',
    ],
)
def test_the_scan_catches_references_to_other_hosts(html):
    assert html_references(html) != []


def test_a_real_browser_loads_pages_without_contacting_another_host(demo_site, tmp_path):
    with served(demo_site) as base:
        for n, page in enumerate(("", "posts/bob/hello/", "members/dan/", "history/", "membership/")):
            requested, dom = browser_requests(base + page, tmp_path / f"run{n}")
            hosts = {urlsplit(u).netloc for u in requested if urlsplit(u).scheme in ("http", "https")}
            assert hosts <= {urlsplit(base).netloc}, requested
            assert any(u.endswith(".js") for u in requested), "the page's own scripts were not seen"
            assert "md-content" in dom
        requested, _ = browser_requests(base, tmp_path / "search")
        assert base + "search/search_index.json" in requested  # offline search loads from the site itself


def test_the_browser_check_sees_a_request_to_another_host(demo_site, tmp_path):
    probe = demo_site.parent / "probe"
    probe.mkdir(exist_ok=True)
    (probe / "index.html").write_text('<html><body><img src="https://elsewhere.example/pixel.png"></body></html>')
    with served(probe) as base:
        requested, _ = browser_requests(base, tmp_path / "probe")
    assert "https://elsewhere.example/pixel.png" in requested
