"""Post bodies to HTML that cannot run code in a reader's browser, nor make it fetch from elsewhere.

Members are trusted to sign, not to script. Raw HTML in a post is shown as text; the rendered
result then goes through an allowlist sanitizer (nh3, the Ammonia library) that keeps only plain
formatting tags, drops every event-handler, style, id and class attribute, only lets links use
http(s), mailto or relative URLs, and gives every link rel="noopener noreferrer". Images may only
come from the community's own files: an image from another host would be a request leaving the site.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub", "dl", "dt", "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def _scheme(url: str) -> str:
    # Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
    return urlsplit(_CONTROL.sub("", url)).scheme.lower()


class _Relink(Treeprocessor):
    """Relative links are written next to the post's file; the page lives one folder deeper."""

    def __init__(self, md: markdown.Markdown, post_dir: str, page_dir: str) -> None:
        super().__init__(md)
        self.post_dir = post_dir
        self.page_dir = page_dir

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            for name in ("href", "src"):
                url = element.get(name)
                if url is None:
                    continue
                scheme = _scheme(url)
                if scheme and (name == "src" or scheme not in URL_SCHEMES):
                    del element.attrib[name]
                    if name == "src":
                        element.set("alt", f"{element.get('alt', '')} (image from another site, not loaded)".strip())
                elif not scheme and url and not url.startswith(("#", "/")):
                    element.set(name, self._from_page(url))

    def _from_page(self, url: str) -> str:
        path, _, fragment = url.partition("#")
        target = posixpath.normpath(posixpath.join(self.post_dir, path))
        if target.endswith(".md"):
            target = target[: -len(".md")] + "/"
        relative = posixpath.relpath(target, self.page_dir) + ("/" if target.endswith("/") else "")
        return relative + (f"#{fragment}" if fragment else "")


class _PostExtension(Extension):
    def __init__(self, post_dir: str, page_dir: str) -> None:
        super().__init__()
        self.post_dir = post_dir
        self.page_dir = page_dir

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's API)
        md.preprocessors.deregister("html_block")  # raw HTML blocks become text
        md.inlinePatterns.deregister("html")  # and so does inline HTML
        md.treeprocessors.register(_Relink(md, self.post_dir, self.page_dir), "orgsite_relink", 0)


def render_post_body(text: str, *, post_path: str) -> str:
    """Safe HTML for a post's Markdown body; relative links resolve as they would next to `post_path`."""
    post_dir = posixpath.dirname(post_path)  # posts/bob
    page_dir = post_path.removesuffix(".md")  # posts/bob/hello, the page's URL
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists", _PostExtension(post_dir, page_dir)])
    return nh3.clean(
        md.convert(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
