"""Reading built HTML the way a browser would see its elements (standard library parser only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    classes_above: tuple[str, ...]  # the class attributes of the enclosing elements
    text: list[str] = field(default_factory=list)


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        above = tuple(e.attrs.get("class", "") for e in self.stack)
        element = Element(tag, {k: v or "" for k, v in attrs}, above)
        self.elements.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.text.append(data)
        if self.stack:
            self.stack[-1].text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def page(site: Path, url: str) -> str:
    """The HTML of the page at `url` (relative to the site root: a folder, or a file ending in .html)."""
    return (site / url if url.endswith(".html") else site / url / "index.html").read_text(encoding="utf-8")


def article_text(html: str) -> str:
    """The visible text of the page's main article, whitespace folded."""
    start = html.index('<article class="md-content__inner')
    end = html.rindex("</article>")  # Material's article holds orgsite's own <article> cards
    return " ".join(" ".join(parse(html[start:end]).text).split())


def links(html: str) -> list[str]:
    return [e.attrs["href"] for e in parse(html).elements if e.tag == "a" and "href" in e.attrs]
