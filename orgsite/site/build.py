"""The only home of MkDocs: build the generated pages with Material, then swap the result in atomically."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import gc
import hashlib
import html
import json
import logging
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from orgsite import __version__
from orgsite.errors import OrgsiteError
from orgsite.keyed_store import KeyedStore, made_by
from orgsite.locks import held
from orgsite.progress import SILENT, Advance, Progress
from orgsite.repo import CommunityRepo
from orgsite.resources import BASE_CONFIG, TEMPLATE_DIR
from orgsite.site import safe_markdown
from orgsite.site.build_state import (
    STATE_NAME,
    BuildState,
    Plan,
    config_digest,
    plan,
    read_state,
    settle,
    settle_files,
)
from orgsite.site.compiled_templates import keep_compiled
from orgsite.site.forked import Spread, on_both_cores
from orgsite.site.history import CommunityHistory, read_history
from orgsite.site.manifest import MANIFEST_NAME, NOT_LISTED, digests, parse_manifest, write_manifest
from orgsite.site.mkdocs_docs import (
    Docs,
    HtmlStore,
    StoredPage,
    indexed_content,
    stamp_pages,
    write_docs,
)
from orgsite.site.neighbours import read_neighbours
from orgsite.site.outputs import write_output
from orgsite.site.pages import (
    IN_NAV,
    NAV,
    NEIGHBOURS_INDEX,
    Page,
    body_key,
    output_of,
    site_pages,
    url_of,
    url_of_output,
)
from orgsite.site.search_index import INDEX_PATH, canonical, spliced
from orgsite.snapshot import Snapshots

NO_URL_NOTE = (
    "community.toml sets no url: feed entries link relative to the feed, which some feed readers do not follow "
    '(an operator can add url = "https://…/")'
)
HTML_HELD_IN_MEMORY = 64 * 2**20  # characters of rendered pages a build holds; the rest wait in files
EMPTY_SITEMAP = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n'
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
    redone: int = 0  # pages built this time (all of them but for an incremental build)
    incremental: bool = False


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _mkdocs_build(
    config_file: Path, docs: Path, site: Path, generated: Docs, history: CommunityHistory, advance: Advance,
    spread: Spread, replaced: Path | None, compiled: Path, *, whole_site: bool,
) -> dict[str, str]:  # fmt: skip
    """Build the pages of `generated` into `site` with MkDocs and stamp the others (see stamp_pages: the
    work shared as `spread` shares it, files the same as in the `replaced` site linked to theirs; the
    theme's templates compiled once, kept under `compiled`; the theme's own pages, 404.html, and files
    only for the `whole_site`); returns the SHA-256 of each stamped page, by its path in the site."""
    community = history.community
    stamped: dict[str, str] = {}
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs import exceptions
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
    from mkdocs.structure.files import File

    class GeneratedPages(BasePlugin):
        """Hands MkDocs each generated page's HTML in place of its (empty) Markdown."""

        def on_files(self, files, *, config):
            # The pages that are files rather than folders (pages.FILE_PAGE_FOLDERS) land where url_of says.
            for file in [f for f in files if f.is_documentation_page() and url_of(f.src_uri).endswith(".html")]:
                files.remove(file)
                files.append(File(file.src_uri, file.src_dir, file.dest_dir, file.use_directory_urls,
                                  dest_uri=url_of(file.src_uri)))  # fmt: skip
            return files

        def on_env(self, env, *, config, files):
            keep_compiled(env, compiled)
            return env

        def on_page_content(self, html: str, *, page, config, files) -> str:
            advance(1)
            # MkDocs reads every page before it builds any: the page's HTML comes when it is built
            # (on_page_context), so that the build never holds every page's HTML at once.
            return "" if page.file.src_uri in generated.built else html

        full_content: dict[str, str] = {}

        @event_priority(100)  # before the search plugin indexes the page
        def _on_page_context_before_search(self, context, *, page, config, nav):
            made = generated.built.get(page.file.src_uri)
            if made is not None:
                page.content = made.html
            # What one page adds to the search index is bounded: a long post is indexed by its start.
            indexed = indexed_content(page.content)
            if indexed != page.content:
                self.full_content[page.file.src_uri] = page.content
                page.content = indexed
            return context

        @event_priority(-100)  # after the search plugin has indexed the page
        def _on_page_context_after_search(self, context, *, page, config, nav):
            page.content = self.full_content.pop(page.file.src_uri, page.content)
            made = generated.built.get(page.file.src_uri)
            page.content += made.unindexed if made is not None else ""
            return context

        on_page_context = CombinedEvent(_on_page_context_before_search, _on_page_context_after_search)

        def on_post_page(self, output: str, *, page, config) -> str:
            page.content = None  # written: let it go (see on_page_content)
            return output

        @event_priority(100)  # before the search plugin writes its index
        def on_post_build(self, *, config) -> None:
            # The prototypes are built: stamp the pages, and index them as if MkDocs had built them.
            search = config.plugins.get("material/search")
            index = search.search_index if search else None
            stamped.update(stamp_pages(site, generated.stamped, spread, index, replaced))

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
        # Reproducible: MkDocs dates what it stamps from this, not the clock.
        os.environ["SOURCE_DATE_EPOCH"] = str(history.commits[0].meta.commit_time)
        if not whole_site:  # the theme's pages show nothing a page or a file changes (see build_state)
            config.theme.static_templates.clear()
        config.plugins["orgsite-pages"] = GeneratedPages()
        config.plugins.on_startup(command="build", dirty=False)
        try:
            with contextlib.nullcontext() if whole_site else _theme_files_unlisted():
                build(config)
        finally:
            config.plugins.on_shutdown()
    except (exceptions.MkDocsException, OSError, ValueError, KeyError) as e:
        detail = "; ".join(collector.messages[-3:]) or str(e) or type(e).__name__
        raise OrgsiteError(f"the site build failed ({config_file}): {detail}") from e
    finally:
        log.removeHandler(collector)
    return stamped


@contextlib.contextmanager
def _theme_files_unlisted() -> Iterator[None]:
    """MkDocs builds without the theme's files (its scripts, styles, fonts, icons): they are the same every
    build, so a partial build copies none. MkDocs offers no setting for it, and listing them walks the
    14,500 files of Material's templates (a seventh of a second) only to be dropped: the listing is
    skipped while MkDocs builds."""
    from mkdocs.structure.files import Files

    listing = Files.add_files_from_theme
    Files.add_files_from_theme = lambda self, env, config: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        Files.add_files_from_theme = listing  # type: ignore[method-assign]


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


@dataclass(frozen=True)
class Changes:
    """How an incremental build made its site from the one it replaced: that site's build id, and the
    outputs (paths in the site) it wrote and removed."""

    after: str
    written: list[str]
    removed: list[str]


def _marker_line(site: Path, start: str) -> str | None:
    """The rest of the line of the site's marker that begins with `start` (None: no such line)."""
    try:
        text = (site / SITE_MARKER).read_text(encoding="utf-8")
    except OSError:
        return None
    return next((line[len(start) :] for line in text.splitlines() if line.startswith(start)), None)


def built_from(site: Path) -> str | None:
    """The commit the site at `site` was built from, as its marker records it (None: unknown)."""
    return _marker_line(site, "built from ")


def changes_of(site: Path) -> Changes | None:
    """What the build of the site at `site` changed in the site it replaced (None: a full build, or unknown)."""
    line = _marker_line(site, "after build ")
    try:
        after, listed = line.split(" ", 1)  # type: ignore[union-attr]
        data = json.loads(listed)
        written, removed = [str(p) for p in data["written"]], [str(p) for p in data["removed"]]
    except (AttributeError, ValueError, KeyError, TypeError):
        return None
    if any(p.startswith("/") or ".." in p.split("/") for p in written + removed):
        return None  # not what a build writes: the paths are outputs under the site
    return Changes(after, written, removed)


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


def spare_of(out: Path) -> Path:
    """Where the site an incremental build replaced waits beside `out`, for the next build to start from."""
    return out.with_name(f".{out.name}.spare")


def _keep_or_remove(previous: Path, keep_as: Path) -> None:
    """Keep `previous`, the site a build replaced, as `keep_as` when none is there yet; else remove it."""
    try:
        previous.rename(keep_as)
    except OSError:  # another build's is there already
        shutil.rmtree(previous, ignore_errors=True)


def swap_in(new: Path, out: Path, tip: str, *, keep_as: Path, changes: Changes | None = None) -> None:
    """Make `new` the site at `out` in one rename; the previous site is kept as `keep_as` (see
    _keep_or_remove). The marker records `changes`, how `new` was made from the previous site."""
    (new / SITE_MARKER).unlink(missing_ok=True)  # in a linked copy, the served site's marker
    lines = ["This folder is built by `orgsite build` and replaced whole by the next build.", f"built from {tip}",
             f"build {secrets.token_hex(16)}"]  # fmt: skip
    if changes is not None:
        listed = json.dumps({"written": changes.written, "removed": changes.removed})
        lines.append(f"after build {changes.after} {listed}")
    (new / SITE_MARKER).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not out.exists():
        new.rename(out)
        return
    if not _exchange(new, out):
        # No atomic exchange on this system: two renames, the gap between them as short as it gets.
        parked = new.with_name(new.name + ".old")
        out.rename(parked)
        new.rename(out)
        new = parked
    _keep_or_remove(new, keep_as)


def check_out_dir(out: Path) -> None:
    """Refuse to replace a folder that is neither empty nor a site orgsite built, or to make one where a
    file stands in the way."""
    in_the_way = next((p for p in [out.parent, *out.parent.parents] if p.exists() and not p.is_dir()), None)
    if in_the_way is not None:
        raise OrgsiteError(f"cannot build into {out}: {in_the_way} is a file, not a folder; choose another --out")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SITE_MARKER).exists())):
        raise OrgsiteError(
            f"{out} exists and is not a site built by orgsite; choose a new --out folder (nothing was changed)"
        )


@contextlib.contextmanager
def _body_memo(repo: CommunityRepo, history: CommunityHistory) -> Iterator[dict[str, str]]:
    """The posts' bodies rendered by earlier builds (kept in the repository's cache), and afterwards
    the new ones kept: Markdown is rendered once per version of a post."""
    import markdown_it
    import nh3

    context = made_by(safe_markdown, versions=[markdown_it.__version__, nh3.__version__])
    store = KeyedStore(repo.cache_dir / "history.sqlite", "bodies", context)
    try:
        memo = store.get_many(body_key(post) for post in history.posts)
        known = set(memo)
        yield memo
        store.put_many((key, html) for key, html in memo.items() if key not in known)
    finally:
        store.close()


def _configuration(history: CommunityHistory, config_file: Path) -> str:
    """A digest of everything besides the pages that shapes every page (see build_state)."""
    import material
    import mkdocs

    parts = [__version__, mkdocs.__version__, material.__version__, config_file.read_bytes(), repr(history.community)]
    # The templates, and orgsite's own code: a page kept by its key must be what this code renders.
    code = Path(__file__).resolve().parent.parent
    sources = [(TEMPLATE_DIR, p) for p in TEMPLATE_DIR.rglob("*")] + [(code, p) for p in code.rglob("*.py")]
    parts += [f"{path.relative_to(root)}\0".encode() + path.read_bytes()
              for root, path in sorted(sources) if path.is_file()]  # fmt: skip
    return config_digest(part.encode() if isinstance(part, str) else part for part in parts)


def _reusable(out: Path, config: str) -> BuildState | None:
    """The state of the site at `out` when a build may start from it (same configuration, intact)."""
    state = read_state(out)
    if state is None or state.config != config or built_from(out) != state.commit:
        return None
    if not (out / MANIFEST_NAME).is_file() or not (out / INDEX_PATH).is_file():
        return None
    return state


class _LinkedCopy:
    """A copy of the site `source` at `target` whose files are hard links (nothing is written twice).
    When the site an earlier incremental build replaced waits as `spare`, the copy is that site brought
    up to date (only the files that build changed are linked again); else GNU cp makes it at C speed on
    another core while the build reads the history and renders its pages."""

    def __init__(self, source: Path, target: Path, spare: Path | None = None) -> None:
        self.source, self.target = source, target
        self._cp: subprocess.Popen | None = None
        self._from_spare = False
        if spare is not None:
            with contextlib.suppress(OSError):  # (none there: another build took it, or none was kept)
                spare.rename(target)
                self._from_spare = True
        if not self._from_spare:
            self._start_cp()

    def _start_cp(self) -> None:
        try:
            self._cp = subprocess.Popen(
                ["cp", "-al", "--", str(self.source), str(self.target)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        except OSError:
            self._cp = None

    def wait(self) -> Path:
        """The finished copy (made by Python's copytree when cp could not)."""
        if self._from_spare:
            self._from_spare = False
            if _catch_up(self.target, self.source):
                return self.target
            shutil.rmtree(self.target, ignore_errors=True)
            self._start_cp()
        if self._cp is None or self._cp.wait() != 0:
            shutil.rmtree(self.target, ignore_errors=True)
            shutil.copytree(self.source, self.target, copy_function=os.link, symlinks=True)
        return self.target

    def stop(self) -> None:
        """Stop copying, if cp still runs (the build failed or needs no copy)."""
        if self._cp is not None and self._cp.poll() is None:
            self._cp.kill()
            self._cp.wait()


def _catch_up(copy: Path, site: Path) -> bool:
    """Make `copy`, an earlier site sharing files with `site`, hold what `site` holds: as the marker of
    `site` says when `site` was made from `copy` (what it wrote and removed), else as their manifests
    say; False when that cannot be told (the copy is then no use)."""
    try:
        changes, this_build = changes_of(site), _marker_line(copy, "build ")
        if not (copy / MANIFEST_NAME).is_file():  # a copy that cannot say what it holds is not built upon
            return False
        if this_build is not None and this_build == _marker_line(site, "build "):
            gone, differ = [], []  # the copy is the site (a build found nothing to do and kept its copy)
        elif changes is not None and changes.after == this_build:
            gone, differ = changes.removed, changes.written
        else:
            have = parse_manifest((copy / MANIFEST_NAME).read_text(encoding="utf-8"), str(copy)).files
            want = parse_manifest((site / MANIFEST_NAME).read_text(encoding="utf-8"), str(site)).files
            gone = sorted(have.keys() - want.keys())
            differ = [path for path, digest in want.items() if have.get(path) != digest]
        for relative in gone:
            _remove_output(copy, relative)
        for relative in [*differ, *NOT_LISTED]:
            target = copy / relative
            target.unlink(missing_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(site / relative, target)
    except (OSError, OrgsiteError):
        return False
    return True


def _replace(source: Path, target: Path) -> None:
    """Put `source` at `target` as a new file: a file the copy shares with the served site is never written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


def _write_new(path: Path, content: str | bytes) -> None:
    path.unlink(missing_ok=True)  # in a linked copy, the old name is the served site's file
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def _write_files(
    site: Path, files: Mapping[str, bytes | Callable[[], bytes]], replaced: Path | None = None
) -> dict[str, str]:
    """Write the site's other files (feeds, attachments) into `site`, each as a new file (see `_write_new`;
    a file the same as in the `replaced` site linked to it); returns the SHA-256 of each, by its path."""
    written = {}
    folders: set[Path] = set()
    for path, content in files.items():
        data = content if isinstance(content, bytes) else content()
        target = site / path
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        target.unlink(missing_ok=True)
        write_output(target, data, replaced / path if replaced else None)
        written[path] = hashlib.sha256(data).hexdigest()
    return written


def _remove_output(site: Path, relative: str) -> None:
    path = site / relative
    path.unlink(missing_ok=True)
    for folder in path.parents:
        if folder == site or any(folder.iterdir()):
            break
        folder.rmdir()


def _finish(site: Path) -> None:
    """What every build does to MkDocs' output: an empty sitemap, a canonical search index."""
    # A private community's site is not for crawlers, and MkDocs' sitemap would change with every
    # build. But Material's script fetches sitemap.xml on every page view (for each link[rel=alternate],
    # the feed's among them): an empty one answers at once, where the full one cost a phone megabytes.
    (site / "sitemap.xml.gz").unlink(missing_ok=True)
    _write_new(site / "sitemap.xml", EMPTY_SITEMAP)
    index = site / INDEX_PATH
    _write_new(index, canonical(json.loads(index.read_text(encoding="utf-8"))))


def _both_cores(scratch: Path) -> Spread:
    """Work shared with a forked copy of this process, its results handed back through `scratch`."""
    return functools.partial(on_both_cores, spool=scratch / "forked-results")


def _build_all(
    config_file: Path, scratch: Path, site: Path, pages: list[Page | StoredPage], files: dict,
    history: CommunityHistory, progress: Progress, replaced: Path | None, compiled: Path,
) -> dict[str, str]:  # fmt: skip
    """Build every page and file into `site`, an empty folder (sharing its unchanged files with `replaced`,
    the site it will replace); returns the SHA-256 of each file, by its path (what the manifest lists)."""
    generated = write_docs(pages, scratch / "docs")
    with progress.phase("Building pages", generated.page_count - len(generated.stamped)) as advance:
        stamped = _mkdocs_build(config_file, scratch / "docs", site, generated, history, advance, _both_cores(scratch),
                                replaced, compiled, whole_site=True)  # fmt: skip
    written = _write_files(site, files, replaced)
    _finish(site)
    outputs = digests(site, known={**stamped, **written})
    write_manifest(site, history.tip, outputs)
    return outputs


def _build_changes(
    config_file: Path, scratch: Path, site: Path, todo: Plan[Page | StoredPage], pages: list[Page | StoredPage],
    history: CommunityHistory, progress: Progress, compiled: Path,
) -> tuple[Changes | None, dict[str, str]]:  # fmt: skip
    """Redo the pages and files of `todo` in `site`, a linked copy of the previous site; returns what changed
    (None when the previous site has no build id: built by an older orgsite), and the SHA-256 of each file."""
    partial = scratch / "partial"
    # The navigation's pages are built every time: MkDocs leaves a missing one out of every page's tabs.
    nav_pages = [p for p in pages if p.path in IN_NAV and p not in todo.pages]
    generated = write_docs(todo.pages + nav_pages, scratch / "docs")
    with progress.phase("Building pages", generated.page_count - len(generated.stamped)) as advance:
        stamped = _mkdocs_build(config_file, scratch / "docs", partial, generated, history, advance,
                                _both_cores(scratch), None, compiled, whole_site=False)  # fmt: skip
    manifest = dict(todo.previous_outputs)
    for relative in todo.removed_outputs:
        _remove_output(site, relative)
        manifest.pop(relative, None)
    written = [output_of(p.path) for p in todo.pages]
    for relative in written:
        _replace(partial / relative, site / relative)
    stamped.update(_write_files(site, todo.files))
    index = spliced(
        json.loads((site / INDEX_PATH).read_text(encoding="utf-8")),
        json.loads((partial / INDEX_PATH).read_text(encoding="utf-8")),
        {url_of(p.path) for p in todo.pages} | {url_of_output(gone) for gone in todo.removed_outputs},
    )
    _write_new(site / INDEX_PATH, canonical(index))
    for relative in [*written, *todo.files, INDEX_PATH]:
        manifest[relative] = stamped.get(relative) or hashlib.sha256((site / relative).read_bytes()).hexdigest()
    (site / MANIFEST_NAME).unlink()
    manifest = dict(sorted(manifest.items()))
    write_manifest(site, history.tip, manifest)
    after = _marker_line(site, "build ")  # (the copy's marker is still the replaced site's)
    changes = Changes(after, [*written, *todo.files, INDEX_PATH], list(todo.removed_outputs)) if after else None
    return changes, manifest


def _build_into(
    out: Path, scratch: Path, config_file: Path, pages: list[Page | StoredPage], files: dict, history: CommunityHistory,
    todo: Plan[Page | StoredPage] | None, state: BuildState, progress: Progress, compiled: Path,
) -> None:  # fmt: skip
    """Build in `scratch` (all pages into scratch/site, or what `todo` says into scratch/site, a linked copy
    of the site at `out`), then swap it in; on any failure `out` is left as it was."""
    site = scratch / "site"
    changes = None
    if todo is None:
        shutil.rmtree(site, ignore_errors=True)  # a copy made for an incremental build that cannot be
        replaced = out if (out / SITE_MARKER).exists() else None
        outputs = _build_all(config_file, scratch, site, pages, files, history, progress, replaced, compiled)
    else:
        changes, outputs = _build_changes(config_file, scratch, site, todo, pages, history, progress, compiled)
    _write_new(site / STATE_NAME, dataclasses.replace(state, outputs=outputs).to_bytes())
    # The previous site shares with the new one every file the build did not change (an incremental
    # build's copy is made of links; a full build links every file it would write the same bytes to):
    # kept as the spare, it spares the next build a copy of the site and this one its removal.
    swap_in(site, out, history.tip, keep_as=spare_of(out), changes=changes)
    if not spare_of(out).exists():
        _link_a_spare(out, scratch)


def _link_a_spare(out: Path, scratch: Path) -> None:
    """Make the spare a linked copy of the site at `out` (after its first build, which replaced no site
    to keep as the spare): the next build, the first push's, starts from it rather than copying the
    whole site (at 10,000 posts, linking its 70,000 files takes seconds)."""
    copy = _LinkedCopy(out, scratch / "spare-of-the-new-site")  # (scratch/spare: the old one, if any)
    try:
        _keep_or_remove(copy.wait(), spare_of(out))
    finally:
        copy.stop()


@contextlib.contextmanager
def _collecting_less() -> Iterator[None]:
    """Python's cycle collector run less often: a build makes millions of objects that live until it ends,
    and the collector, at its every-700-allocations default, walked them again and again (a fifth of
    a one-post build's time at 10,000 posts)."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()  # (see _set_aside: what the build held is the collector's again)


@contextlib.contextmanager
def _set_aside(when: bool) -> Iterator[None]:
    """`when`, the objects made inside (a build's history and its pages' keys: millions that live until
    the build ends, and next to no garbage) are made with the cycle collector off, then set aside
    (gc.freeze) until the build ends (see _collecting_less): the collector, walking them again and
    again, took a tenth of a one-post build at 10,000 posts. (Not for a full build, whose history may be
    read afresh, with whatever garbage reading fifty thousand commits leaves.)"""
    if not when:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@contextlib.contextmanager
def one_build_at_a_time(out: Path, progress: Progress = SILENT) -> Iterator[None]:
    """Hold the site at `out` for one build: a build of the same site started meanwhile (the push's
    rebuild, an operator's `orgsite build`, `serve`) waits until this one has swapped its site in. Two
    at once would each copy, catch up and replace the other's site and spare, mixing their files."""
    lock = out.with_name(f".{out.name}.lock")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        lock.touch()  # (where a folder the build may not write to shows)
    except PermissionError as e:
        raise OrgsiteError(f"cannot build into {out}: {e.strerror}; choose an --out folder you can write to") from None
    with held(lock, progress, f"Waiting for another build of {out.name}"):
        yield


@contextlib.contextmanager
def _scratch_beside(out: Path) -> Iterator[Path]:
    """A private folder beside `out` for one build, removed afterwards (what a killed build left, the next
    build removes)."""
    remove_stale_scratch(out)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    try:
        (scratch / _OWNER).write_text(str(os.getpid()))
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def build_site(
    repo_path: Path,
    out: Path,
    *,
    config_file: Path | None = None,
    branch: str | None = None,
    tip: str | None = None,
    full: bool = False,
    progress: Progress = SILENT,
) -> BuildReport:
    """Render the community branch of `repo_path` (or the commit `tip`) into `out`; on any failure `out`
    is left as it was. The same commit and orgsite version give the same bytes, listed in the site's
    manifest. When `out` holds a site built with the same configuration (and not `full`), only the pages
    and files that differ are built again: the result is the same bytes."""
    out = out.absolute()
    check_out_dir(out)
    config_file = config_file or BASE_CONFIG
    repo = CommunityRepo(repo_path)
    with one_build_at_a_time(out, progress), _scratch_beside(out) as scratch, _collecting_less():
        # An earlier build here: copy it while the history is read (the copy, not `out`, is built upon).
        incremental = not full and (out / STATE_NAME).is_file()
        copy = _LinkedCopy(out, scratch / "site", spare_of(out)) if incremental else None
        if not incremental:  # a full build does not build upon the spare: it goes with the scratch folder
            with contextlib.suppress(OSError):
                spare_of(out).rename(scratch / "spare")
        try:
            with _set_aside(incremental):
                history = read_history(repo, branch or Snapshots(repo).branch(), tip=tip, progress=progress)
                neighbours = read_neighbours(repo, history.community.follows, history.warnings)
                config = _configuration(history, config_file)
                previous = _reusable(copy.wait(), config) if copy else None
                earlier = previous.earlier_build() if previous else None
                with _body_memo(repo, history) as memo:
                    deferred, files, conversations, earlier_pages = site_pages(history, neighbours, memo,
                                                                               repo.cache_dir, earlier)  # fmt: skip
            store = HtmlStore(scratch / "html", budget=HTML_HELD_IN_MEMORY)
            pages, page_digests, page_keys = settle(deferred, previous, store.keep, _both_cores(scratch), earlier_pages)
            files, file_digests, file_keys = settle_files(files, previous)
            state = BuildState(history.tip, config, page_digests, file_digests, page_keys, file_keys,
                               conversations=conversations)  # fmt: skip
            todo = plan(previous, pages, files, state) if previous else None
            already_built = todo is not None and not todo and previous.commit == history.tip
            if already_built:  # nothing to write and nothing to swap: the copy waits for the next build
                _keep_or_remove(scratch / "site", spare_of(out))
            else:
                _build_into(out, scratch, config_file, pages, files, history, todo, state, progress, repo.cache_dir)
        finally:
            if copy:
                copy.stop()
    notes = () if history.community.url else (NO_URL_NOTE,)
    return BuildReport(
        out, history.tip, len(page_digests) + len(page_keys), len(history.posts), len(history.commits),
        tuple(history.warnings), notes, redone=len(todo.pages) if todo is not None else len(pages),
        incremental=todo is not None,
    )  # fmt: skip
