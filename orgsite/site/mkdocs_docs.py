"""The MkDocs side of the pages: each page becomes a Markdown file of front matter in MkDocs' docs
folder (its HTML is handed over by the build's plugin), and stamped pages are laid into a built
prototype page (see `prototype_of`) instead of being built one by one."""

from __future__ import annotations

import functools
import hashlib
import html
import posixpath
import re
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from orgsite.site.forked import Spread, here
from orgsite.site.outputs import write_output
from orgsite.site.pages import Page, output_of, url_of
from orgsite.site.safe_markdown import plain_excerpt

_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")
MAX_INDEXED_CHARS = 20_000  # what one page may add to the search index
_WRITES_WAITING = 64  # stamped pages made but not yet written


def _shown_title(title: str) -> str:
    # HTML-escaped because Material prints the title unescaped; a one-line title shows its line-break
    # characters as spaces (YAML's dumper would fold them).
    return _LINE_BREAKS.sub(" ", html.escape(title))


def page_meta(page: Page | StoredPage) -> dict[str, object]:
    """The page's front matter, as MkDocs reads it (page.meta)."""
    front: dict[str, object] = {"hide": ["navigation", "toc"]}
    if page.title:  # the home page has none: Material then titles it with the community's name alone
        front["title"] = _shown_title(page.title)
    if not page.searchable:
        front["search"] = {"exclude": True}
    return front


def front_matter(page: Page | StoredPage) -> str:
    """The page's Markdown file: front matter only; MkDocs gets the HTML from the build's plugin."""
    # YAML's own dumper keeps every Unicode character (an emoji stays one character, never a pair of
    # escaped surrogates).
    return "---\n" + yaml.safe_dump(page_meta(page), allow_unicode=True, width=1_000_000, sort_keys=False) + "---\n"


def indexed_content(page_html: str) -> str:
    """What search indexes of a page's HTML: a long page by its start."""
    return page_html if len(page_html) <= MAX_INDEXED_CHARS else plain_excerpt(page_html, MAX_INDEXED_CHARS)


@dataclass(frozen=True)
class SearchablePage:
    """What Material's search index reads of a page (`add_entry_from_context`), for a stamped page."""

    meta: dict[str, object]
    content: str
    url: str
    title: str
    toc: tuple = ()  # generated pages have no Markdown headings: MkDocs gives them an empty one


def searchable(page: Page | StoredPage) -> SearchablePage:
    """The stamped `page` as Material's search index reads a page MkDocs built."""
    meta = page_meta(page)
    return SearchablePage(meta, indexed_content(page.html), url_of(page.path), str(meta.get("title", "")))


PROTOTYPE_NAME = "_orgsite-prototype"  # no post, handle or tag can have this name (see content)
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


def write_docs(pages: Sequence[Page | StoredPage], docs: Path) -> Docs:
    """Write `pages` (front matter only) into the empty folder `docs`.

    The pages' HTML is handed to MkDocs after Markdown conversion: running Python-Markdown over
    generated HTML (diffs above all) would only cost time.
    """
    page_count = len(pages)
    stamped = [page for page in pages if page.stamped]
    built = [page for page in pages if not page.stamped]
    for prototype in sorted({prototype_of(page.path) for page in stamped}):
        built.append(Page(prototype, PROTOTYPE_TITLE, PROTOTYPE_CONTENT, searchable=False))
    folders: set[Path] = set()
    for page in built:
        target = docs / page.path
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        target.write_text(front_matter(page), encoding="utf-8")
    return Docs({page.path: page for page in built}, stamped, page_count)


def prototype_of(doc_path: str) -> str:
    """The page MkDocs builds for `doc_path` to be stamped into. What MkDocs and Material write into a
    page that is not in the navigation, besides its title, address and text, is its links to the other
    pages, which depend on how deep its address is (and MkDocs shortens those into its own top folder),
    and for the pages that are files, on their folder."""
    url = url_of(doc_path)
    if url.endswith(".html"):
        return f"{posixpath.dirname(doc_path)}/{PROTOTYPE_NAME}.md"
    depth = url.count("/")
    top = doc_path.split("/", 1)[0]
    return "/".join([top] + [PROTOTYPE_NAME] * (depth - 1) if depth > 1 else [PROTOTYPE_NAME]) + ".md"


class SearchIndex(Protocol):
    """Material's search index, as stamping adds to it (material.plugins.search.plugin.SearchIndex)."""

    entries: list[dict]

    def add_entry_from_context(self, page: SearchablePage) -> None: ...


def stamp_pages(
    site: Path, stamped: Sequence[Page | StoredPage], spread: Spread = here, index: SearchIndex | None = None,
    replaced: Path | None = None,
) -> dict[str, str]:  # fmt: skip
    """Write each stamped page into the built `site` from its prototype (a page the same as in the
    `replaced` site linked to it) and add the searchable ones to `index` (the work shared as `spread`
    shares it), then drop the prototypes; returns the SHA-256 of each page written, by its path in the
    site."""
    written = {}
    for output, digest, entries in spread(stamped, functools.partial(_write_stamped, site, index, replaced)):
        written[output] = digest
        if index is not None:
            index.entries.extend(entries)
    prototypes = {prototype_of(page.path) for page in stamped}
    for prototype in sorted(prototypes, key=lambda path: -path.count("/")):  # the deepest first
        built = site / output_of(prototype)
        built.unlink()
        for folder in built.parents:  # (the folders only the prototypes made)
            if folder == site or any(folder.iterdir()):
                break
            folder.rmdir()
    return written


def _write_stamped(
    site: Path, index: SearchIndex | None, replaced: Path | None, stamped: Sequence[Page | StoredPage]
) -> Iterator[tuple[str, str, list[dict]]]:
    """Write each page into `site` from its prototype; yields its path in the site, its SHA-256 and
    its search index entries (left for the caller to add: `index` is only borrowed to make them)."""
    prototypes: dict[str, str] = {}
    folders: set[Path] = set()
    # Two threads write the files while this one fills the next pages: creating a file is the kernel's
    # work, which then overlaps Python's (at most _WRITES_WAITING pages wait in memory).
    with ThreadPoolExecutor(max_workers=2) as writers:
        waiting: deque[Future] = deque()
        for page in stamped:
            data = _stamped(site, page, prototypes)
            output = output_of(page.path)
            target = site / output
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            waiting.append(writers.submit(write_output, target, data, replaced / output if replaced else None))
            entries: list[dict] = []
            if index is not None and page.searchable:
                before = len(index.entries)
                index.add_entry_from_context(searchable(page))
                entries = index.entries[before:]
                del index.entries[before:]
            yield output, hashlib.sha256(data).hexdigest(), entries
            if len(waiting) > _WRITES_WAITING:
                waiting.popleft().result()
        for write in waiting:
            write.result()


def _stamped(site: Path, page: Page | StoredPage, prototypes: dict[str, str]) -> bytes:
    """The page's bytes: its prototype (read once, kept in `prototypes`) with its title, address and text."""
    prototype = prototype_of(page.path)
    if prototype not in prototypes:
        prototypes[prototype] = (site / output_of(prototype)).read_text(encoding="utf-8")
    # The page's own text goes in last: what a member wrote (a commit message) may hold the
    # prototype's markers, and no later replacement may touch it.
    filled = (
        prototypes[prototype]
        .replace(url_of(prototype), url_of(page.path))  # the canonical address, with a url
        .replace(PROTOTYPE_TITLE, _shown_title(page.title))
        .replace(PROTOTYPE_CONTENT, page.html + page.unindexed)
    )
    return filled.encode("utf-8")
