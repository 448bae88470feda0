"""Outboxes and sharing: what one community shows another is a separate, ordinary orgsite community
(git cannot hide part of a repository from someone allowed to fetch it). An operator makes the outbox
with the main community's operators; a member shares one of their posts by committing it there,
signed with their own key: the consent on record. Unsharing is a new signed commit, never a rewrite.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from orgsite.allowlist import ALLOWLIST_PATH, render_allowlist
from orgsite.content import (
    COMMUNITY_PATH,
    PathType,
    classify_path,
    key_path,
    neighbour_reply,
    parse_post,
    render_community,
    render_post,
)
from orgsite.errors import OrgsiteError
from orgsite.federation.follows import OperatorClone
from orgsite.founding import found
from orgsite.gitcmd import config_value
from orgsite.model import Allowlist, Community
from orgsite.signing_clone import Committed, SigningClone

_LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)")  # Markdown link and image targets


def create_outbox(repo_dir: Path, target: Path, name: str, *, signing_key: str | None,
                  push_now: bool) -> tuple[str, Committed]:  # fmt: skip
    """Make the outbox `name` of the community whose clone is `repo_dir`, as a new bare community at
    `target` with the same operators (their keys too), introduced by this clone's operator, and record
    it in the main community's community.toml (a signed commit, so replies shared back can find their
    way); returns the outbox's introduction and that commit."""
    clone = OperatorClone(repo_dir, signing_key)
    main = clone.settings
    if any(n == name for n, _ in main.outboxes):
        raise OrgsiteError(f"this community has an outbox called '{name}' already; pick another name")
    operators = tuple(m for m in clone.allowlist.members if m.is_operator)
    files = {key_path(m.handle): clone.read(key_path(m.handle)) for m in operators}
    missing = [path for path, data in files.items() if data is None]
    if missing:
        raise OrgsiteError(f"{missing[0]} is missing in {clone.work}; pull first")
    settings = Community(name=f"{main.name}: shared with {name}",
                         description=f"Posts members of {main.name} chose to share with {name}.",
                         language=main.language)  # fmt: skip
    files[COMMUNITY_PATH] = render_community(settings).encode()
    files[ALLOWLIST_PATH] = render_allowlist(Allowlist(operators)).encode()
    handles = ", ".join(m.handle for m in operators)
    message = (f"Introduce the outbox {settings.name!r}\n\nOperators of {main.name}: {handles}; "
               "members join by being added, and share by signing.\n")  # fmt: skip
    intro = found(target.absolute(), settings, {p: d for p, d in files.items() if d is not None}, clone.key, message)
    recorded = dataclasses.replace(main, outboxes=(*main.outboxes, (name, intro)))
    return intro, clone.commit_settings(recorded, f"Make the outbox {name} ({intro[:7]})", push_now=push_now)


def _outbox_clone(to: str, main_clone: Path) -> Path:
    candidate = Path(to)
    if candidate.is_dir():
        return candidate
    configured = config_value(main_clone, f"orgsite.outbox.{to}")
    if configured and Path(configured).is_dir():
        return Path(configured)
    raise OrgsiteError(f"--to {to}: give your clone of the outbox, or name it once with "
                       f"`git config orgsite.outbox.{to} /path/to/your/outbox/clone`")  # fmt: skip


def _pictures(post_path: str, body: str, exists: Callable[[str], bool]) -> list[str]:
    """The attachments beside the post that its text links to (they travel with it)."""
    folder = posixpath.dirname(post_path)
    found_paths = []
    for target in _LINK_TARGET.findall(body):
        if "://" in target or target.startswith(("/", "#", "mailto:")):
            continue
        path = posixpath.normpath(posixpath.join(folder, target.split("#")[0]))
        kind = classify_path(path)
        if kind is not None and kind.kind is PathType.ATTACHMENT and exists(path) and path not in found_paths:
            found_paths.append(path)
    return found_paths


def share(main_clone: Path, path: str, to: str, *, signing_key: str | None, push_now: bool) -> Committed:
    """Copy one's own post `path` (and the pictures it shows) from the main clone into the outbox
    clone `to`, as a commit signed with one's own key."""
    source = SigningClone(main_clone, signing_key)
    kind = classify_path(path)
    if kind is None or kind.kind is not PathType.POST or source.read(path) is None:
        raise OrgsiteError(f"{path} is not a post in {source.work}; give a path like posts/bob/trip.md")
    if source.member is None or kind.handle != source.member.handle:
        raise OrgsiteError(f"{path} is not yours to share: only its author shares a post")
    outbox = SigningClone(_outbox_clone(to, main_clone), signing_key)
    if outbox.member is None or outbox.member.handle != source.member.handle:
        raise OrgsiteError(f"you are not a member of the outbox {to} as @{source.member.handle}; "
                           "ask an operator to add you there")  # fmt: skip
    data = source.read(path) or b""
    meta = parse_post(data)
    answered = neighbour_reply(meta.reply_to) if meta.reply_to else None
    followed = source.community().follow(answered[0]) if answered else None
    if followed is not None and answered is not None:
        # A reply to a neighbour's post names it by that community's introduction, which its audience
        # (that very neighbour, often) recognises as its own, whatever name we follow it by.
        reply_to = f"{followed.introduction}:{answered[1]}"
        data = render_post(meta.title, meta.body, tags=meta.tags, reply_to=reply_to).encode("utf-8")
    elif meta.reply_to and outbox.read(meta.reply_to) is None:
        # The post it answers is not shared: the copy stands alone rather than point at nothing.
        data = render_post(meta.title, meta.body, tags=meta.tags).encode("utf-8")
    copies = {path: data}
    for picture in _pictures(path, meta.body, lambda p: source.read(p) is not None):
        copies[picture] = source.read(picture) or b""
    for copy_path, content in copies.items():
        target = outbox.work / copy_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return outbox.commit(sorted(copies), f"Share {path}", push_now=push_now)


def unshare(main_clone: Path, path: str, to: str, *, signing_key: str | None, push_now: bool) -> Committed:
    """Remove one's shared post `path` from the outbox clone `to`, by a new commit signed with one's own key
    (what was fetched already cannot be recalled)."""
    outbox = SigningClone(_outbox_clone(to, main_clone), signing_key)
    kind = classify_path(path)
    own = outbox.member is not None and kind is not None and kind.handle == outbox.member.handle
    if not own or kind is None or kind.kind is not PathType.POST:
        raise OrgsiteError(f"{path} is not one of your posts; only its author unshares a post")
    if outbox.read(path) is None:
        raise OrgsiteError(f"{path} is not shared in {outbox.work}")
    (outbox.work / path).unlink()
    return outbox.commit([path], f"Unshare {path}", push_now=push_now)
