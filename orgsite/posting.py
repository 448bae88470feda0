"""Posting: write or edit one's own post in a clone, check it with the server's rules, commit signed, push."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from orgsite.content import PathType, classify_path, is_post_path, neighbour_reply, post_path, render_post
from orgsite.errors import OrgsiteError
from orgsite.model import Change, Member
from orgsite.policy import CommunityFiles, file_problems
from orgsite.signing_clone import Committed, SigningClone

Editor = Callable[[str], str | None]  # text in, edited text out (None: the user left without saving)


def slugify(title: str) -> str:
    """A file-name slug for a title: lower-case ASCII letters, digits and '-' (at most 60)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return slug or "post"


class _Author(SigningClone):
    """The member writing in this clone, found by their signing key's fingerprint."""

    def __init__(self, repo_dir: Path, signing_key: str | None) -> None:
        super().__init__(repo_dir, signing_key)
        if self.member is None:
            raise OrgsiteError(
                f"your key {self.key.fingerprint} is not on the allowlist of {self.work}; "
                "send your public key to an operator (`orgsite join` prints what to send), then `git pull`"
            )
        self.author: Member = self.member

    def exists(self, path: str) -> bool:
        return self.read(path) is not None

    def new_path(self, title: str, slug: str | None) -> str:
        if slug is not None:
            path = post_path(self.author.handle, slug)
            if self.exists(path):
                raise OrgsiteError(f"{path} already exists; pick another --slug, or edit it with --edit {path}")
            return path
        base = slugify(title)
        slug, n = base, 2
        while self.exists(post_path(self.author.handle, slug)):
            slug, n = f"{base}-{n}", n + 1
        return post_path(self.author.handle, slug)

    def write(self, path: str, data: bytes, message: str, *, push_now: bool) -> Committed:
        """Check `data` with the server's own content rules (so a problem shows before anything is
        committed), then write, commit and push it."""

        def read(p: str) -> bytes | None:
            return data if p == path else self.read(p)

        change = Change(path, deleted=False, mode=0o100644, size=len(data))
        own = CommunityFiles(self.snapshots.allowlist_file(self.head), self.snapshots.community_file(self.head))
        problems = file_problems(self.head, change, self.community().limits, read, own)
        if problems:
            raise OrgsiteError(f"{path}: {problems[0].message}; nothing was committed")
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return self.commit([path], message, push_now=push_now)


def new_post(
    repo_dir: Path,
    title: str,
    *,
    body: str | None,
    editor: Editor,
    tags: tuple[str, ...] = (),
    reply_to: str | None = None,
    slug: str | None = None,
    signing_key: str | None = None,
    push_now: bool = True,
) -> Committed:
    """Write a new post of the clone's member (body given, else from `editor`), commit it signed, push.

    The file is posts/<handle>/<slug>.md, the slug made from the title unless given."""
    author = _Author(repo_dir, signing_key)
    neighbour = neighbour_reply(reply_to) if reply_to is not None else None
    if neighbour is not None and author.community().follow(neighbour[0]) is None:
        raise OrgsiteError(f"--reply-to {reply_to}: this community does not follow '{neighbour[0]}'")
    if reply_to is not None and neighbour is None and not (is_post_path(reply_to) and author.exists(reply_to)):
        raise OrgsiteError(f"--reply-to {reply_to}: no such post here; give its path, like posts/bob/hello.md "
                           "(or a neighbour's, like smiths:posts/dana/trip.md)")  # fmt: skip
    if body is None:
        body = editor("")
    if not body or not body.strip():
        raise OrgsiteError("the post is empty; nothing was committed")
    path = author.new_path(title, slug)
    data = render_post(title, body, tags=tags, reply_to=reply_to).encode("utf-8")
    return author.write(path, data, f"Post {title}", push_now=push_now)


def edit_post(
    repo_dir: Path, path: str, *, editor: Editor, signing_key: str | None = None, push_now: bool = True
) -> Committed | None:
    """Open one's own post `path` in `editor`, then commit the change signed and push it (None: no change)."""
    author = _Author(repo_dir, signing_key)
    kind = classify_path(path)
    if kind is None or kind.kind is not PathType.POST or not author.exists(path):
        raise OrgsiteError(f"{path} is not a post in {author.work}; give a path like posts/bob/hello.md")
    if kind.handle != author.author.handle and not author.author.is_operator:
        raise OrgsiteError(f"{path} belongs to @{kind.handle}; members may only edit their own posts")
    before = (author.work / path).read_text(encoding="utf-8")
    after = editor(before)
    if after is None or after == before:
        return None
    return author.write(path, after.encode("utf-8"), f"Edit {path}", push_now=push_now)
