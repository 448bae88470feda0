"""Post bodies to HTML that cannot run code in a reader's browser, nor make it fetch from elsewhere,
nor stall the build.

Members are trusted to sign, not to script. Bodies are parsed by markdown-it-py (CommonMark, linear
time in the input, nesting capped by its `maxNesting`: a post cannot make the build recurse or go
quadratic) with raw HTML off, so any HTML in a post is shown as text. The result then goes through
an allowlist sanitizer (nh3, the Ammonia library) that keeps only plain formatting tags, drops every
event-handler, style, id and class attribute, and gives every link rel="noopener noreferrer".
Every `href` and `src` is judged as a browser would read it (`url_kind`): images may only come from
the site itself; links may go to other hosts (a click, not a load) over http(s) or mailto.
"""

from __future__ import annotations

import posixpath
import re
from enum import StrEnum

import markupsafe
import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "del", "s", "sup", "sub", "dl", "dt",
    "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
NOT_LOADED = "(image from another site, not loaded)"

# What a browser's URL parser does first: strip leading and trailing C0 controls and spaces, drop
# every tab and newline, and (for http-like URLs) read a backslash as a slash.
_EDGES = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def browser_view(url: str) -> str:
    """`url` as a browser's URL parser sees it before resolving it."""
    return _TAB_NEWLINE.sub("", url.strip(_EDGES)).replace("\\", "/")


class UrlKind(StrEnum):
    """Where a URL leads, as a browser resolves it on a post's page."""

    FRAGMENT = "fragment"  # the same page
    RELATIVE = "relative"  # a path below the site's own pages
    HOST = "host"  # an absolute path on the same host, maybe outside the site
    EXTERNAL = "external"  # another host, by scheme or a scheme-relative `//host`
    MAILTO = "mailto"
    BAD = "bad"  # any other scheme: javascript:, data:, file:…


def url_kind(url: str) -> UrlKind:
    """Where a URL in a post leads, as a browser resolves it on the post's page."""
    seen = browser_view(url)
    scheme = _SCHEME.match(seen)
    if scheme:
        name = scheme.group(1).lower()
        if name in ("http", "https"):
            return UrlKind.EXTERNAL
        return UrlKind.MAILTO if name == "mailto" else UrlKind.BAD
    if seen.startswith("//"):
        return UrlKind.EXTERNAL
    if seen.startswith("/"):
        return UrlKind.HOST
    if seen.startswith("#"):
        return UrlKind.FRAGMENT
    return UrlKind.RELATIVE


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on each attribute: nothing loads from outside the site, no odd scheme links."""
    if attribute == "src" and url_kind(value) is not UrlKind.RELATIVE:
        return None
    if attribute == "href" and url_kind(value) is UrlKind.BAD:
        return None
    return value


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def _from_page(url: str, post_dir: str, page_dir: str) -> str:
    """A relative URL written next to the post's file, rewritten for its page one folder deeper."""
    path, _, fragment = browser_view(url).partition("#")
    target = posixpath.normpath(posixpath.join(post_dir, path))
    if target.endswith(".md"):
        target = target[: -len(".md")] + "/"
    relative = posixpath.relpath(target, page_dir) + ("/" if target.endswith("/") else "")
    return relative + (f"#{fragment}" if fragment else "")


def _relink(tokens: list[Token], post_dir: str, page_dir: str) -> None:
    for token in tokens:
        if token.children:
            _relink(token.children, post_dir, page_dir)
        name = "src" if token.type == "image" else "href" if token.type == "link_open" else None
        url = token.attrGet(name) if name else None
        if not isinstance(url, str):
            continue
        kind = url_kind(url)
        if name == "src" and kind is not UrlKind.RELATIVE:
            del token.attrs["src"]
            alt = "".join(child.content for child in token.children or [])
            token.children = [Token("text", "", 0, content=f"{alt} {NOT_LOADED}".strip())]
        elif kind is UrlKind.RELATIVE and browser_view(url):
            token.attrSet(name, _from_page(url, post_dir, page_dir))


def render_post_body(text: str, *, post_path: str) -> str:
    """Safe HTML for a post's Markdown body; relative links resolve as they would next to `post_path`."""
    post_dir = posixpath.dirname(post_path)  # posts/bob
    page_dir = post_path.removesuffix(".md")  # posts/bob/hello, the page's URL
    env: dict = {}
    tokens = _MARKDOWN.parse(text, env)
    _relink(tokens, post_dir, page_dir)
    return nh3.clean(
        _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, env),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"img": {"loading": "lazy"}},  # pictures load as the reader scrolls to them
    )


def plain_excerpt(html: str, limit: int) -> str:
    """The text of an HTML fragment (as escaped HTML, no tags), cut to about `limit` characters."""
    text = " ".join(nh3.clean(html, tags=set()).split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def render_inline(text: str) -> markupsafe.Markup:
    """One line of member Markdown (the community's description) as safe inline HTML."""
    html = _MARKDOWN.renderInline(text)
    return markupsafe.Markup(
        nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, attribute_filter=_keep_attribute,
                  url_schemes=URL_SCHEMES, link_rel="noopener noreferrer")  # fmt: skip
    )
