"""The MkDocs side of the pages: each page becomes a Markdown file of front matter in MkDocs' docs
folder (its HTML is handed over by the build's plugin), and stamped pages are laid into a built
prototype page of their folder instead of being built one by one."""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from orgsite.site.pages import Page, output_of, url_of

_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


def front_matter(page: Page | StoredPage) -> str:
    """The page's Markdown file: front matter only; MkDocs gets the HTML from the build's plugin."""
    # The title is HTML-escaped because Material prints it unescaped; YAML's own dumper keeps every
    # Unicode character (an emoji stays one character, never a pair of escaped surrogates), but
    # would fold its line-break characters, which a one-line title shows as spaces.
    front: dict[str, object] = {"hide": ["navigation", "toc"]}
    if page.title:  # the home page has none: Material then titles it with the community's name alone
        front["title"] = _LINE_BREAKS.sub(" ", html.escape(page.title))
    if not page.searchable:
        front["search"] = {"exclude": True}
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, width=1_000_000, sort_keys=False) + "---\n"


PROTOTYPE_NAME = "orgsite-prototype"
PROTOTYPE_TITLE = "orgsite-prototype-title"
PROTOTYPE_CONTENT = "<!--orgsite-prototype-content-->"


@dataclass(frozen=True)
class StoredPage:
    """A rendered page whose HTML waits on disk (see HtmlStore); `html` and `unindexed` read it."""

    path: str
    title: str
    searchable: bool
    stamped: bool
    file: Path
    has_unindexed: bool

    @property
    def html(self) -> str:
        """The page's HTML."""
        return self.file.read_text(encoding="utf-8")

    @property
    def unindexed(self) -> str:
        """The HTML shown after `html`, kept out of the search index."""
        return self.file.with_suffix(".unindexed").read_text(encoding="utf-8") if self.has_unindexed else ""


class HtmlStore:
    """Rendered pages' HTML, held in memory up to `budget` characters and beyond that kept in files
    until MkDocs or the stamping needs it: a large site's build never holds every page's HTML at once
    (hundreds of MiB at 10,000 posts), and a small one writes no files."""

    def __init__(self, folder: Path, budget: int) -> None:
        folder.mkdir()
        self._folder = folder
        self._count = 0
        self._budget = budget

    def keep(self, page: Page) -> Page | StoredPage:
        """`page` as it is while the budget lasts, else with its HTML moved into a file."""
        size = len(page.html) + len(page.unindexed)
        if size <= self._budget:
            self._budget -= size
            return page
        self._count += 1
        file = self._folder / f"{self._count}.html"
        file.write_text(page.html, encoding="utf-8")
        if page.unindexed:
            file.with_suffix(".unindexed").write_text(page.unindexed, encoding="utf-8")
        return StoredPage(page.path, page.title, page.searchable, page.stamped, file, bool(page.unindexed))


@dataclass(frozen=True)
class Docs:
    """What `write_docs` leaves for the build: the pages MkDocs builds (by docs path), the pages to stamp."""

    built: dict[str, Page | StoredPage]
    stamped: list[Page | StoredPage]
    page_count: int


def write_docs(
    pages: Sequence[Page | StoredPage], files: Mapping[str, bytes | Callable[[], bytes]], docs: Path
) -> Docs:
    """Write `pages` (front matter only) and `files` into the empty folder `docs`.

    The pages' HTML is handed to MkDocs after Markdown conversion: running Python-Markdown over
    generated HTML (diffs above all) would only cost time.
    """
    page_count = len(pages)
    stamped = [page for page in pages if page.stamped]
    built = [page for page in pages if not page.stamped]
    for folder in sorted({posixpath.dirname(page.path) for page in stamped}):
        built.append(Page(f"{folder}/{PROTOTYPE_NAME}.md", PROTOTYPE_TITLE, PROTOTYPE_CONTENT, searchable=False))
    for page in built:
        target = docs / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(front_matter(page), encoding="utf-8")
    for path, content in files.items():
        data = content if isinstance(content, bytes) else content()
        target = docs / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return Docs({page.path: page for page in built}, stamped, page_count)


def stamp_pages(site: Path, stamped: Sequence[Page | StoredPage]) -> None:
    """Write each stamped page into the built `site` from its folder's prototype, then drop the prototypes."""
    prototypes: dict[str, str] = {}
    for page in stamped:
        folder = posixpath.dirname(page.path)
        prototype = f"{folder}/{PROTOTYPE_NAME}.md"
        if folder not in prototypes:
            prototypes[folder] = (site / output_of(prototype)).read_text(encoding="utf-8")
        # The page's own text goes in last: what a member wrote (a commit message) may hold the
        # prototype's markers, and no later replacement may touch it.
        filled = (
            prototypes[folder]
            .replace(url_of(prototype), url_of(page.path))  # the canonical address, with a url
            .replace(PROTOTYPE_TITLE, html.escape(page.title))
            .replace(PROTOTYPE_CONTENT, page.html)
        )
        target = site / output_of(page.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(filled, encoding="utf-8")
    for folder in prototypes:
        built = site / output_of(f"{folder}/{PROTOTYPE_NAME}.md")
        built.unlink()
        if built.name == "index.html":
            built.parent.rmdir()
