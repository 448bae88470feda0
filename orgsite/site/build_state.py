"""What a built site remembers of its build, and what the next build must redo. Pure but for reading
and writing the state file.

A page's output depends on nothing but the page (its path, title, HTML, whether search indexes it)
and the site's configuration (the community's name, language and address, the neighbours in the
navigation, the theme, orgsite's version): the state records a digest of each, so a build of a newer
commit redoes exactly the pages and files whose digest changed, and everything when the configuration
did. The result is the same bytes as a full build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from orgsite.site.forked import Spread, here
from orgsite.site.pages import Deferred, DeferredFile, Page, SiteFile, output_of

STATE_NAME = ".orgsite-build.json"
_FORMAT = 2


def page_digest(page: Page) -> str:
    """A digest of everything the page's output is made from (configuration aside)."""
    h = hashlib.sha256()
    for part in (page.path, page.title, str(page.searchable), str(page.stamped), page.html, page.unindexed):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def file_digest(content: bytes | Callable[[], bytes]) -> str:
    """A digest of a file's bytes (read now when given as a reader)."""
    return hashlib.sha256(content if isinstance(content, bytes) else content()).hexdigest()


def config_digest(parts: Iterable[bytes]) -> str:
    """One digest of the configuration's parts (any change to any of them is a change)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


@dataclass(frozen=True)
class BuildState:
    """How a site was built: from which commit, with which configuration, and each page's and file's digest."""

    commit: str
    config: str
    pages: dict[str, str]
    files: dict[str, str]
    keys: dict[str, str]  # the keys of deferred pages and files (see pages.Deferred, pages.DeferredFile)

    def to_json(self) -> str:
        """The state as its file holds it."""
        data = {"format": _FORMAT, "commit": self.commit, "config": self.config, "pages": self.pages,
                "files": self.files, "keys": self.keys}  # fmt: skip
        return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def read_state(site: Path) -> BuildState | None:
    """The state of the site built at `site`; None when there is none or it is unreadable (a full build follows)."""
    try:
        data = json.loads((site / STATE_NAME).read_text(encoding="utf-8"))
        if data["format"] != _FORMAT:
            return None
        return BuildState(
            str(data["commit"]), str(data["config"]), dict(data["pages"]), dict(data["files"]), dict(data["keys"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


Kept = TypeVar("Kept")  # a rendered page as the build keeps it (see mkdocs_docs.HtmlStore)


@dataclass(frozen=True)
class Plan(Generic[Kept]):
    """What a build must redo over the previous one: pages and files to write, outputs to remove."""

    pages: list[Kept]
    files: dict[str, bytes | Callable[[], bytes]]
    removed_outputs: list[str]

    def __len__(self) -> int:
        return len(self.pages) + len(self.files) + len(self.removed_outputs)


def rendered_with_digests(pages: Iterable[Page | Deferred]) -> Iterator[tuple[Page, str]]:
    """Each page rendered, with its digest."""
    for page in pages:
        made = page.render() if isinstance(page, Deferred) else page
        yield made, page_digest(made)


def settle(
    pages: Iterable[Page | Deferred], previous: BuildState | None, keep: Callable[[Page], Kept], spread: Spread = here
) -> tuple[list[Kept], dict[str, str], dict[str, str]]:
    """The pages to build (every page without a previous build; else those whose key is new), each as
    `keep` keeps it once rendered (rendered as `spread` shares the work); the digest of every page (a
    page kept by its key keeps its previous digest); and the deferred pages' keys."""
    digests: dict[str, str] = {}
    keys: dict[str, str] = {}
    fresh: list[Page | Deferred] = []
    for page in pages:
        if isinstance(page, Deferred):
            keys[page.path] = page.key
            if previous and previous.keys.get(page.path) == page.key and page.path in previous.pages:
                digests[page.path] = previous.pages[page.path]
                continue
        fresh.append(page)
    to_render: list[Kept] = []
    for made, digest in spread(fresh, rendered_with_digests):
        digests[made.path] = digest
        to_render.append(keep(made))
    return to_render, digests, keys


def settle_files(
    files: Mapping[str, SiteFile], previous: BuildState | None
) -> tuple[dict[str, bytes | Callable[[], bytes]], dict[str, str], dict[str, str]]:
    """The files (a deferred one as what makes it), the digest of every file (a deferred file kept by its
    key keeps its previous digest, unmade), and the deferred files' keys."""
    contents: dict[str, bytes | Callable[[], bytes]] = {}
    digests: dict[str, str] = {}
    keys: dict[str, str] = {}
    for path, content in files.items():
        if isinstance(content, DeferredFile):
            keys[path] = content.key
            if previous and previous.keys.get(path) == content.key and path in previous.files:
                contents[path], digests[path] = content.render, previous.files[path]
                continue
            content = content.render()
        contents[path] = content
        digests[path] = file_digest(content)
    return contents, digests, keys


def plan(
    previous: BuildState,
    pages: list[Kept],
    page_digests: Mapping[str, str],
    files: Mapping[str, bytes | Callable[[], bytes]],
    file_digests: Mapping[str, str],
) -> Plan[Kept]:
    """Of the rendered `pages` and the `files`, those whose digest differs from `previous`, and the
    outputs of the pages and files now gone (`page_digests` has every page, rendered or kept)."""
    changed_pages = [p for p in pages if previous.pages.get(p.path) != page_digests[p.path]]
    changed_files = {path: files[path] for path in files if previous.files.get(path) != file_digests[path]}
    gone = [output_of(path) for path in sorted(set(previous.pages) - set(page_digests))]
    gone += sorted(set(previous.files) - set(file_digests))
    return Plan(changed_pages, changed_files, gone)
