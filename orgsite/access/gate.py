"""The git door's decision for one SSH connection: which git service on which path, and whether the
member behind the key may still come in. Pure: the request and the allowlist in, a verdict out."""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass

from orgsite.model import Allowlist
from orgsite.sshkeys import parse_ssh_key

FETCH = "git-upload-pack"
GIT_SERVICES = (FETCH, "git-receive-pack")


class Refused(Exception):
    """The connection may not go on; the message is the one line the member sees."""


@dataclass(frozen=True)
class GitRequest:
    """A git client's request: the service (fetch or push) and the path it asked for, as given."""

    service: str
    path: str

    def resolved(self, home: str) -> str:
        """The asked path made absolute as sshd's session sees it: relative paths start at home."""
        path = self.path
        if path == "~" or path.startswith("~/"):
            path = home + path[1:]
        return posixpath.normpath(posixpath.join(home, path))


def parse_request(original_command: str | None) -> GitRequest:
    """The git request in sshd's SSH_ORIGINAL_COMMAND; raises Refused for anything else (a shell, any
    other command, git-upload-archive)."""
    if not original_command:
        raise Refused("this key only fetches and pushes the community with git; there is no shell here")
    try:
        words = shlex.split(original_command)
    except ValueError:
        raise Refused("the command is not a git fetch or push; this key only runs git") from None
    if len(words) == 3 and words[0] == "git":  # `git upload-pack PATH`, as some clients send it
        words = [f"git-{words[1]}", words[2]]
    if len(words) != 2 or words[0] not in GIT_SERVICES:
        shown = (words[0] if words else "")[:40]
        raise Refused(f"'{shown}' is not allowed; this key only fetches and pushes the community with git")
    return GitRequest(words[0], words[1])


def door_problem(allowlist: Allowlist | None, handle: str, key_fingerprint: str, service: str) -> str | None:
    """Why the member `handle` (or the peer community `peer:<name>`), connecting with the SSH key
    `key_fingerprint` for `service`, may not come in (None when they may): listed now, with that
    key; a peer only to fetch."""
    if allowlist is None:
        return "the community's allowlist cannot be read at its branch tip; ask an operator to fix it"
    if handle.startswith("peer:"):
        return _peer_problem(allowlist, handle.removeprefix("peer:"), key_fingerprint, service)
    member = allowlist.by_handle(handle)
    if member is None:
        return f"'{handle}' is not a member of this community (any more); ask an operator"
    if key_fingerprint not in {parse_ssh_key(line).fingerprint for line in member.ssh}:
        return f"this SSH key ({key_fingerprint}) is no longer listed for '{handle}'; ask an operator to add it"
    return None


def _peer_problem(allowlist: Allowlist, name: str, key_fingerprint: str, service: str) -> str | None:
    peer = allowlist.peer(name)
    if peer is None:
        return f"the community '{name}' is no longer granted read access here; ask this community's operators"
    if key_fingerprint not in {parse_ssh_key(line).fingerprint for line in peer.ssh}:
        return f"this SSH key ({key_fingerprint}) is no longer listed for the peer '{name}'"
    if service != FETCH:
        return f"the peer '{name}' may only fetch; pushing is for members"
    return None
