"""`orgsite post`: write or edit one's own post in a clone, check it with the server's rules, commit signed, push."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from orgsite.allowlist import ALLOWLIST_PATH, parse_allowlist
from orgsite.content import COMMUNITY_PATH, classify_path, is_post_path, parse_community, render_post
from orgsite.errors import OrgsiteError
from orgsite.gitcmd import commit_paths_signed, config_value, push
from orgsite.gpg import UserKeys
from orgsite.model import Change, Community, Member
from orgsite.policy import file_problems
from orgsite.repo import CommunityRepo

Editor = Callable[[str], str | None]  # text in, edited text out (None: the user left without saving)


def slugify(title: str) -> str:
    """A file-name slug for a title: lower-case ASCII letters, digits and '-' (at most 60)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return slug or "post"


class _Author:
    """The member writing in this clone, found by their signing key's fingerprint."""

    def __init__(self, repo_dir: Path, signing_key: str | None) -> None:
        self.repo = CommunityRepo(repo_dir)
        if self.repo.work_dir is None:
            raise OrgsiteError(f"{repo_dir} is a bare repository; run this in your clone")
        self.work = self.repo.work_dir
        self.head = self.repo.head()
        if self.head is None:
            raise OrgsiteError(f"{self.work} has no commits; clone the community repository first")
        spec = signing_key or config_value(self.work, "user.signingkey")
        if not spec:
            raise OrgsiteError("no signing key: pass --key FINGERPRINT or set `git config user.signingkey`")
        self.key = UserKeys().secret_key(spec)
        data = self.repo.read(self.head, ALLOWLIST_PATH)
        allowlist = parse_allowlist(data.decode("utf-8")) if data else None
        member = allowlist.by_fingerprint(self.key.fingerprint) if allowlist else None
        if member is None:
            raise OrgsiteError(
                f"your key {self.key.fingerprint} is not on the allowlist of {self.work}; "
                "send your public key to an operator (`orgsite join` prints what to send), then `git pull`"
            )
        self.member: Member = member
        settings = self.repo.read(self.head, COMMUNITY_PATH)
        self.community = parse_community(settings.decode("utf-8")) if settings else Community(name="community")

    def exists(self, path: str) -> bool:
        return (self.work / path).is_file() or self.repo.read(self.head, path) is not None

    def new_path(self, title: str) -> str:
        base = slugify(title)
        slug, n = base, 2
        while self.exists(f"posts/{self.member.handle}/{slug}.md"):
            slug, n = f"{base}-{n}", n + 1
        return f"posts/{self.member.handle}/{slug}.md"

    def check(self, path: str, data: bytes) -> None:
        """The server's own content rules, run here so a problem shows before anything is committed."""

        def read(p: str) -> bytes | None:
            if p == path:
                return data
            local = self.work / p
            return local.read_bytes() if local.is_file() else self.repo.read(self.head, p)

        change = Change(path, deleted=False, mode=0o100644, size=len(data))
        problems = file_problems("(not committed)", change, self.community.limits, read)
        if problems:
            raise OrgsiteError(f"{path}: {problems[0].message}; nothing was committed")

    def commit(self, path: str, data: bytes, message: str, *, push_now: bool) -> str:
        self.check(path, data)
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        commit = commit_paths_signed(self.work, [path], message, key=self.key.fingerprint)
        if not push_now:
            return f"{message}: committed {commit[:7]} ({path}); push with `git push`"
        return f"{message}: committed {commit[:7]} ({path}) and pushed.\n{push(self.work)}"


def new_post(
    repo_dir: Path,
    title: str,
    *,
    body: str | None,
    editor: Editor,
    tags: tuple[str, ...] = (),
    reply_to: str | None = None,
    signing_key: str | None = None,
    push_now: bool = True,
) -> str:
    """Write a new post of the clone's member (body given, else from `editor`), commit it signed, push."""
    author = _Author(repo_dir, signing_key)
    if reply_to is not None and not (is_post_path(reply_to) and author.exists(reply_to)):
        raise OrgsiteError(f"--reply-to {reply_to}: no such post here; give its path, like posts/bob/hello.md")
    if body is None:
        body = editor("")
    if not body or not body.strip():
        raise OrgsiteError("the post is empty; nothing was committed")
    path = author.new_path(title)
    data = render_post(title, body, tags=tags, reply_to=reply_to).encode("utf-8")
    return author.commit(path, data, f"Post {title}", push_now=push_now)


def edit_post(
    repo_dir: Path, path: str, *, editor: Editor, signing_key: str | None = None, push_now: bool = True
) -> str:
    """Open one's own post `path` in `editor`, then commit the change signed and push it."""
    author = _Author(repo_dir, signing_key)
    kind = classify_path(path)
    if kind is None or kind.kind != "post" or not author.exists(path):
        raise OrgsiteError(f"{path} is not a post in {author.work}; give a path like posts/bob/hello.md")
    if kind.handle != author.member.handle and not author.member.is_operator:
        raise OrgsiteError(f"{path} belongs to @{kind.handle}; members may only edit their own posts")
    before = (author.work / path).read_text(encoding="utf-8")
    after = editor(before)
    if after is None or after == before:
        return f"{path}: no change; nothing was committed"
    return author.commit(path, after.encode("utf-8"), f"Edit {path}", push_now=push_now)
