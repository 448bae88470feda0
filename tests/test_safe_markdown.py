"""Member Markdown to HTML: URLs judged as a browser reads them, nothing loads from elsewhere, nothing
runs, and no input stalls the renderer. Table tests, then generated input (hypothesis)."""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgsite.content import parse_post
from orgsite.errors import ContentError
from orgsite.site.safe_markdown import NOT_LOADED, render_inline, render_post_body, url_kind

POST = "posts/bob/hello.md"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("pic.png", "relative"),
        ("../alice/x.md#top", "relative"),
        ("#replies", "fragment"),
        ("/elsewhere.png", "host"),
        ("//evil.example/a.png", "external"),
        ("/\\evil.example/b.png", "external"),
        ("\\\\evil.example\\c.png", "external"),
        (" \t//evil.example/d.png", "external"),
        ("/\t/evil.example/e.png", "external"),
        ("HTTPS://evil.example/f.png", "external"),
        ("hTtP://evil.example", "external"),
        ("mailto:bob@example.org", "mailto"),
        ("javascript:alert(1)", "bad"),
        ("java\tscript:alert(1)", "bad"),
        ("\x01javascript:alert(1)", "bad"),
        ("JaVaScRiPt:alert(1)", "bad"),
        ("data:image/png;base64,AAAA", "bad"),
        ("file:///etc/passwd", "bad"),
    ],
)
def test_urls_are_judged_as_a_browser_reads_them(url, kind):
    assert url_kind(url) == kind


def srcs(html: str) -> list[str]:
    return re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)


@pytest.mark.parametrize(
    "markdown",
    [
        "![a](//evil.example/a.png)",
        "![b](/\\evil.example/b.png)",
        "![c](&#x2F;&#x2F;evil.example/c.png)",
        "![d]( HTTPS://evil.example/d.png)",
        "![e](&#47;&#92;evil.example/e.png)",
        '![f][ref]\n\n[ref]: //evil.example/f.png "t"',
        "![g](<//evil.example/g g.png>)",
        '<img src="https://evil.example/h.png">',
    ],
)
def test_images_from_other_hosts_are_not_loaded(markdown):
    html = render_post_body(markdown, post_path=POST)
    assert srcs(html) == []
    assert "evil.example" not in "".join(re.findall(r"<img[^>]*>", html))
    if markdown.startswith("!"):
        assert NOT_LOADED in html


def test_images_beside_the_post_load_from_its_page():
    assert srcs(render_post_body("![cat](cat.png)", post_path=POST)) == ["../cat.png"]


def test_links_to_other_hosts_stay_links_marked_noopener():
    html = render_post_body("[away](//elsewhere.example/x) [book](https://git-scm.com/book)", post_path=POST)
    assert '<a href="//elsewhere.example/x" rel="noopener noreferrer">away</a>' in html
    assert '<a href="https://git-scm.com/book" rel="noopener noreferrer">book</a>' in html


def test_raw_html_and_script_links_are_inert():
    html = render_post_body("<script>alert(1)</script> [x](javascript:alert(2))", post_path=POST)
    assert "<script" not in html and "javascript:" not in html.replace("[x](javascript:alert(2))", "")
    assert "&lt;script&gt;" in html


def test_hostile_markdown_renders_fast_and_flat():
    started = time.perf_counter()
    nested = render_post_body("".join("  " * level + "- x\n" for level in range(300)), post_path=POST)
    links = render_post_body("[a](" * 10_000, post_path=POST)
    elapsed = time.perf_counter() - started
    assert nested.count("<ul>") <= 20  # markdown-it caps nesting: no recursion, no RecursionError
    assert links.startswith("<p>[a](")
    assert elapsed < 10, f"{elapsed:.1f} s"  # a generous bound: Python-Markdown took ~20 s on the links alone


# Generated input: never a crash, never an image off the site, never an event handler or script.
markdown_text = st.lists(
    st.sampled_from(
        [*"ab <>[]()!*_`#-:/\\\"'&;\n\t=\x00", "javascript:", "//", "&#x2F;", "http:", "![i](", "[l](", "<img src="]
    ),
    max_size=80,
).map("".join)


@settings(max_examples=300, deadline=5000)  # a bound on time per input, far above what it takes
@given(markdown_text)
def test_rendering_any_text_keeps_every_load_on_the_site(text):
    html = render_post_body(text, post_path=POST)
    for src in srcs(html):
        assert url_kind(src.replace("&amp;", "&")) == "relative", src
    assert not re.search(r"<(script|iframe|object|embed|style)", html, re.I)
    assert not re.search(r"\son\w+=", html, re.I)
    for href in re.findall(r'href="([^"]*)"', html):
        assert url_kind(href.replace("&amp;", "&")) != "bad", href


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_url_gets_a_kind(url):
    assert url_kind(url) in {"relative", "fragment", "host", "external", "mailto", "bad"}


front_matter = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=5000)
@given(st.dictionaries(st.sampled_from(["title", "tags", "date", "reply_to", "other"]), front_matter), st.text())
def test_parse_post_accepts_or_refuses_with_a_bounded_message(fields, body):
    import yaml

    head = yaml.safe_dump(fields, allow_unicode=True) if fields else ""
    data = f"---\n{head}---\n{body}".encode("utf-8", "surrogatepass")
    try:
        meta = parse_post(data)
    except ContentError as e:
        assert len(str(e)) < 200
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", str(e))
    else:
        assert meta.title.strip() and "\n" not in meta.title


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_parse_post_never_crashes_on_bytes(data):
    with contextlib.suppress(ContentError):  # refusing is fine; any other exception fails the test
        parse_post(b"---\n" + data)


def test_the_community_description_is_inline_markdown_and_as_inert_as_a_post():
    html = render_inline("Our *family* <script>alert(1)</script> ![x](//evil.example/a.png) [js](javascript:alert(2))")
    assert "<em>family</em>" in html
    assert "<script" not in html and "evil.example" not in html and 'href="javascript' not in html
