"""The community's history, read once: commits with verdicts and diffs, posts with revisions and
threads, members with their joins and departures. Everything the pages show comes from here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from orgsite import walks
from orgsite.allowlist import ALLOWLIST_PATH
from orgsite.content import POSTS_DIR, PathType, PostMeta, classify_path
from orgsite.errors import OrgsiteError
from orgsite.keyed_store import KeyedStore, made_by
from orgsite.model import Allowlist, Community, Member, Verdict, short_id
from orgsite.progress import SILENT, Progress
from orgsite.provenance import unpublished_reason
from orgsite.repo import CommitMeta, CommunityRepo, FilePatch
from orgsite.site import kept_history
from orgsite.site.kept_history import Row
from orgsite.site.parsed_posts import parsed_posts
from orgsite.snapshot import Snapshots
from orgsite.verdicts import as_plain, from_plain
from orgsite.verify import RULES_VERSION, Verifier, judge_all

MAX_DIFFED_FILE_BYTES = 256 * 1024  # larger files are shown by size, not diffed
MAX_MESSAGE_CHARS = 16 * 1024
MAX_NAME_CHARS = 200
_COMMITS_FORMAT = "2"  # bump when what the cache keeps of a commit changes


def _bounded(meta: CommitMeta) -> CommitMeta:
    """Commit metadata cut to what a page shows (the hook bounds commits; a bypassed history may not be)."""
    if len(meta.message) <= MAX_MESSAGE_CHARS and max(len(meta.author_name), len(meta.author_email)) <= MAX_NAME_CHARS:
        return meta
    message = meta.message
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + f"\n… ({len(meta.message) - MAX_MESSAGE_CHARS} more characters)"
    return dataclasses.replace(
        meta,
        author_name=meta.author_name[:MAX_NAME_CHARS],
        author_email=meta.author_email[:MAX_NAME_CHARS],
        message=message,
    )


def commit_digest(commit_id: str, verdict_values: tuple) -> str:
    """One id for everything the site shows of a commit: the commit (its id fixes all it holds) and its
    verdict (as verdicts.as_plain gives it)."""
    return hashlib.sha256(repr((commit_id, verdict_values)).encode("utf-8", "surrogatepass")).hexdigest()


class CommitInfo:
    """One commit of the branch as the site shows it. A commit read by an earlier build comes from what
    that build kept (kept_history): its record, verdict and changes are made when first asked for (a
    one-post build shows a few of the history's fifty thousand commits). `accepted`: True when the
    commit breaks no rule; `signer_handle`: the member whose key signed it (the verdict's)."""

    def __init__(
        self, id: str, position: int, parents: tuple[str, ...], meta: CommitMeta, verdict: Verdict,
        patches: tuple[FilePatch, ...],
    ) -> None:  # fmt: skip
        self.id = id
        self.position = position  # in the branch's topological order, oldest first: breaks equal times' ties
        self.parents = parents
        self.meta, self.verdict, self.patches = meta, verdict, patches
        self.commit_time = meta.commit_time
        self.accepted = verdict.accepted
        self.signer_handle = verdict.handle
        self._paths = tuple(p.path for p in patches)
        self.digest = commit_digest(id, as_plain(verdict))

    @classmethod
    def kept(cls, row: Row, position: int, known_patches: Callable[[str, tuple], list[FilePatch]]) -> CommitInfo:
        """The commit kept as `row` (kept_history), its patches made by `known_patches` (CommunityRepo's)
        when first asked for."""
        commit = cls.__new__(cls)
        commit.id, commit.parents, commit.commit_time, commit._paths, commit.accepted, commit.signer_handle, \
            commit.digest, _ = row  # fmt: skip
        commit.position, commit._row, commit._known_patches = position, row, known_patches
        return commit

    @functools.cached_property
    def _rest(self) -> tuple:
        return kept_history.rest_of(self._row)

    @functools.cached_property
    def meta(self) -> CommitMeta:
        """What git records of the commit, cut to what a page shows."""
        return _bounded(CommitMeta(*self._rest[0]))

    @functools.cached_property
    def verdict(self) -> Verdict:
        """The trust core's judgement of the commit."""
        return from_plain(self._rest[2])

    @functools.cached_property
    def patches(self) -> tuple[FilePatch, ...]:
        """The commit's changes against its first parent, in path order."""
        return tuple(self._known_patches(self.id, self._rest[1]))

    def changes(self, path: str) -> bool:
        """True when the commit changes the file at `path` (against its first parent)."""
        return path in self._paths

    @property
    def changed_paths(self) -> tuple[str, ...]:
        """The paths of the files the commit changes (against its first parent)."""
        return self._paths

    def patch_of(self, path: str) -> FilePatch | None:
        """The commit's change to the file at `path` (None when it changes none)."""
        return next((p for p in self.patches if p.path == path), None) if self.changes(path) else None

    @property
    def short(self) -> str:
        """The abbreviated id shown on the site."""
        return short_id(self.id)

    @property
    def time(self) -> dt.datetime:
        """When the commit was made (committer time, UTC)."""
        return dt.datetime.fromtimestamp(self.commit_time, dt.UTC)

    @property
    def subject(self) -> str:
        """The first line of the commit message."""
        subject = self.meta.message.strip().splitlines()[0][:MAX_NAME_CHARS] if self.meta.message.strip() else ""
        return subject or "(no message)"


class Revision(NamedTuple):
    """One commit's version of one post (no patch when a merge kept one side's version over the other's)."""

    # (A tuple: a build makes one for each version of each of tens of thousands of posts.)
    commit: CommitInfo
    path: str

    @property
    def patch(self) -> FilePatch | None:
        """The commit's change to the post; None when a merge kept this version (it changed nothing)."""
        return self.commit.patch_of(self.path)

    @property
    def kept_by_merge(self) -> bool:
        """True when a merge kept this version over the other side's change (see `patch`)."""
        return not self.commit.changes(self.path)


@dataclass
class PostInfo:
    """A published post: its front matter, its verified author, its revisions and replies."""

    path: str
    blob: str  # the post's text at the tip, whose front matter and body `meta` holds
    meta: PostMeta
    author: Member
    author_is_former: bool
    revisions: list[Revision]
    replies: list[PostInfo] = field(default_factory=list)
    parent: PostInfo | None = None  # the published post this one answers

    @property
    def url(self) -> str:
        """The post's page, from its path: posts/bob/hello.md -> posts/bob/hello/."""
        return self.path[: -len(".md")] + "/"

    @property
    def created(self) -> CommitInfo:
        """The commit that created the post (its signer is the author)."""
        return self.revisions[0].commit

    @property
    def updated(self) -> CommitInfo:
        """The last commit that changed the post."""
        return self.revisions[-1].commit

    @property
    def date(self) -> dt.datetime:
        """The front matter's date when given, else when the post was created."""
        when = self.meta.date
        if isinstance(when, dt.datetime):
            return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        if isinstance(when, dt.date):
            return dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
        return self.created.time

    @property
    def anchor(self) -> str:
        """The id of this post's place in its thread (the permalink's fragment)."""
        return "reply-" + self.path[len(POSTS_DIR) + 1 : -len(".md")].replace("/", "-")

    @property
    def root(self) -> PostInfo:
        """The post that opened this post's thread (itself, for a post that answers none)."""
        post = self
        while post.parent is not None:
            post = post.parent
        return post

    def thread(self) -> list[tuple[PostInfo, int]]:
        """Every reply below this post, replies to replies included, in reading order, with its depth."""
        rows: list[tuple[PostInfo, int]] = []
        stack = [(reply, 1) for reply in reversed(self.replies)]
        while stack:  # no recursion: a chain of a thousand replies is a thousand rows, not a crash
            reply, depth = stack.pop()
            rows.append((reply, depth))
            stack.extend((child, depth + 1) for child in reversed(reply.replies))
        return rows

    def thread_size(self) -> int:
        """How many replies, replies to replies included."""
        return len(self.thread())

    def last_reply(self) -> PostInfo | None:
        """The newest reply anywhere in the thread."""
        replies = [reply for reply, _ in self.thread()]
        return max(replies, key=lambda p: (p.created.time, p.created.position), default=None)

    def activity(self) -> tuple[dt.datetime, int]:
        """When the thread last changed (a reply or an edit anywhere in it), ties broken by history order."""
        commits = [self.updated] + [reply.updated for reply, _ in self.thread()]
        latest = max(commits, key=lambda c: (c.commit_time, c.position))
        return latest.time, latest.position


class MembershipChange(StrEnum):
    """What one allowlist change did to one member (the membership page shows the value)."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class MembershipEvent:
    """One change to the allowlist: who was added, removed or changed, in which commit."""

    commit: CommitInfo
    kind: MembershipChange
    member: Member
    detail: str = ""


@dataclass
class MemberInfo:
    """Everyone the allowlist ever listed, with their latest entry."""

    member: Member
    current: bool
    joined: CommitInfo | None = None
    left: CommitInfo | None = None
    posts: list[PostInfo] = field(default_factory=list)


@dataclass
class CommunityHistory:
    """The whole branch, ready to render."""

    community: Community
    introduction: str
    tip: str
    commits: list[CommitInfo]  # newest first
    posts: list[PostInfo]  # newest first
    members: dict[str, MemberInfo]
    events: list[MembershipEvent]  # newest first
    tags: dict[str, list[PostInfo]]
    attachments: dict[str, Callable[[], bytes]]  # path -> its bytes, read when asked
    warnings: list[str]

    @property
    def threads(self) -> list[PostInfo]:
        """The posts that open a conversation, the most recently active first."""
        return sorted((p for p in self.posts if p.parent is None), key=PostInfo.activity, reverse=True)

    def leave_out(self, paths: set[str]) -> None:
        """Remove these posts from every listing, thread, member and tag (their replies stay, unthreaded)."""
        self.posts = [p for p in self.posts if p.path not in paths]
        for post in self.posts:
            post.replies = [r for r in post.replies if r.path not in paths]
            if post.parent is not None and post.parent.path in paths:
                post.parent = None  # its thread's opening post is gone: it opens its own
        for info in self.members.values():
            info.posts = [p for p in info.posts if p.path not in paths]
        kept = {tag: [p for p in posts if p.path not in paths] for tag, posts in self.tags.items()}
        self.tags = {tag: posts for tag, posts in kept.items() if posts}


def member_changes(
    before: Allowlist | None, after: Allowlist | None
) -> list[tuple[MembershipChange, Member, str]]:
    """Who an allowlist change added, removed or changed (with what changed), added first."""
    old = {m.handle: m for m in (before.members if before else ())}
    new = {m.handle: m for m in (after.members if after else ())}
    changes = [(MembershipChange.ADDED, m, f"as {m.role}") for h, m in new.items() if h not in old]
    changes += [(MembershipChange.REMOVED, m, "") for h, m in old.items() if h not in new]
    for handle in sorted(set(old) & set(new)):
        was, now = old[handle], new[handle]
        if was.role != now.role:
            changes.append((MembershipChange.CHANGED, now, f"role {was.role} → {now.role}"))
        elif was.fingerprints != now.fingerprints:
            changes.append((MembershipChange.CHANGED, now, "keys changed"))
        elif was != now:
            changes.append((MembershipChange.CHANGED, now, "name or email changed"))
    return changes


def read_history(
    repo: CommunityRepo,
    branch: str,
    *,
    introduction: str | None = None,
    tip: str | None = None,
    progress: Progress = SILENT,
) -> CommunityHistory:
    """Walk `branch` (or the history of the commit `tip`) once and gather everything the site shows;
    raises OrgsiteError when there is nothing."""
    tip = tip or repo.branch_tip(branch)
    if tip is None or not repo.is_commit(tip):
        raise OrgsiteError(f"{repo.git_dir}: there is no branch '{branch}' to build")
    snapshots = Snapshots(repo)
    intro = snapshots.introduction(tip, introduction)
    walked = walks.walk(repo, tip)
    order = walked.order  # parents first
    # What the last build read: its commits, when they begin this walk (only the new ones are judged and
    # read), and the lineages at its tip, when this walk goes on from there (only the new ones are folded).
    # (This module's code too: a kept row holds the commit's digest, made here.)
    context = f"{RULES_VERSION}:{intro}:{_COMMITS_FORMAT}:{MAX_DIFFED_FILE_BYTES}:{made_by(sys.modules[__name__])}"
    last = kept_history.kept(repo, context)
    known = last.rows if [row[0] for row in last.rows] == order[: len(last.rows)] else []
    repo.keep_first_parent_diffs()  # judged first, then shown: each commit is diffed once
    with Verifier(repo, intro, snapshots=snapshots) as verifier:
        verdicts = judge_all(verifier, order[len(known) :], progress)
        commits, rows = _read_commits(repo, order, verdicts, progress, known)
        by_id = {commit.id: commit for commit in commits}
        goes_on = walked.built_on is not None and walked.built_on == last.tip
        files = verifier.lineages(order, _FirstParentBlobs(by_id), start=(last.tip, last.lineages) if goes_on else None)
        if (tip, len(rows)) != (last.tip, len(known)):  # (nothing new read: nothing new to keep)
            kept_history.keep(repo, context, rows, tip, files, last)
        community = snapshots.community(tip)
        members, events = _membership(commits, snapshots.allowlist)
    warnings: list[str] = []
    for commit in commits:
        if not commit.accepted:
            warnings.append(f"commit {commit.short} breaks the community's rules: {commit.verdict.problems[0]}")
    revisions = {path: [Revision(by_id[writer], path) for writer in lineage.writers] for path, lineage in files.items()}
    published_files = set()
    for path, lineage in files.items():
        reason = unpublished_reason(lineage, lambda c: by_id[c].accepted)
        if reason is None:
            published_files.add(path)
        elif path.endswith(".md"):
            warnings.append(f"{path}: not published: {reason}")
    posts = _posts(repo, {p: (files[p].blob, revisions[p]) for p in published_files}, members, warnings)
    by_author: dict[str, list[PostInfo]] = defaultdict(list)
    for post in posts:
        by_author[post.author.handle].append(post)
    for handle, info in members.items():
        info.posts = by_author.get(handle, [])
    tags: dict[str, list[PostInfo]] = defaultdict(list)
    for post in posts:
        for tag in post.meta.tags:
            tags[tag].append(post)
    attachments: dict[str, Callable[[], bytes]] = {}
    for path in sorted(published_files):
        kind = classify_path(path)
        if kind is not None and kind.kind is PathType.ATTACHMENT:
            # Read when written, one at a time: a push's worth of pictures never sits in memory at once.
            attachments[path] = functools.partial(repo.read_blob, files[path].blob)
    commits.reverse()
    events.reverse()
    return CommunityHistory(
        community, intro, tip, commits, posts, members, events, dict(tags), attachments, warnings
    )


class _FirstParentBlobs(Mapping[str, dict[str, str | None]]):
    """Each commit's changes (path -> new blob, None when deleted), made when asked for: a fold that goes
    on from the last build's asks for the new commits' alone."""

    def __init__(self, commits: dict[str, CommitInfo]) -> None:
        self._commits = commits

    def __getitem__(self, commit: str) -> dict[str, str | None]:
        return {p.path: p.blob for p in self._commits[commit].patches}

    def __iter__(self) -> Iterator[str]:
        return iter(self._commits)

    def __len__(self) -> int:
        return len(self._commits)


def _read_commits(
    repo: CommunityRepo, order: list[str], verdicts: dict[str, Verdict], progress: Progress, kept: list[Row]
) -> tuple[list[CommitInfo], list[Row]]:
    """Each commit with its verdict, metadata and changes, and each as kept_history keeps it: the first
    from `kept` (the last walk's), the others from the cache or the repository. What a commit changed
    never changes: it is kept in the repository's cache, so a build diffs only the commits it has not
    seen (a tree diff costs more as a member's folder grows)."""
    commits = [CommitInfo.kept(row, n, repo.known_patches) for n, row in enumerate(kept)]
    rows = list(kept)
    new = order[len(kept) :]
    store = KeyedStore(repo.cache_dir / "history.sqlite", "commits", f"{_COMMITS_FORMAT}:{MAX_DIFFED_FILE_BYTES}")
    try:
        known = store.get_many(new)
        fresh = []
        with progress.phase("Reading changes", len(new)) as advance:
            for n, c in enumerate(new, start=len(kept)):
                if c in known:
                    data = json.loads(known[c])
                    meta, parents = CommitMeta(*data["meta"]), tuple(data["parents"])
                    files = [tuple(row) for row in data["files"]]
                    patches = tuple(repo.known_patches(c, files))
                else:
                    meta, parents = repo.commit_meta(c), tuple(repo.parents(c))
                    patches = tuple(repo.patches(c, max_file_bytes=MAX_DIFFED_FILE_BYTES))
                    files = [(p.path, p.status, p.blob, p.too_large, p.old_blob, p.plain) for p in patches]
                    fresh.append(
                        (c, json.dumps({"meta": dataclasses.astuple(meta), "parents": parents, "files": files}))
                    )
                commit = CommitInfo(c, n, parents, _bounded(meta), verdicts[c], patches)
                commits.append(commit)
                rows.append(kept_history.row_of(c, parents, meta, files, verdicts[c], commit.digest))
                advance(1)
        store.put_many(fresh)
    finally:
        store.close()
    return commits, rows


def _membership(
    commits: list[CommitInfo], allowlist_at: Callable[[str], Allowlist | None]
) -> tuple[dict[str, MemberInfo], list[MembershipEvent]]:
    members: dict[str, MemberInfo] = {}
    events: list[MembershipEvent] = []
    for commit in commits:
        if not commit.accepted or not commit.changes(ALLOWLIST_PATH):
            continue
        before = allowlist_at(commit.parents[0]) if commit.parents else None
        for kind, member, detail in member_changes(before, allowlist_at(commit.id)):
            events.append(MembershipEvent(commit, kind, member, detail))
            info = members.setdefault(member.handle, MemberInfo(member, current=True))
            info.member = member
            if kind is MembershipChange.ADDED:
                info.current, info.left = True, None
                info.joined = info.joined or commit
            elif kind is MembershipChange.REMOVED:
                info.current, info.left = False, commit
    return members, events


def _answers(post: PostInfo, ancestor: PostInfo) -> bool:
    """True when `post` is `ancestor` or answers it through its parents (a reply_to cycle, made by edits)."""
    seen: PostInfo | None = post
    while seen is not None:
        if seen is ancestor:
            return True
        seen = seen.parent
    return False


def _posts(
    repo: CommunityRepo,
    published: dict[str, tuple[str, list[Revision]]],
    members: dict[str, MemberInfo],
    warnings: list[str],
) -> list[PostInfo]:
    """The published posts (path -> blob at the tip and revisions), threaded, newest activity first.
    Published files were written by accepted commits only, so each is a regular file (a blob)."""
    posts: dict[str, PostInfo] = {}
    published = {path: found for path, found in published.items() if path.endswith(".md")}
    parsed = parsed_posts(repo.cache_dir, (blob for blob, _ in published.values()), repo.read_blob)
    for path, (blob, revs) in published.items():
        meta = parsed[blob]
        if isinstance(meta, str):
            warnings.append(f"{path}: not published, {meta}")
            continue
        handle = revs[0].commit.signer_handle
        info = members.get(handle or "")
        if info is None:
            warnings.append(f"{path}: not published, its author is not known")
            continue
        posts[path] = PostInfo(path, blob, meta, info.member, not info.current, revs)
    for post in posts.values():
        parent = posts.get(post.meta.reply_to or "")
        if parent is not None and not _answers(parent, post):
            parent.replies.append(post)
            post.parent = parent
    ordered = sorted(posts.values(), key=lambda p: (p.date, p.created.position), reverse=True)
    for post in ordered:
        post.replies.sort(key=lambda p: (p.date, p.created.position))
    return ordered
