"""Parsing, validating and writing `members/allowlist.toml`. Pure: text in, records or errors out."""

from __future__ import annotations

import re
import tomllib

from orgsite.errors import ConfigError
from orgsite.model import Allowlist, Member, Peer, Role
from orgsite.sshkeys import parse_ssh_key
from orgsite.textsafe import shown
from orgsite.tomltext import toml_value

ALLOWLIST_PATH = "members/allowlist.toml"
HANDLE_PATTERN = r"[a-z0-9][a-z0-9-]{0,31}"  # also the folder and key-file names of the layout
_HANDLE = re.compile(rf"{HANDLE_PATTERN}\Z")
_FINGERPRINT = re.compile(r"[0-9A-F]{40}\Z")
_FIELDS = {"handle", "name", "email", "role", "fingerprints", "ssh"}
MAX_SSH_KEYS = 16  # per member
MAX_PEERS = 50
COMMUNITY_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}\Z")  # how one community names another
COMMIT_ID = re.compile(r"[0-9a-f]{40}\Z")


# Names of the site's generated pages and folders (members/<handle>/ sits beside them), and a few
# that readers would take for the site's own: a member's page can never replace one of them.
RESERVED_HANDLES = frozenset(
    {"index", "feed", "page", "tags", "assets", "search", "members", "history", "commits", "membership", "posts",
     "404", "sitemap", "help", "about", "how", "static", "javascripts", "stylesheets", "orgsite", "site", "new",
     "all", "admin", "api", "login", "logout", "_orgsite"}
)  # fmt: skip


def handle_problem(handle: str) -> str | None:
    """Why `handle` cannot be a member's handle (None when it can): the pattern, or a reserved name."""
    if not _HANDLE.match(handle):
        return f"handle {shown(handle)} must be 1-32 of a-z, 0-9 and '-', starting with a letter or digit"
    if handle in RESERVED_HANDLES:
        return f"handle '{handle}' is reserved for the site's own pages; choose another"
    return None


def _one_line(value: object, field: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n\x00\x7f"):
        raise ConfigError(f"{where}: '{field}' must be a non-empty one-line string")
    return value


def _member(table: object, index: int) -> Member:
    where = f"{ALLOWLIST_PATH} [[member]] #{index}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: each member must be a [[member]] table")
    unknown = sorted(set(table) - _FIELDS)
    if unknown:
        allowed = ", ".join(sorted(_FIELDS))
        raise ConfigError(f"{where}: unknown field(s) {shown(', '.join(unknown))}; allowed: {allowed}")
    handle = _one_line(table.get("handle"), "handle", where)
    problem = handle_problem(handle)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    where = f"{ALLOWLIST_PATH} member '{handle}'"
    role = table.get("role")
    if role not in tuple(Role):
        raise ConfigError(f'{where}: role must be "operator" or "member", not {shown(role)}')
    fingerprints = table.get("fingerprints")
    if not isinstance(fingerprints, list) or not fingerprints:
        raise ConfigError(f"{where}: 'fingerprints' must be a non-empty list of 40-hex-digit fingerprints")
    normalised = []
    for fpr in fingerprints:
        fpr_text = fpr.replace(" ", "").upper() if isinstance(fpr, str) else ""
        if not _FINGERPRINT.match(fpr_text):
            raise ConfigError(f"{where}: {shown(fpr)} is not a 40-hex-digit OpenPGP fingerprint")
        normalised.append(fpr_text)
    ssh = _ssh_lines(table.get("ssh", []), where)
    return Member(
        handle=handle,
        name=_one_line(table.get("name"), "name", where),
        email=_one_line(table.get("email"), "email", where),
        role=Role(role),
        fingerprints=tuple(normalised),
        ssh=tuple(ssh),
    )


def _ssh_lines(ssh: object, where: str) -> tuple[str, ...]:
    if not isinstance(ssh, list) or len(ssh) > MAX_SSH_KEYS:
        raise ConfigError(f"{where}: 'ssh' must be a list of at most {MAX_SSH_KEYS} SSH public key lines")
    for line in ssh:
        try:
            parse_ssh_key(line)
        except ConfigError as e:
            raise ConfigError(f"{where}: {e}") from None
    return tuple(ssh)


def community_entry(table: object, where: str, fields: tuple[str, ...], whose: str) -> dict:
    """`table` as one entry naming another community ([[peer]], [[follow]], [[outbox]]): exactly
    `fields`, among them a `name` (1-32 of a-z, 0-9 and '-') and `whose` full `introduction` commit id;
    a ConfigError saying which field is wrong otherwise."""
    if not isinstance(table, dict) or sorted(table) != sorted(fields):
        raise ConfigError(f"{where}: needs exactly the fields {', '.join(fields)}")
    name, introduction = table["name"], table["introduction"]
    if not isinstance(name, str) or not COMMUNITY_NAME.match(name):
        raise ConfigError(f"{where}: name {shown(name)} must be 1-32 of a-z, 0-9 and '-'")
    if not isinstance(introduction, str) or not COMMIT_ID.match(introduction):
        raise ConfigError(f"{where}: introduction must be {whose} full introduction commit id (40 hex digits)")
    return table


def _peer(table: object, index: int) -> Peer:
    where = f"{ALLOWLIST_PATH} [[peer]] #{index}"
    entry = community_entry(table, where, ("name", "introduction", "ssh"), "the peer community's")
    name, introduction = entry["name"], entry["introduction"]
    ssh = _ssh_lines(entry["ssh"], where)
    if not ssh:
        raise ConfigError(f"{where}: 'ssh' must list the key its server fetches with")
    return Peer(name, introduction, ssh)


def parse_allowlist(text: str) -> Allowlist:
    """The allowlist in `text`; raises ConfigError unless it is well-formed, unique and has an operator."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{ALLOWLIST_PATH}: not valid TOML ({e})") from e
    extra = sorted(set(data) - {"member", "peer"})
    if extra:
        unknown = shown(", ".join(extra))
        why = f"unknown top-level key(s) {unknown}; only [[member]] and [[peer]] tables"
        raise ConfigError(f"{ALLOWLIST_PATH}: {why}")
    tables, peer_tables = data.get("member", []), data.get("peer", [])
    if not isinstance(tables, list) or not isinstance(peer_tables, list) or len(peer_tables) > MAX_PEERS:
        why = f"write members as [[member]] tables, and at most {MAX_PEERS} [[peer]] tables"
        raise ConfigError(f"{ALLOWLIST_PATH}: {why}")
    members = tuple(_member(t, i + 1) for i, t in enumerate(tables))
    peers = tuple(_peer(t, i + 1) for i, t in enumerate(peer_tables))
    if len({p.name for p in peers}) != len(peers):
        raise ConfigError(f"{ALLOWLIST_PATH}: a peer name is listed twice")
    seen_handles: set[str] = set()
    seen_fprs: set[str] = set()
    ssh_holders: dict[str, str] = {}
    for holder, lines in [*((m.handle, m.ssh) for m in members), *((f"peer {p.name}", p.ssh) for p in peers)]:
        for line in lines:
            key = parse_ssh_key(line)
            if key.line in ssh_holders:
                raise ConfigError(
                    f"{ALLOWLIST_PATH}: ssh key {key.fingerprint} is listed twice ('{ssh_holders[key.line]}' and "
                    f"'{holder}'); each SSH key opens the door for one member"
                )
            ssh_holders[key.line] = holder
    for m in members:
        if m.handle in seen_handles:
            raise ConfigError(f"{ALLOWLIST_PATH}: handle '{m.handle}' is listed twice")
        seen_handles.add(m.handle)
        for fpr in m.fingerprints:
            if fpr in seen_fprs:
                raise ConfigError(f"{ALLOWLIST_PATH}: fingerprint {fpr} is listed twice")
            seen_fprs.add(fpr)
    if not any(m.is_operator for m in members):
        raise ConfigError(f'{ALLOWLIST_PATH}: no operator is left; at least one member must have role "operator"')
    return Allowlist(members, peers)


def render_allowlist(allowlist: Allowlist) -> str:
    """The TOML text of `allowlist`, in the layout of design §2."""
    blocks = []
    for m in allowlist.members:
        blocks.append(
            "[[member]]\n"
            f"handle = {toml_value(m.handle)}\n"
            f"name = {toml_value(m.name)}\n"
            f"email = {toml_value(m.email)}\n"
            f"role = {toml_value(m.role)}\n"
            f"fingerprints = {toml_value(list(m.fingerprints))}\n"
            + (f"ssh = {toml_value(list(m.ssh))}\n" if m.ssh else "")
        )
    for p in allowlist.peers:
        blocks.append(f"[[peer]]\nname = {toml_value(p.name)}\nintroduction = {toml_value(p.introduction)}\n"
                      f"ssh = {toml_value(list(p.ssh))}\n")  # fmt: skip
    return "\n".join(blocks)
