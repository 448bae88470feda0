"""The site's pages, from the community's history: each an HTML fragment rendered from orgsite's own
templates with autoescape on (nothing from the repository reaches the page unescaped), plus the feeds
and attachments. Pure: a history in, pages and files out; how MkDocs is fed them is `mkdocs_docs`."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import jinja2
import markupsafe

from orgsite.content import community_reply
from orgsite.repo import FilePatch
from orgsite.resources import TEMPLATE_DIR
from orgsite.site.compiled_templates import keep_compiled
from orgsite.site.feeds import FEED_LENGTH, atom_feed
from orgsite.site.history import CommitInfo, CommunityHistory, MemberInfo, PostInfo
from orgsite.site.neighbours import Neighbour
from orgsite.site.safe_markdown import plain_excerpt, render_inline, render_post_body
from orgsite.site.unchanged import Conversations, Unchanged, order_digest, unchanged

POSTS_PER_PAGE = 20
EXCERPT_CHARS = 180
COMMITS_PER_PAGE = 50
MAX_DIFF_LINES = 2000
MAX_DIFF_BYTES = 64 * 1024
MAX_COMMIT_PAGE_DIFF_BYTES = 256 * 1024
NEIGHBOURS_INDEX = "neighbours/index.md"
NAV = [
    {"Home": "index.md"},
    {"Members": "members/index.md"},
    {"Tags": "tags/index.md"},
    {"History": "history/index.md"},
    {"Membership": "membership.md"},
    {"Help": "help/index.md"},
]
IN_NAV = frozenset(path for entry in [*NAV, {"Neighbours": NEIGHBOURS_INDEX}] for path in entry.values())


@dataclass(frozen=True)
class Page:
    """One generated page: where it goes under docs/, its title, its HTML, whether search indexes it."""

    path: str
    title: str
    html: str
    searchable: bool = True
    # A stamped page needs nothing page-specific from the theme, so it may be made from one built
    # prototype page (see mkdocs_docs.prototype_of; most of the pages).
    stamped: bool = False
    # HTML shown after `html` but kept out of the search index (MkDocs gets it after indexing).
    unindexed: str = ""


class Deferred(NamedTuple):
    """A page rendered only when asked: `key` changes whenever the page's output would (the site's
    configuration aside), so a build whose previous build had the same key keeps that page as it is."""

    # (A tuple: a build makes one for each of tens of thousands of commits, and a tuple is made fastest.)
    path: str
    key: str
    render: Callable[[], Page]


@dataclass(frozen=True)
class DeferredFile:
    """A file of the site made only when asked (a conversation's feed): as for `Deferred`, `key` changes
    whenever its bytes would, so a build whose previous build had the same key keeps the file as it is."""

    key: str
    render: Callable[[], bytes]


SiteFile = bytes | Callable[[], bytes] | DeferredFile  # a file's bytes, what reads them, or a deferred file


class EarlierBuild(NamedTuple):
    """What the build before this one worked out: its conversations (see unchanged), and the keys of its
    deferred pages and files, by their paths."""

    conversations: Conversations
    page_keys: Mapping[str, str]
    file_keys: Mapping[str, str]


class SitePages(NamedTuple):
    """The site's pages and other files (see site_pages), the keys of the deferred pages taken as they
    are from the earlier build (left out of `pages`), and what the next build takes from this one."""

    pages: list[Page | Deferred]
    files: dict[str, SiteFile]
    conversations: Conversations
    earlier_pages: dict[str, str]


def rendered(pages: Iterable[Page | Deferred]) -> list[Page]:
    """Every page rendered."""
    return [page.render() if isinstance(page, Deferred) else page for page in pages]


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


# There is a page per commit, tens of thousands of them: each is a file (commits/<id>.html), not a
# folder holding an index.html, which would double what every build copies, links and removes.
FILE_PAGE_FOLDERS = frozenset({"commits"})


def url_of(doc_path: str) -> str:
    """The page's URL relative to the site root: a folder, as MkDocs makes it with directory URLs, but a
    file for the pages of FILE_PAGE_FOLDERS."""
    stem = doc_path[: -len(".md")]
    if posixpath.dirname(stem) in FILE_PAGE_FOLDERS:
        return stem + ".html"
    if stem == "index":
        return ""
    return (stem[: -len("/index")] if stem.endswith("/index") else stem) + "/"


def output_of(doc_path: str) -> str:
    """Where the page's HTML lands in the built site."""
    url = url_of(doc_path)
    return url if url.endswith(".html") else url + "index.html"


def url_of_output(output: str) -> str:
    """The URL of the page whose HTML lands at `output` in the built site (see output_of)."""
    return output.removesuffix("index.html")


def root_of(doc_path: str) -> str:
    """The relative prefix from the page back to the site root."""
    return "../" * url_of(doc_path).count("/")


_DIFF_HEADS = ("diff --git", "index ", "--- ", "+++ ", "new file", "deleted file")


def _diff_class(line: str) -> str:
    if line.startswith(_DIFF_HEADS):
        return "head"
    return {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "")


def diff_html(patch: FilePatch) -> markupsafe.Markup:
    """A file's diff as an escaped, line-classed <pre> block, cut at MAX_DIFF_LINES lines or MAX_DIFF_BYTES."""
    if patch.too_large:
        return markupsafe.Markup(
            f'<p class="orgsite-meta">Too large to show here: {patch.too_large // 1024} KB '
            "(<code>git show</code> shows it).</p>"
        )
    whole = patch.text
    lines = whole[:MAX_DIFF_BYTES].splitlines()
    # Escaping never adds or removes a line break: the escaped text has the same lines, escaped.
    escaped = html.escape(whole[:MAX_DIFF_BYTES]).splitlines()
    shown = [f'<span class="{_diff_class(line)}">{safe}</span>'
             for line, safe in zip(lines[:MAX_DIFF_LINES], escaped, strict=False)]  # fmt: skip
    if len(lines) > MAX_DIFF_LINES or len(whole) > MAX_DIFF_BYTES:
        rest = len(whole) - len("\n".join(lines[:MAX_DIFF_LINES]))
        shown.append(f'<span class="hunk">… {rest // 1024 + 1} KB more (<code>git show</code> shows it)</span>')
    # tabindex: a wide diff scrolls sideways, and keyboard users must be able to reach it to scroll it.
    return markupsafe.Markup('<pre class="orgsite-diff" tabindex="0">' + "\n".join(shown) + "\n</pre>")


def within_budget(patches: Sequence[FilePatch], budget: int) -> list[tuple[FilePatch, bool]]:
    """Each patch with whether its diff is shown: diffs are shown in order until `budget` bytes are spent,
    so a commit page stays small whatever the commit holds (the files past it are listed by name)."""
    shown = []
    for patch in patches:
        cost = min(len(patch.text), MAX_DIFF_BYTES)
        shown.append((patch, cost <= budget))
        budget -= cost if cost <= budget else budget
    return shown


def tag_slugs(tags: Sequence[str]) -> dict[str, str]:
    """A stable, URL-safe, collision-free slug for each tag."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for tag in sorted(tags):
        slug = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")
        if not slug or slug in taken:
            slug = f"{slug or 'tag'}-{hashlib.sha256(tag.encode()).hexdigest()[:8]}"
        slugs[tag] = slug
        taken.add(slug)
    return slugs


def body_key(post: PostInfo) -> str:
    """What a post's rendered body depends on (its path and Markdown), as one id."""
    return hashlib.sha256(f"{post.path}\0{post.meta.body}".encode("utf-8", "surrogatepass")).hexdigest()


def history_pages(commits: Sequence[CommitInfo]) -> Iterator[tuple[str, str, dict[str, object]]]:
    """(page path, title, context) of the History pages. The History page shows the newest
    COMMITS_PER_PAGE commits; the older pages cut the history into pages counted from the
    introduction, so a page, once made, never changes but for its "newer" link (a push changes the
    History page and at most one other): page N holds commits (N-1)*50+1 to N*50, newest first, and
    exists once a newer commit is past the History page's."""
    total, size = len(commits), COMMITS_PER_PAGE
    pages = (total - 1) // size if total else 0  # the numbered pages: those not wholly on the History page

    def href(number: int) -> str:
        return "history/" if number > pages else f"history/page/{number}/"

    yield "history/index.md", "History", {
        "items": commits[:size], "newest_page": True, "newer": "", "older": href(pages) if pages else "",
        "shown": f"commits {max(total - size, 0) + 1}–{total}",
    }  # fmt: skip
    for number in range(pages, 0, -1):
        first, last = (number - 1) * size + 1, number * size
        shown = f"commits {first}–{last}"
        older = href(number - 1) if number > 1 else ""
        context = {"items": commits[total - last : total - first + 1], "newest_page": False,
                   "newer": href(number + 1), "older": older, "shown": shown}  # fmt: skip
        yield f"history/page/{number}.md", f"History: {shown}", context


def render_bodies(history: CommunityHistory, memo: dict[str, str] | None = None) -> dict[str, str]:
    """Each post's body as safe HTML. A post whose body cannot be rendered, for whatever reason, is
    left out of the site with a warning (one post never takes the others down). `memo` (body_key ->
    HTML) gives bodies rendered before and takes the new ones."""
    memo = {} if memo is None else memo
    bodies: dict[str, str] = {}
    failed: set[str] = set()
    for post in history.posts:
        key = body_key(post)
        try:
            if key not in memo:
                memo[key] = render_post_body(post.meta.body, post_path=post.path)
            bodies[post.path] = memo[key]
        except Exception as e:  # noqa: BLE001 (RecursionError, MemoryError, a parser bug: all leave one post out)
            failed.add(post.path)
            history.warnings.append(f"{post.path}: not published: its text could not be rendered ({type(e).__name__})")
    if failed:
        history.leave_out(failed)
    return bodies


def _reply_command(post: PostInfo) -> str:
    title = post.root.meta.title
    return f"orgsite post {shlex.quote(title if title.startswith('Re: ') else 'Re: ' + title)} --reply-to {post.path}"


class _Excerpts(dict[str, markupsafe.Markup]):
    """The plain-text start of each post's body, made when a page first shows it (most builds show few)."""

    def __init__(self, bodies: Mapping[str, str]) -> None:
        super().__init__()
        self._bodies = bodies

    def __missing__(self, path: str) -> markupsafe.Markup:
        excerpt = self[path] = markupsafe.Markup(plain_excerpt(self._bodies[path], EXCERPT_CHARS))
        return excerpt


class _Renderer:
    def __init__(
        self, history: CommunityHistory, neighbours: Sequence[Neighbour], memo: dict[str, str] | None,
        compiled: Path | None,
    ) -> None:  # fmt: skip
        self.history = history
        self._post_digests: dict[str, str] = {}
        self._row_keys: dict[str, str] = {}
        self._author_keys: dict[str, str] = {}
        self._earlier_post_keys: dict[str, str] = {}
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATE_DIR / "orgsite"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # no template changes during a build: no file checks before every page
        )
        if compiled:
            keep_compiled(self.env, compiled)
        self.bodies = render_bodies(history, memo)
        for n in neighbours:
            if n.history is not None:
                self.bodies.update((n.base + path, body) for path, body in render_bodies(n.history).items())
        # Replies across communities: our posts answering a neighbour's, and where that post is shown.
        answered: dict[str, list[PostInfo]] = {}
        for post in history.posts:
            if post.meta.reply_to and ":" in post.meta.reply_to:
                answered.setdefault(post.meta.reply_to, []).append(post)
        # Neighbours' shared replies that answer our own posts (they name them by our introduction).
        from_neighbours: dict[str, list[tuple[Neighbour, PostInfo]]] = {}
        ours = {history.introduction, *(intro for _, intro in history.community.outboxes)}
        for n in neighbours:
            for post in n.history.posts if n.history else ():
                target = community_reply(post.meta.reply_to or "")
                if target and target[0] in ours:
                    from_neighbours.setdefault(target[1], []).append((n, post))
        shown_elsewhere = {
            f"{n.follow.name}:{post.path}": (n.base + post.url, post.meta.title, n.label)
            for n in neighbours if n.history for post in n.history.posts
        }  # fmt: skip
        self.env.globals.update(
            answered=answered,
            from_neighbours=from_neighbours,
            neighbour_posts=shown_elsewhere,
            from_seconds=lambda seconds: dt.datetime.fromtimestamp(seconds, dt.UTC),
            diff=diff_html,
            tag_slugs=tag_slugs(list(history.tags)),
            bodies=self.bodies,
            excerpts=_Excerpts(self.bodies),
            reply_command=_reply_command,
            community=history.community,
            newest=history.commits[0],
            utc=dt.UTC,
        )

    def page(
        self,
        path: str,
        title: str,
        template: str,
        context: dict[str, object],
        *,
        searchable: bool = False,
        unindexed_template: str | None = None,
    ) -> Page:
        """One page rendered from `template` (and `unindexed_template`, kept out of search) with `context`."""
        html = self.env.get_template(template).render(root=root_of(path), **context)
        unindexed = ""
        if unindexed_template:
            unindexed = self.env.get_template(unindexed_template).render(root=root_of(path), **context)
        # Stamped into a prototype built by MkDocs, but for the pages Material shows differently: those
        # in the navigation (marked active), without a title (titled with the community's name), and
        # those with a heading of their own (Material then leaves out the title heading).
        stamped = path not in IN_NAV and bool(title) and "<h1" not in html and "<h1" not in unindexed
        return Page(path, title, html, searchable, stamped, unindexed)

    def listing(
        self, base: str, title: str, threads: Sequence[PostInfo], *, intro: str = "", feed: str = ""
    ) -> Iterator[Page | Deferred]:
        """The conversations under `base`: the most recently active first on `base`index, and when they
        do not all fit there, all of them on pages counted from the first started (page N holds the
        (N-1)*20+1st to the N*20th, newest first, deferred), so a push changes the index and the pages
        of the conversations it touched, never every page."""
        size = POSTS_PER_PAGE
        by_start = sorted(threads, key=lambda p: (p.created.position, p.path))
        pages = -(-len(by_start) // size) if len(by_start) > size else 0

        def href(number: int) -> str:
            return f"{base}page/{number}/" if number <= pages else base

        index = {"base": base, "items": threads[:size], "intro": intro, "feed": feed, "newest_page": True, "newer": "",
                 "older": href(pages) if pages else "", "shown": "", "heading": ""}  # fmt: skip
        yield self.page(f"{base}index.md", "" if not base else title, "post_list.html", index)
        for number in range(pages, 0, -1):
            chunk = by_start[(number - 1) * size : number * size]
            shown = f"conversations {(number - 1) * size + 1}–{(number - 1) * size + len(chunk)}"
            older = href(number - 1) if number > 1 else ""
            context = {"base": base, "items": chunk[::-1], "intro": "", "feed": "", "newest_page": False,
                       "newer": href(number + 1), "older": older, "shown": shown, "heading": shown}  # fmt: skip
            path, heading = f"{base}page/{number}.md", f"{title}: {shown}"
            key = _key(path, heading, context["newer"], older, [self.row_key(post) for post in chunk])
            yield Deferred(path, key, functools.partial(self.page, path, heading, "post_list.html", context))

    def post_digest(self, post: PostInfo) -> str:
        """A digest of a post's own record (its path, text and front matter, author, first and last
        commits): made once, it stands for the post in every key that shows it."""
        if post.path not in self._post_digests:
            # (The blob fixes the text, and so the front matter and body; one author writes many posts.)
            if post.author.handle not in self._author_keys:
                self._author_keys[post.author.handle] = _key(post.author)
            author = self._author_keys[post.author.handle]
            self._post_digests[post.path] = _key(post.path, post.blob, author, post.author_is_former,
                                                 post.created.id, post.updated.id)  # fmt: skip
        return self._post_digests[post.path]

    def row_key(self, post: PostInfo) -> str:
        """Everything a conversation's row in a list shows (title, excerpt, author, replies, last reply, tags)."""
        if post.path not in self._row_keys:  # a post has a row in several lists
            slugs = self.env.globals["tag_slugs"]
            replies = [self.post_digest(reply) for reply, _ in post.thread()]
            self._row_keys[post.path] = _key(self.post_digest(post), replies, [slugs[tag] for tag in post.meta.tags])
        return self._row_keys[post.path]

    def take_earlier(self, earlier: EarlierBuild, roots: set[str]) -> None:
        """Take the earlier build's digests and keys of the posts of the conversations `roots`, which are
        as that build saw them (see unchanged.unchanged)."""
        for path, (root, digest) in earlier.conversations.posts.items():
            if root in roots:
                self._post_digests[path] = digest
                if path in earlier.page_keys:
                    self._earlier_post_keys[path] = earlier.page_keys[path]
        rows = earlier.conversations.rows
        self._row_keys.update((root, rows[root]) for root in roots if root in rows)

    def post_key(self, post: PostInfo) -> str:
        """Everything a post's page shows: its text, its record, its place in its thread, its replies."""
        if post.path in self._earlier_post_keys:
            return self._earlier_post_keys[post.path]
        revisions = [(r.commit.digest, r.kept_by_merge) for r in post.revisions]
        around = [(p.path, p.meta.title, p.url) for p in (post.parent, post.root) if p is not None]
        replies = [(self.post_digest(reply), depth) for reply, depth in post.thread()]
        slugs = self.env.globals["tag_slugs"]
        tags = [(tag, slugs[tag]) for tag in post.meta.tags]
        return _key(self.post_digest(post), revisions, around, replies, tags)

    def member_page(self, info: MemberInfo) -> Deferred:
        """A member's page, keyed by everything it shows: their entry, when they joined and left (and who
        said so), their conversations' rows and their replies."""
        path = f"members/{info.member.handle}.md"
        moments = [(c.id, c.signer_handle) if c else None for c in (info.joined, info.left)]
        opened = [self.row_key(post) for post in info.posts if post.parent is None]
        replies = [(self.post_digest(p), p.root.path, p.root.meta.title) for p in info.posts if p.parent is not None]
        render = functools.partial(self.page, path, info.member.name, "member.html", {"info": info})
        return Deferred(path, _key(path, info.member, info.current, moments, opened, replies), render)


def _threads_with(posts: Sequence[PostInfo], activity: Mapping[str, tuple]) -> list[PostInfo]:
    """The conversations these posts belong to, the most recently active first (`activity`: each
    conversation's PostInfo.activity, by its path)."""
    roots = {post.root.path: post.root for post in posts}
    return sorted(roots.values(), key=lambda root: activity[root.path], reverse=True)


def site_pages(
    history: CommunityHistory, neighbours: Sequence[Neighbour] = (), memo: dict[str, str] | None = None,
    compiled: Path | None = None, earlier: EarlierBuild | None = None,
) -> SitePages:  # fmt: skip
    """Every page of the site (each path once: the site's own pages win over any a member names), and
    the other files (feeds, attachments) by their path under docs/; followed neighbours, read-only,
    under neighbours/. The pages of commits and posts, and the conversations' feeds, come deferred (see
    `Deferred`), their keys those of the `earlier` build where it worked them out for the same
    conversation; `memo` is render_bodies'; the templates compiled are kept under `compiled` (see
    compiled_templates)."""
    r = _Renderer(history, neighbours, memo, compiled)
    slugs = r.env.globals["tag_slugs"]
    same = unchanged(history, slugs, earlier.conversations) if earlier else Unchanged(0, set())
    if earlier:
        r.take_earlier(earlier, same.roots)
    community = history.community
    intro = render_inline(community.description)
    # The conversations, the most recently active first (each one's activity worked out once: it is in many lists).
    activity = {post.path: post.activity() for post in history.posts if post.parent is None}
    threads = sorted((p for p in history.posts if p.parent is None), key=lambda p: activity[p.path], reverse=True)
    pages: list[Page | Deferred] = list(r.listing("", community.name, threads, intro=intro, feed="feed.xml"))
    for post in history.posts:
        render = functools.partial(_post_page, r, post)
        # With neighbours, a post's page also shows their replies and links: always rendered.
        pages.append(render() if community.follows else Deferred(post.path, r.post_key(post), render))
    members = sorted(history.members.values(), key=lambda i: (not i.current, i.member.handle))
    pages.append(r.page("members/index.md", "Members", "members.html", {"members": members}))
    pages.extend(r.member_page(info) for info in members)
    tags = sorted(history.tags.items())
    pages.append(r.page("tags/index.md", "Tags", "tags.html", {"tags": tags}))
    for tag, posts in tags:
        pages.extend(r.listing(f"tags/{slugs[tag]}/", f"Tag: {tag}", _threads_with(posts, activity)))
    for path, heading, context in history_pages(history.commits):
        render = functools.partial(r.page, path, heading, "history.html", context)
        if context["newest_page"]:
            pages.append(render())
        else:  # an older History page: its commits, their verdicts and its links are all it shows
            rows = [commit.digest for commit in context["items"]]
            pages.append(Deferred(path, _key(path, rows, context["newer"], context["older"], context["shown"]), render))
    # A commit never changes: its page depends on it and on its verdict alone (its digest), and those
    # of the commits the earlier build read are that build's.
    earlier_pages = {path: key for path, key in earlier.page_keys.items() if path.startswith("commits/")} \
        if earlier and same.commits else {}  # fmt: skip
    for commit in history.commits[: len(history.commits) - same.commits]:
        pages.append(Deferred(f"commits/{commit.id}.md", commit.digest,
                              functools.partial(_commit_page, r, commit)))  # fmt: skip
    pages.append(r.page("membership.md", "Membership", "membership.html", {"events": history.events}))
    operators = [i.member for i in members if i.current and i.member.is_operator]
    pages.append(r.page("help/index.md", "How this community works", "help_community.html", {"operators": operators}))
    pages.append(r.page("help/posting.md", "How to post", "help_posting.html", {}))
    pages.append(r.page("help/signatures.md", "What “Signed by” means", "help_signatures.html", {}))
    files: dict[str, SiteFile] = dict(history.attachments)
    feed_id = f"urn:orgsite:{history.introduction}"
    feeds = [("feed.xml", feed_id, community.name, history.posts)]
    feeds += [
        (f"members/{i.member.handle}/feed.xml", f"{feed_id}:members:{i.member.handle}",
         f"{community.name}: {i.member.name}", i.posts)
        for i in members
    ]  # fmt: skip
    taken = {}  # the feeds of the conversations as they were: their keys are the earlier build's
    for thread in threads:
        posts = [thread] + [reply for reply, _ in thread.thread()]
        newest_first = sorted(posts, key=lambda p: (p.date, p.created.position), reverse=True)
        feeds.append((f"{thread.url}feed.xml", f"{feed_id}:thread:{thread.path}",
                      f"{community.name}: {thread.meta.title}", newest_first))  # fmt: skip
        if thread.path in same.roots and earlier and f"{thread.url}feed.xml" in earlier.file_keys:
            taken[f"{thread.url}feed.xml"] = earlier.file_keys[f"{thread.url}feed.xml"]
    for path, this_id, title, posts in feeds:
        newest = posts[:FEED_LENGTH]
        render = functools.partial(_feed, r, feed_id, path, this_id, title, newest)
        if path in taken:
            files[path] = DeferredFile(taken[path], render)
            continue
        # Everything an entry shows of a post: its text (and so its rendered body), author, dates, address.
        shown = [r.post_digest(p) for p in newest]
        files[path] = DeferredFile(_key(path, this_id, title, community.url, shown), render)
    if history.community.follows:
        neighbour_pages, neighbour_files = _neighbour_pages(r, neighbours, community.url)
        pages += neighbour_pages
        files.update(neighbour_files)
    conversations = Conversations(
        len(history.commits), order_digest(commit.id for commit in reversed(history.commits)),
        {post.path: (post.root.path, r.post_digest(post)) for post in history.posts},
        {thread.path: r.row_key(thread) for thread in threads}, dict(slugs),
    )  # fmt: skip
    return SitePages(_first_of_each_path(pages, history.warnings), files, conversations, earlier_pages)


def _feed(r: _Renderer, community_id: str, path: str, feed_id: str, title: str, posts: Sequence[PostInfo]) -> bytes:
    return atom_feed(community_id=community_id, feed_id=feed_id, title=title, posts=posts, bodies=r.bodies,
                     root="../" * path.count("/"), self_href="feed.xml",
                     public_url=r.history.community.url)  # fmt: skip


def _commit_page(r: _Renderer, commit: CommitInfo) -> Page:
    patches = within_budget(commit.patches, MAX_COMMIT_PAGE_DIFF_BYTES)
    return r.page(f"commits/{commit.id}.md", f"Commit {commit.short}: {commit.subject}", "commit.html",
                  {"commit": commit, "patches": patches})  # fmt: skip


def _post_page(r: _Renderer, post: PostInfo) -> Page:
    # Only a post's own text is indexed: its thread, the reply command and its history come after.
    return r.page(post.path, post.meta.title, "post.html", {"post": post}, searchable=True,
                  unindexed_template="post_thread.html")  # fmt: skip


def _neighbour_pages(
    r: _Renderer, neighbours: Sequence[Neighbour], public_url: str
) -> tuple[list[Page], dict[str, bytes | Callable[[], bytes]]]:
    """The neighbours' index, and for each verified neighbour its conversations, posts, feed and pictures."""
    pages = [r.page(NEIGHBOURS_INDEX, "Neighbours", "neighbours.html", {"neighbours": neighbours})]
    files: dict[str, bytes | Callable[[], bytes]] = {}
    for n in neighbours:
        if n.history is None:
            continue
        pages.append(r.page(f"{n.base}index.md", n.label, "neighbour_home.html", {"n": n}))
        for post in n.history.posts:
            if n.base + post.path in r.bodies:
                pages.append(r.page(n.base + post.path, post.meta.title, "neighbour_post.html", {"n": n, "post": post},
                                    searchable=True))  # fmt: skip
        files.update({n.base + path: read for path, read in n.history.attachments.items()})
        posts = [p for p in n.history.posts if n.base + p.path in r.bodies]
        files[f"{n.base}feed.xml"] = atom_feed(
            community_id=f"urn:orgsite:{n.follow.introduction}", feed_id=f"urn:orgsite:{n.follow.introduction}",
            title=n.label, posts=posts, bodies={p.path: r.bodies[n.base + p.path] for p in posts}, root="",
            self_href="feed.xml", public_url=f"{public_url.rstrip('/')}/{n.base}" if public_url else "",
        )  # fmt: skip
    return pages, files


def _first_of_each_path(pages: list[Page | Deferred], warnings: list[str]) -> list[Page | Deferred]:
    """The site's own pages come first in `pages`: nothing a member names may replace one of them."""
    seen: set[str] = set()
    kept = []
    for page in pages:
        if page.path in seen:
            warnings.append(f"{page.path}: left out, a page of the site's own has that name")
            continue
        seen.add(page.path)
        kept.append(page)
    return kept
