"""The repository contract (design §2): which paths may exist, and what community.toml and posts must hold.

Pure: paths, bytes and text in; records, problems or errors out.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass

import yaml

from orgsite.allowlist import ALLOWLIST_PATH
from orgsite.errors import ConfigError, ContentError
from orgsite.model import Community, Limits
from orgsite.tomltext import toml_value

COMMUNITY_PATH = "community.toml"
KEYS_DIR = "members/keys"
ATTACHMENT_SUFFIXES = ("png", "jpg", "jpeg", "gif", "webp", "pdf")

_HANDLE = r"[a-z0-9][a-z0-9-]{0,31}"
_KEY_PATH = re.compile(rf"members/keys/(?P<handle>{_HANDLE})\.asc\Z")
_POST_PATH = re.compile(rf"posts/(?P<handle>{_HANDLE})/(?P<slug>[a-z0-9][a-z0-9_-]{{0,99}})\.md\Z")
_ATTACHMENT_PATH = re.compile(
    rf"posts/(?P<handle>{_HANDLE})/[a-z0-9][a-z0-9_.-]{{0,99}}\.(?:{'|'.join(ATTACHMENT_SUFFIXES)})\Z"
)
_LIMIT_FIELDS = {f: int for f in ("max_file_bytes", "max_push_commits", "max_push_bytes")}
_COMMUNITY_FIELDS = {"name", "description", "language", "branch", "limits"}
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")


@dataclass(frozen=True)
class PathKind:
    """What a repository path is under the contract; `handle` is its owner for keys, posts and attachments."""

    kind: str  # "community", "allowlist", "key", "post" or "attachment"
    handle: str | None = None


def classify_path(path: str) -> PathKind | None:
    """The contract's kind of `path`, or None when no file may live there."""
    if path == COMMUNITY_PATH:
        return PathKind("community")
    if path == ALLOWLIST_PATH:
        return PathKind("allowlist")
    for kind, pattern in (("key", _KEY_PATH), ("post", _POST_PATH), ("attachment", _ATTACHMENT_PATH)):
        match = pattern.match(path)
        if match:
            return PathKind(kind, match["handle"])
    return None


def is_post_path(path: str) -> bool:
    """True when `path` names a post file (`posts/<handle>/<slug>.md`)."""
    return bool(_POST_PATH.match(path))


def key_path(handle: str) -> str:
    """Where a member's public key lives in the repository."""
    return f"{KEYS_DIR}/{handle}.asc"


def parse_community(text: str) -> Community:
    """The settings in community.toml `text`; raises ConfigError when malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{COMMUNITY_PATH}: not valid TOML ({e})") from e
    unknown = sorted(set(data) - _COMMUNITY_FIELDS)
    if unknown:
        raise ConfigError(f"{COMMUNITY_PATH}: unknown key(s) {', '.join(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or "\n" in name:
        raise ConfigError(f"{COMMUNITY_PATH}: 'name' must be a non-empty one-line string")
    for key in ("description", "language", "branch"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"{COMMUNITY_PATH}: '{key}' must be a string")
    branch = data.get("branch", "main")
    if not _BRANCH.match(branch):
        raise ConfigError(f"{COMMUNITY_PATH}: branch {branch!r} is not a safe branch name")
    limits_table = data.get("limits", {})
    if not isinstance(limits_table, dict):
        raise ConfigError(f"{COMMUNITY_PATH}: [limits] must be a table")
    unknown = sorted(set(limits_table) - set(_LIMIT_FIELDS))
    if unknown:
        raise ConfigError(f"{COMMUNITY_PATH}: unknown limit(s) {', '.join(unknown)}")
    for key, value in limits_table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{COMMUNITY_PATH}: limits.{key} must be a positive whole number")
    return Community(
        name=name,
        description=data.get("description", ""),
        language=data.get("language", "en"),
        branch=branch,
        limits=Limits(**limits_table),
    )


def render_community(community: Community) -> str:
    """The community.toml text for `community`, limits written out so operators can see and change them."""
    limits = community.limits
    return (
        f"name = {toml_value(community.name)}\n"
        f"description = {toml_value(community.description)}\n"
        f"language = {toml_value(community.language)}\n"
        f"branch = {toml_value(community.branch)}\n"
        "\n[limits]\n"
        f"max_file_bytes = {limits.max_file_bytes}\n"
        f"max_push_commits = {limits.max_push_commits}\n"
        f"max_push_bytes = {limits.max_push_bytes}\n"
    )


@dataclass(frozen=True)
class PostMeta:
    """A post's trusted-shape front matter and its Markdown body (never its author: that is the signer)."""

    title: str
    date: dt.date | None
    tags: tuple[str, ...]
    reply_to: str | None
    body: str


def _front_matter(text: str) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        raise ContentError("a post must start with a '---' line opening its YAML front matter")
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip("\r\n") in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :])
    raise ContentError("the front matter is never closed by a '---' line")


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ContentError(f"date {value!r} is not a date like 2026-05-01 or 2026-05-01T12:00:00")


def parse_post(data: bytes) -> PostMeta:
    """The front matter and body of a post file; raises ContentError naming what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ContentError(f"not valid UTF-8 (byte {e.start})") from e
    head, body = _front_matter(text)
    try:
        meta = yaml.load(head, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader, C speed when available)
    except yaml.YAMLError as e:
        raise ContentError(f"front matter is not valid YAML ({str(e).splitlines()[0]})") from e
    if not isinstance(meta, dict):
        raise ContentError("front matter must be a YAML mapping with at least a 'title'")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip() or "\n" in title.strip():
        raise ContentError("front matter needs a one-line 'title'")
    tags = meta.get("tags", [])
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() and "\n" not in t for t in tags):
        raise ContentError("'tags' must be a list of one-line strings")
    reply_to = meta.get("reply_to")
    if reply_to is not None and (not isinstance(reply_to, str) or not is_post_path(reply_to)):
        raise ContentError(f"reply_to {reply_to!r} must be the path of a post, like posts/bob/hello.md")
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
