"""What a built site remembers of its build, and what the next build must redo. Pure but for reading
and writing the state file.

A page's output depends on nothing but the page (its path, title, HTML, whether search indexes it)
and the site's configuration (the community's name, language and address, the neighbours in the
navigation, the theme, orgsite's version): the state records a digest of each page rendered every
build, and the key of each deferred one (pages.Deferred: its key changes whenever its output would),
so a build of a newer commit redoes exactly the pages and files whose digest or key changed, and
everything when the configuration did. The result is the same bytes as a full build.
"""

from __future__ import annotations

import hashlib
import marshal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from orgsite.site.forked import Spread, here
from orgsite.site.pages import Deferred, DeferredFile, EarlierBuild, Page, SiteFile, output_of
from orgsite.site.unchanged import Conversations

STATE_NAME = ".orgsite-build"
_FORMAT = 5


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
    """How a site was built: from which commit, with which configuration, each page's and file's
    digest (of those rendered every build) or key (of the deferred ones: pages.Deferred, DeferredFile),
    the SHA-256 of each file of the site, by its path (what its manifest lists), and its conversations
    (see unchanged)."""

    commit: str
    config: str
    pages: dict[str, str]
    files: dict[str, str]
    page_keys: dict[str, str]
    file_keys: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)
    conversations: Conversations | None = None

    def to_bytes(self) -> bytes:
        """The state as its file holds it (marshal's bytes: a state is read by the Python that wrote it,
        and this orgsite, and seventy thousand keys load in a fraction of JSON's time)."""
        conversations = tuple(self.conversations) if self.conversations else None
        return marshal.dumps((_FORMAT, sys.version, self.commit, self.config, self.pages, self.files,
                              self.page_keys, self.file_keys, self.outputs, conversations))  # fmt: skip

    def earlier_build(self) -> EarlierBuild | None:
        """What the next build may take from this one's (None when it remembers no conversations)."""
        if self.conversations is None:
            return None
        return EarlierBuild(self.conversations, self.page_keys, self.file_keys)


def read_state(site: Path) -> BuildState | None:
    """The state of the site built at `site`; None when there is none or it is unreadable (a full build follows)."""
    try:
        form, python, *fields = marshal.loads((site / STATE_NAME).read_bytes())
        if (form, python) != (_FORMAT, sys.version):
            return None
        commit, config, *tables, conversations = fields
        if not (isinstance(commit, str) and isinstance(config, str) and all(isinstance(t, dict) for t in tables)):
            return None
        return BuildState(commit, config, *tables, conversations=_conversations(conversations))
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _conversations(kept: object) -> Conversations | None:
    """The conversations a state holds, when they have the shape a build wrote (else none are taken)."""
    if not isinstance(kept, tuple) or len(kept) != len(Conversations._fields):
        return None
    commits, order, posts, rows, slugs = kept
    tables_ok = all(isinstance(t, dict) for t in (posts, rows, slugs))
    posts_ok = tables_ok and all(isinstance(v, tuple) and len(v) == 2 for v in posts.values())
    return Conversations(*kept) if posts_ok and isinstance(commits, int) and isinstance(order, str) else None


Kept = TypeVar("Kept")  # a rendered page as the build keeps it (see mkdocs_docs.HtmlStore)


@dataclass(frozen=True)
class Plan(Generic[Kept]):
    """What a build must redo over the previous one: pages and files to write, outputs to remove."""

    pages: list[Kept]
    files: dict[str, bytes | Callable[[], bytes]]
    removed_outputs: list[str]
    previous_outputs: dict[str, str]  # the previous site's files' SHA-256, by path (its manifest)

    def __len__(self) -> int:
        return len(self.pages) + len(self.files) + len(self.removed_outputs)


def rendered_with_digests(pages: Iterable[Page | Deferred]) -> Iterator[tuple[Page, str | None]]:
    """Each page rendered, with its digest (None for a deferred page: its key stands for it)."""
    for page in pages:
        if isinstance(page, Deferred):
            yield page.render(), None
        else:
            yield page, page_digest(page)


def settle(
    pages: Iterable[Page | Deferred], previous: BuildState | None, keep: Callable[[Page], Kept], spread: Spread = here,
    earlier_keys: Mapping[str, str] | None = None,
) -> tuple[list[Kept], dict[str, str], dict[str, str]]:  # fmt: skip
    """The pages to build (every page without a previous build; else those whose key is new), each as
    `keep` keeps it once rendered (rendered as `spread` shares the work); the digests of the pages
    rendered every build; and the deferred pages' keys, with `earlier_keys` (the previous build's keys of
    pages left as they are, not among `pages`)."""
    digests: dict[str, str] = {}
    keys: dict[str, str] = dict(earlier_keys or {})
    fresh: list[Page | Deferred] = []
    known = previous.page_keys if previous else {}
    for page in pages:
        if isinstance(page, Deferred):
            keys[page.path] = page.key
            if known.get(page.path) == page.key:
                continue
        fresh.append(page)
    to_render: list[Kept] = []
    for made, digest in spread(fresh, rendered_with_digests):
        if digest is not None:
            digests[made.path] = digest
        to_render.append(keep(made))
    return to_render, digests, keys


def settle_files(
    files: Mapping[str, SiteFile], previous: BuildState | None
) -> tuple[dict[str, bytes | Callable[[], bytes]], dict[str, str], dict[str, str]]:
    """The files (a deferred one as what makes it), the digests of the files made every build, and the
    deferred files' keys."""
    contents: dict[str, bytes | Callable[[], bytes]] = {}
    digests: dict[str, str] = {}
    keys: dict[str, str] = {}
    for path, content in files.items():
        if isinstance(content, DeferredFile):
            keys[path] = content.key
            contents[path] = content.render
        else:
            contents[path] = content
            digests[path] = file_digest(content)
    return contents, digests, keys


def plan(previous: BuildState, pages: list[Kept], files: Mapping[str, bytes | Callable[[], bytes]],
         state: BuildState) -> Plan[Kept]:  # fmt: skip
    """Of the rendered `pages` and the `files` of the build whose state is `state`, those that differ
    from `previous` (by digest, or for a deferred one by key), and the outputs of the pages and files
    now gone."""
    changed_pages = [p for p in pages if p.path not in state.pages or previous.pages.get(p.path) != state.pages[p.path]]
    changed_files = {path: files[path] for path in files if _changed(path, previous.files, previous.file_keys, state)}
    gone = [output_of(path) for path in sorted((previous.pages.keys() | previous.page_keys.keys())
                                               - state.pages.keys() - state.page_keys.keys())]  # fmt: skip
    gone += sorted((previous.files.keys() | previous.file_keys.keys()) - state.files.keys() - state.file_keys.keys())
    return Plan(changed_pages, changed_files, gone, previous.outputs)


def _changed(path: str, digests: Mapping[str, str], keys: Mapping[str, str], state: BuildState) -> bool:
    if path in state.file_keys:
        return keys.get(path) != state.file_keys[path]
    return digests.get(path) != state.files[path]
