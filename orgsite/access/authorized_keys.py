"""The git door's key file: one forced-command line per member's SSH key, kept between markers in an
`authorized_keys` file that may hold other lines too. Pure: allowlist and text in, text out."""

from __future__ import annotations

import re

from orgsite.errors import ConfigError
from orgsite.model import Allowlist
from orgsite.sshkeys import parse_ssh_key

# Paths that need no quoting in a shell command nor in sshd's command="…" option: anything else is
# refused rather than quoted twice (a stray quote would open the shell to whoever holds a key).
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9_@%+=:,./-]*\Z")


def plain_path(path: str, what: str) -> str:
    """`path` when it is absolute and made of characters that need no quoting; raises ConfigError otherwise."""
    if not _PLAIN_PATH.match(path):
        raise ConfigError(
            f"{what} {path!r} must be an absolute path of letters, digits and _@%+=:,./- only, "
            "since it goes into the forced command of every SSH key; move it or link it"
        )
    return path


def begin_marker(repo: str) -> str:
    """The line that opens this repository's block."""
    return f"# orgsite begin {repo}"


def end_marker(repo: str) -> str:
    """The line that closes this repository's block."""
    return f"# orgsite end {repo}"


def forced_command(python: str, repo: str, handle: str, key_fingerprint: str) -> str:
    """What sshd runs for one member's key, whatever the member asked for."""
    return f"{python} -P -m orgsite shell {repo} {handle} --key {key_fingerprint}"


def key_lines(allowlist: Allowlist, *, python: str, repo: str) -> list[str]:
    """One `authorized_keys` line per SSH key of every member and peer listed now: the key may only
    run `orgsite shell` for this repository and this member or peer (`restrict`: no forwarding, no pty)."""
    plain_path(python, "the Python interpreter")
    plain_path(repo, "the repository")
    lines = []
    holders = [*((m.handle, m.ssh) for m in allowlist.members),
               *((peer_handle(p.name), p.ssh) for p in allowlist.peers)]  # fmt: skip
    for holder, texts in holders:
        for text in texts:
            key = parse_ssh_key(text)
            command = forced_command(python, repo, holder, key.fingerprint)
            lines.append(f'restrict,command="{command}" {key.line} orgsite:{holder}')
    return lines


def peer_handle(name: str) -> str:
    """How `orgsite shell` names a peer community (a member's handle never has a ':')."""
    return f"peer:{name}"


def splice(existing: str, repo: str, lines: list[str]) -> str:
    """`existing` with this repository's block (between its markers) replaced by `lines`, every other
    line kept as it was; the block is appended when the file has none. Raises ConfigError when the
    markers are broken, rather than guess which lines are orgsite's."""
    begin, end = begin_marker(repo), end_marker(repo)
    rows = existing.splitlines()
    begins = [n for n, row in enumerate(rows) if row == begin]
    ends = [n for n, row in enumerate(rows) if row == end]
    block = [begin, *lines, end]
    if not begins and not ends:
        kept = rows
        return "\n".join([*kept, *block]) + "\n"
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        where = (begins or ends)[0] + 1
        raise ConfigError(
            f"the orgsite markers for {repo} are broken near line {where} (one '{begin}' then one '{end}' "
            "expected); fix the file by hand, then sync again"
        )
    return "\n".join([*rows[: begins[0]], *block, *rows[ends[0] + 1 :]]) + "\n"
