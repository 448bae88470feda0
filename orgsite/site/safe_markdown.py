"""Post bodies to HTML that cannot run code in a reader's browser.

Members are trusted to sign, not to script: raw HTML is shown as text, links and images may only
use http(s), mailto or relative URLs, no element keeps an event-handler or style attribute, and
links to other hosts get rel="noopener noreferrer".
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

_SAFE_SCHEMES = {"http", "https", "mailto"}
_URL_ATTRIBUTES = ("href", "src")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def _scheme(url: str) -> str:
    # Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
    return urlsplit(_CONTROL.sub("", url)).scheme.lower()


class _Neutralise(Treeprocessor):
    def __init__(self, md: markdown.Markdown, page_dir: str, site_dir: str) -> None:
        super().__init__(md)
        self.page_dir = page_dir
        self.site_dir = site_dir

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            for name in list(element.attrib):
                if name.lower().startswith("on") or name.lower() in ("style", "srcset", "formaction"):
                    del element.attrib[name]
            for name in _URL_ATTRIBUTES:
                if name in element.attrib:
                    self._fix_url(element, name)
            if element.tag == "a" and _scheme(element.get("href", "")) in ("http", "https"):
                element.set("rel", "noopener noreferrer")

    def _fix_url(self, element: ET.Element, name: str) -> None:
        url = element.attrib[name].strip()
        scheme = _scheme(url)
        if scheme and (scheme not in _SAFE_SCHEMES or name == "src"):
            del element.attrib[name]
            if name == "src":  # an image from another host would be a request leaving the site
                element.set("alt", f"{element.get('alt', '')} (image from another site, not loaded)".strip())
            return
        if scheme or url.startswith(("#", "/")) or not url:
            return
        element.set(name, self._relative_to_page(url))

    def _relative_to_page(self, url: str) -> str:
        """A link written relative to the post's file, made relative to the post's page URL."""
        path, _, fragment = url.partition("#")
        target = posixpath.normpath(posixpath.join(self.page_dir, path))
        if target.endswith(".md"):
            target = target[: -len(".md")] + "/"
        relative = posixpath.relpath(target, self.site_dir) + ("/" if target.endswith("/") else "")
        return relative + (f"#{fragment}" if fragment else "")


class _NoRawHtml(Extension):
    def __init__(self, page_dir: str, site_dir: str) -> None:
        super().__init__()
        self.page_dir = page_dir
        self.site_dir = site_dir

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's API)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_Neutralise(md, self.page_dir, self.site_dir), "orgsite_neutralise", 0)


def render_post_body(text: str, *, post_path: str) -> str:
    """HTML for a post's Markdown body; relative links resolve as they would next to `post_path`."""
    page_dir = posixpath.dirname(post_path)  # posts/bob
    site_dir = post_path[: -len(".md")] if post_path.endswith(".md") else post_path  # posts/bob/hello (its URL)
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", _NoRawHtml(page_dir, site_dir)],
        output_format="html",
    )
    return md.convert(text)
