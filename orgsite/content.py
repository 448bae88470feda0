"""The repository contract (design §2): which paths may exist, and what community.toml and posts must hold.

Pure: paths, bytes and text in; records, problems or errors out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum

import yaml

from orgsite.allowlist import ALLOWLIST_PATH, COMMIT_ID, COMMUNITY_NAME, HANDLE_PATTERN, community_entry
from orgsite.errors import ConfigError, ContentError
from orgsite.model import Community, Follow, Limits
from orgsite.textsafe import shown, terminal_safe
from orgsite.tomltext import toml_value

COMMUNITY_PATH = "community.toml"
MEMBERS_DIR = "members"
KEYS_DIR = f"{MEMBERS_DIR}/keys"
POSTS_DIR = "posts"
ATTACHMENT_SUFFIXES = ("png", "jpg", "jpeg", "gif", "webp", "pdf")

_HANDLE = HANDLE_PATTERN
_KEY_PATH = re.compile(rf"members/keys/(?P<handle>{_HANDLE})\.asc\Z")
_POST_PATH = re.compile(rf"posts/(?P<handle>{_HANDLE})/(?P<slug>[a-z0-9][a-z0-9_-]{{0,99}})\.md\Z")
_ATTACHMENT_PATH = re.compile(
    rf"posts/(?P<handle>{_HANDLE})/[a-z0-9][a-z0-9_.-]{{0,99}}\.(?:{'|'.join(ATTACHMENT_SUFFIXES)})\Z"
)
_LIMIT_FIELDS = {
    f: int
    for f in (
        "max_file_bytes",
        "max_post_bytes",
        "max_push_commits",
        "max_push_bytes",
        "max_push_post_bytes",
        "max_commit_files",
        "max_push_files",
    )
}
_COMMUNITY_FIELDS = {"name", "description", "language", "branch", "limits", "url", "follow", "outbox"}
_FOLLOW_FIELDS = ("name", "url", "introduction", "introducer")
MAX_FOLLOWS = 50
_FINGERPRINT = re.compile(r"[0-9A-F]{40}\Z")
# Where git may fetch a neighbour from: ssh, https or file URLs, an absolute path, or scp-like
# user@host:path. Nothing that starts with '-' (an option) and no other transport (ext:: runs commands).
_FETCH_URL = re.compile(r"(?:(?:ssh|https|file)://[^\s]{1,300}|/[^\s]{0,300}|[\w.-]{1,64}@[\w.-]{1,255}:[^\s-][^\s]{0,300})\Z")
_PUBLIC_URL = re.compile(r"https?://[^\s\"'<>]{1,200}\Z")
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")


class PathType(StrEnum):
    """The kinds of file the repository contract allows."""

    COMMUNITY = "community"
    ALLOWLIST = "allowlist"
    KEY = "key"
    POST = "post"
    ATTACHMENT = "attachment"


@dataclass(frozen=True)
class PathKind:
    """What a repository path is under the contract; `handle` is its owner for keys, posts and attachments."""

    kind: PathType
    handle: str | None = None


def classify_path(path: str) -> PathKind | None:
    """The contract's kind of `path`, or None when no file may live there."""
    if path == COMMUNITY_PATH:
        return PathKind(PathType.COMMUNITY)
    if path == ALLOWLIST_PATH:
        return PathKind(PathType.ALLOWLIST)
    patterns = ((PathType.KEY, _KEY_PATH), (PathType.POST, _POST_PATH), (PathType.ATTACHMENT, _ATTACHMENT_PATH))
    for kind, pattern in patterns:
        match = pattern.match(path)
        if match:
            return PathKind(kind, match["handle"])
    return None


def neighbour_reply(reply_to: str) -> tuple[str, str] | None:
    """(neighbour name, post path) when `reply_to` answers a followed neighbour's post, else None."""
    name, sep, path = reply_to.partition(":")
    if sep and COMMUNITY_NAME.match(name) and is_post_path(path):
        return name, path
    return None


def community_reply(reply_to: str) -> tuple[str, str] | None:
    """(introduction, post path) when `reply_to` answers a post of the community with that
    introduction ("<40 hex>:posts/…"), as a shared reply names the post it answers to its audience."""
    introduction, sep, path = reply_to.partition(":")
    if sep and COMMIT_ID.match(introduction) and is_post_path(path):
        return introduction, path
    return None


def _is_reply_target(reply_to: str) -> bool:
    return is_post_path(reply_to) or neighbour_reply(reply_to) is not None or community_reply(reply_to) is not None


def is_post_path(path: str) -> bool:
    """True when `path` names a post file (`posts/<handle>/<slug>.md`)."""
    return bool(_POST_PATH.match(path))


def key_path(handle: str) -> str:
    """Where a member's public key lives in the repository."""
    return f"{KEYS_DIR}/{handle}.asc"


def member_folder(handle: str) -> str:
    """The folder (with its trailing slash) where a member's posts and attachments live."""
    return f"{POSTS_DIR}/{handle}/"


def post_path(handle: str, slug: str) -> str:
    """Where a member's post with this slug lives."""
    return f"{member_folder(handle)}{slug}.md"


def parse_community(text: str) -> Community:
    """The settings in community.toml `text`; raises ConfigError when malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{COMMUNITY_PATH}: not valid TOML ({e})") from e
    unknown = sorted(set(data) - _COMMUNITY_FIELDS)
    if unknown:
        raise ConfigError(f"{COMMUNITY_PATH}: unknown key(s) {shown(', '.join(unknown))}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or "\n" in name:
        raise ConfigError(f"{COMMUNITY_PATH}: 'name' must be a non-empty one-line string")
    for key in ("description", "language", "branch", "url"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"{COMMUNITY_PATH}: '{key}' must be a string")
    url = data.get("url", "")
    if url and not _PUBLIC_URL.match(url):
        raise ConfigError(f"{COMMUNITY_PATH}: url {shown(url)} must be the site's address, like https://family.example.org/")
    branch = data.get("branch", "main")
    if not _BRANCH.match(branch):
        raise ConfigError(f"{COMMUNITY_PATH}: branch {shown(branch)} is not a safe branch name")
    limits_table = data.get("limits", {})
    if not isinstance(limits_table, dict):
        raise ConfigError(f"{COMMUNITY_PATH}: [limits] must be a table")
    unknown = sorted(set(limits_table) - set(_LIMIT_FIELDS))
    if unknown:
        raise ConfigError(f"{COMMUNITY_PATH}: unknown limit(s) {shown(', '.join(unknown))}")
    for key, value in limits_table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{COMMUNITY_PATH}: limits.{key} must be a positive whole number")
    return Community(
        name=name,
        description=data.get("description", ""),
        language=data.get("language", "en"),
        branch=branch,
        limits=Limits(**limits_table),
        url=url,
        follows=_follows(data.get("follow", [])),
        outboxes=_outboxes(data.get("outbox", [])),
    )


def _outboxes(tables: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(tables, list) or len(tables) > MAX_FOLLOWS:
        raise ConfigError(f"{COMMUNITY_PATH}: outboxes must be at most {MAX_FOLLOWS} [[outbox]] tables")
    outboxes: list[tuple[str, str]] = []
    for number, table in enumerate(tables, start=1):
        where = f"{COMMUNITY_PATH} [[outbox]] #{number}"
        entry = community_entry(table, where, ("name", "introduction"), "the outbox's")
        name, introduction = entry["name"], entry["introduction"]
        if any(n == name or i == introduction for n, i in outboxes):
            raise ConfigError(f"{where}: '{name}' or its introduction is listed twice")
        outboxes.append((name, introduction))
    return tuple(outboxes)


def _follows(tables: object) -> tuple[Follow, ...]:
    if not isinstance(tables, list) or len(tables) > MAX_FOLLOWS:
        raise ConfigError(f"{COMMUNITY_PATH}: neighbours must be at most {MAX_FOLLOWS} [[follow]] tables")
    follows = []
    for number, table in enumerate(tables, start=1):
        where = f"{COMMUNITY_PATH} [[follow]] #{number}"
        entry = community_entry(table, where, _FOLLOW_FIELDS, "the neighbour's")
        if not all(isinstance(entry[f], str) for f in _FOLLOW_FIELDS):
            raise ConfigError(f"{where}: every field must be a string")
        follow = Follow(**{f: entry[f] for f in _FOLLOW_FIELDS})
        if not _FETCH_URL.match(follow.url):
            raise ConfigError(f"{where}: url {shown(follow.url)} must be an ssh://, https:// or file:// URL, "
                              "an absolute path, or user@host:path")  # fmt: skip
        if not _FINGERPRINT.match(follow.introducer):
            raise ConfigError(f"{where}: introducer must be a 40-hex-digit OpenPGP fingerprint (upper case)")
        if any(f.name == follow.name or f.introduction == follow.introduction for f in follows):
            raise ConfigError(f"{where}: '{follow.name}' or its introduction is followed twice")
        follows.append(follow)
    return tuple(follows)


def render_community(community: Community) -> str:
    """The community.toml text for `community`, limits written out so operators can see and change them."""
    limits = community.limits
    url = f"url = {toml_value(community.url)}\n" if community.url else ""
    return (
        f"name = {toml_value(community.name)}\n"
        f"description = {toml_value(community.description)}\n"
        f"language = {toml_value(community.language)}\n"
        f"branch = {toml_value(community.branch)}\n"
        f"{url}"
        "\n[limits]\n"
        f"max_file_bytes = {limits.max_file_bytes}\n"
        f"max_post_bytes = {limits.max_post_bytes}\n"
        f"max_push_commits = {limits.max_push_commits}\n"
        f"max_push_bytes = {limits.max_push_bytes}\n"
        f"max_push_post_bytes = {limits.max_push_post_bytes}\n"
        f"max_commit_files = {limits.max_commit_files}\n"
        f"max_push_files = {limits.max_push_files}\n"
        + "".join(
            f"\n[[follow]]\nname = {toml_value(f.name)}\nurl = {toml_value(f.url)}\n"
            f"introduction = {toml_value(f.introduction)}\nintroducer = {toml_value(f.introducer)}\n"
            for f in community.follows
        )
        + "".join(
            f"\n[[outbox]]\nname = {toml_value(name)}\nintroduction = {toml_value(introduction)}\n"
            for name, introduction in community.outboxes
        )
    )


@dataclass(frozen=True)
class PostMeta:
    """A post's trusted-shape front matter and its Markdown body (never its author: that is the signer)."""

    title: str
    date: dt.date | None
    tags: tuple[str, ...]
    reply_to: str | None
    body: str


# Bounds on what a post's front matter and Markdown may hold: generous for people, cheap for the server.
MAX_FRONT_MATTER_BYTES = 8 * 1024
MAX_FRONT_MATTER_DEPTH = 4
MAX_TITLE_CHARS = 300
MAX_TAGS = 20
MAX_TAG_CHARS = 60
MAX_NESTING = 16  # list and quote levels in a post's Markdown
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


def _front_matter(text: str) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        raise ContentError("a post must start with a '---' line opening its YAML front matter")
    size = 0
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip("\r\n") in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :])
        size += len(line)
        if size > MAX_FRONT_MATTER_BYTES:
            break
    else:
        raise ContentError("the front matter is never closed by a '---' line")
    raise ContentError(f"the front matter is over {MAX_FRONT_MATTER_BYTES} bytes; keep it to a title, tags and a date")


def _check_yaml_shape(head: str) -> None:
    """Refuse anchors and aliases (a member's post has no use for them: they are how a few hundred
    bytes expand to gigabytes) and deep nesting, before anything is built from the YAML."""
    depth = 0
    try:
        for event in yaml.parse(head, Loader=_SAFE_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise ContentError("front matter may not use YAML anchors or aliases (& and *)")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_FRONT_MATTER_DEPTH:
                    raise ContentError(f"front matter nests deeper than {MAX_FRONT_MATTER_DEPTH} levels")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as e:
        raise ContentError(f"front matter is not valid YAML ({terminal_safe(str(e).splitlines()[0])[:120]})") from e


def _date(value: object) -> dt.date | None:
    if value is None:
        return None
    when = value
    if isinstance(value, str) and len(value) <= 40:
        with contextlib.suppress(ValueError):
            when = dt.datetime.fromisoformat(value)
    if not isinstance(when, dt.date):
        raise ContentError(f"date {shown(value)} is not a date like 2026-05-01 or 2026-05-01T12:00:00")
    if not EARLIEST_YEAR <= when.year <= LATEST_YEAR:
        raise ContentError(f"date {shown(when.isoformat())} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}")
    return when


_CONTAINER_MARK = re.compile(r"[ \t]*(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))")
_FENCE = re.compile(r"[ \t]{0,3}(```|~~~)")


def nesting_depth(body: str) -> int:
    """An upper estimate of how deeply the Markdown nests lists and quotes (code fences not counted)."""
    deepest = 0
    fenced = None
    for line in body.splitlines():
        fence = _FENCE.match(line)
        if fence:
            fenced = None if fenced == fence.group(1) else fenced or fence.group(1)
            continue
        if fenced:
            continue
        marks, position = 0, 0
        while match := _CONTAINER_MARK.match(line, position):
            marks, position = marks + 1, match.end()
        indent = len(line) - len(line.lstrip(" \t"))
        deepest = max(deepest, marks + indent // 4)
    return deepest


def parse_post(data: bytes) -> PostMeta:
    """The front matter and body of a post file; raises ContentError naming what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ContentError(f"not valid UTF-8 (byte {e.start})") from e
    head, body = _front_matter(text)
    _check_yaml_shape(head)
    try:
        meta = yaml.load(head, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader, C speed when available)
    except (yaml.YAMLError, ValueError) as e:
        raise ContentError(f"front matter is not valid YAML ({terminal_safe(str(e).splitlines()[0])[:120]})") from e
    if not isinstance(meta, dict):
        raise ContentError("front matter must be a YAML mapping with at least a 'title'")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip() or "\n" in title.strip():
        raise ContentError("front matter needs a one-line 'title'")
    if len(title) > MAX_TITLE_CHARS:
        raise ContentError(f"the title is {len(title)} characters long; at most {MAX_TITLE_CHARS}")
    tags = meta.get("tags", [])
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() and "\n" not in t for t in tags):
        raise ContentError("'tags' must be a list of one-line strings")
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS for t in tags):
        raise ContentError(f"at most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters each")
    reply_to = meta.get("reply_to")
    if reply_to is not None and (not isinstance(reply_to, str) or not _is_reply_target(reply_to)):
        raise ContentError(f"reply_to {shown(reply_to)} must be the path of a post, like posts/bob/hello.md "
                           "(or, for a neighbour's post, smiths:posts/dana/trip.md)")  # fmt: skip
    depth = nesting_depth(body)
    if depth > MAX_NESTING:
        raise ContentError(f"the text nests lists or quotes {depth} levels deep; at most {MAX_NESTING}")
    return PostMeta(
        title=title.strip(),
        date=_date(meta.get("date")),
        tags=tuple(t.strip() for t in tags),
        reply_to=reply_to,
        body=body,
    )


def render_post(title: str, body: str, *, tags: tuple[str, ...] = (), reply_to: str | None = None) -> str:
    """The text of a post file: YAML front matter (title, tags, reply_to) then the Markdown body."""
    front: dict[str, object] = {"title": title}
    if tags:
        front["tags"] = list(tags)
    if reply_to:
        front["reply_to"] = reply_to
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    ending = "" if body.endswith("\n") else "\n"
    return f"---\n{head}---\n{body}{ending}"


def check_key_file(data: bytes) -> None:
    """Raises ContentError unless `data` is an ASCII-armoured public key block (and no secret key)."""
    if b"PRIVATE KEY BLOCK" in data:
        raise ContentError("holds a secret key: only public keys belong in the repository")
    if b"-----BEGIN PGP PUBLIC KEY BLOCK-----" not in data:
        raise ContentError("is not an ASCII-armoured OpenPGP public key block")
