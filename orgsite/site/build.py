"""The only home of MkDocs: build the generated pages with Material, then swap the result in atomically."""

from __future__ import annotations

import ctypes
import html
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from orgsite.errors import OrgsiteError
from orgsite.progress import SILENT, Advance, Progress
from orgsite.repo import CommunityRepo
from orgsite.resources import BASE_CONFIG
from orgsite.site.history import CommunityHistory, read_history
from orgsite.site.manifest import write_manifest
from orgsite.site.mkdocs_docs import Docs, stamp_pages, write_docs
from orgsite.site.neighbours import read_neighbours
from orgsite.site.pages import NAV, NEIGHBOURS_INDEX
from orgsite.site.safe_markdown import plain_excerpt
from orgsite.snapshot import Snapshots

NO_URL_NOTE = (
    "community.toml sets no url: feed entries link relative to the feed, which some feed readers do not follow "
    '(an operator can add url = "https://…/")'
)
MAX_INDEXED_CHARS = 20_000  # what one page may add to the search index
SITE_MARKER = ".orgsite-site"  # marks a folder orgsite may replace: never overwrite anything else
_OWNER = "owner.pid"  # in a build's scratch folder: the process building it
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True)
class BuildReport:
    """What a build produced and what it had to leave out."""

    out: Path
    tip: str
    pages: int
    posts: int
    commits: int
    warnings: tuple[str, ...]
    notes: tuple[str, ...] = ()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _mkdocs_build(
    config_file: Path, docs: Path, site: Path, generated: Docs, history: CommunityHistory, advance: Advance
) -> None:
    community = history.community
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs import exceptions
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority

    class GeneratedPages(BasePlugin):
        """Hands MkDocs each generated page's HTML in place of its (empty) Markdown."""

        def on_page_content(self, html: str, *, page, config, files) -> str:
            advance(1)
            return generated.html.get(page.file.src_uri, html)

        full_content: dict[str, str] = {}

        @event_priority(100)  # before the search plugin indexes the page
        def _on_page_context_before_search(self, context, *, page, config, nav):
            # What one page adds to the search index is bounded: a long post is indexed by its start.
            if len(page.content) > MAX_INDEXED_CHARS:
                self.full_content[page.file.src_uri] = page.content
                page.content = plain_excerpt(page.content, MAX_INDEXED_CHARS)
            return context

        @event_priority(-100)  # after the search plugin has indexed the page
        def _on_page_context_after_search(self, context, *, page, config, nav):
            page.content = self.full_content.pop(page.file.src_uri, page.content)
            unindexed = generated.unindexed.get(page.file.src_uri)
            if unindexed:
                page.content += unindexed
            return context

        on_page_context = CombinedEvent(_on_page_context_before_search, _on_page_context_after_search)

    log = logging.getLogger("mkdocs")
    collector = _Collect()
    log.addHandler(collector)
    log.propagate = False
    try:
        config = load_config(
            config_file=str(config_file),
            docs_dir=str(docs),
            site_dir=str(site),
            # MkDocs and Material put these into HTML without escaping them.
            site_name=html.escape(community.name),
            site_description=html.escape(community.description) or None,
            nav=NAV + ([{"Neighbours": NEIGHBOURS_INDEX}] if community.follows else []),
        )
        if _material_knows(community.language):
            config.theme["language"] = community.language
        if community.url:
            config["site_url"] = community.url.rstrip("/") + "/"  # the 404 page's links need the site's path
        newest = history.commits[0]
        # Reproducible: MkDocs dates what it stamps (the sitemap's gzip header) from this, not the clock.
        os.environ["SOURCE_DATE_EPOCH"] = str(newest.meta.commit_time)
        config.extra["orgsite_newest"] = {
            "id": newest.id,
            "time": newest.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "time_text": newest.time.strftime("%Y-%m-%d %H:%M UTC"),
        }
        config.plugins["orgsite-pages"] = GeneratedPages()
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    except (exceptions.MkDocsException, OSError, ValueError, KeyError) as e:
        detail = "; ".join(collector.messages[-3:]) or str(e) or type(e).__name__
        raise OrgsiteError(f"the site build failed ({config_file}): {detail}") from e
    finally:
        log.removeHandler(collector)


def _material_knows(language: str) -> bool:
    import material

    return (Path(material.__file__).parent / "templates" / "partials" / "languages" / f"{language}.html").exists()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux renameat2); False when the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def built_from(site: Path) -> str | None:
    """The commit the site at `site` was built from, as its marker records it (None: unknown)."""
    try:
        text = (site / SITE_MARKER).read_text()
    except OSError:
        return None
    return next((line.split()[-1] for line in text.splitlines() if line.startswith("built from ")), None)


def _owner_alive(scratch: Path) -> bool:
    try:
        pid = int((scratch / _OWNER).read_text())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_scratch(out: Path) -> list[Path]:
    """Remove what builds that died (killed, out of memory) left beside `out`; returns what was removed."""
    removed = []
    for scratch in out.parent.glob(f".{out.name}.build-*"):
        if scratch.is_dir() and not _owner_alive(scratch):
            shutil.rmtree(scratch, ignore_errors=True)
            removed.append(scratch)
    return removed


def swap_in(new: Path, out: Path, tip: str) -> None:
    """Make `new` the site at `out` in one rename; the previous site is removed afterwards."""
    (new / SITE_MARKER).write_text(
        "This folder is built by `orgsite build` and replaced whole by the next build.\n"
        f"built from {tip}\n"
    )
    if not out.exists():
        new.rename(out)
        return
    if not _exchange(new, out):
        # No atomic exchange on this system: two renames, the gap between them as short as it gets.
        parked = new.with_name(new.name + ".old")
        out.rename(parked)
        new.rename(out)
        new = parked
    shutil.rmtree(new, ignore_errors=True)


def check_out_dir(out: Path) -> None:
    """Refuse to replace a folder that is neither empty nor a site orgsite built."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SITE_MARKER).exists())):
        raise OrgsiteError(
            f"{out} exists and is not a site built by orgsite; choose a new --out folder (nothing was changed)"
        )


def build_site(
    repo_path: Path,
    out: Path,
    *,
    config_file: Path | None = None,
    branch: str | None = None,
    tip: str | None = None,
    progress: Progress = SILENT,
) -> BuildReport:
    """Render the community branch of `repo_path` (or the commit `tip`) into `out`; on any failure `out`
    is left as it was. The same commit and orgsite version give the same bytes, listed in the site's
    manifest."""
    out = out.absolute()
    check_out_dir(out)
    repo = CommunityRepo(repo_path)
    history = read_history(repo, branch or Snapshots(repo).branch(), tip=tip, progress=progress)
    neighbours = read_neighbours(repo, history.community.follows, history.warnings)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_scratch(out)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    try:
        (scratch / _OWNER).write_text(str(os.getpid()))
        docs, site = scratch / "docs", scratch / "site"
        generated = write_docs(history, docs, neighbours)
        with progress.phase("Building pages", generated.page_count - len(generated.stamped)) as advance:
            _mkdocs_build(config_file or BASE_CONFIG, docs, site, generated, history, advance)
        stamp_pages(site, generated.stamped)
        write_manifest(site, history.tip)
        swap_in(site, out, history.tip)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    notes = () if history.community.url else (NO_URL_NOTE,)
    return BuildReport(
        out, history.tip, generated.page_count, len(history.posts), len(history.commits), tuple(history.warnings), notes
    )
