"""Changing the membership: the allowlist and key files in a clone, as one commit signed by an operator."""

from __future__ import annotations

from pathlib import Path

from orgsite import policy
from orgsite.access.client import invitation_link
from orgsite.allowlist import ALLOWLIST_PATH, handle_problem, parse_allowlist, render_allowlist
from orgsite.content import KEYS_DIR, check_key_file, key_path
from orgsite.errors import ConfigError, OrgsiteError
from orgsite.gitcmd import git
from orgsite.gpg import KeyInfo, key_infos
from orgsite.keylisting import KeyFile
from orgsite.keyring import key_file_facts
from orgsite.model import Allowlist, Member, Role
from orgsite.signing_clone import Committed, SigningClone
from orgsite.sshkeys import parse_ssh_key


class _Clone(SigningClone):
    """A community clone about to receive an allowlist change from an operator."""

    def __init__(self, repo_dir: Path, signing_key: str | None) -> None:
        super().__init__(repo_dir, signing_key)
        if self.member is None or not self.member.is_operator:
            raise OrgsiteError(
                f"key {self.key.fingerprint} is not an operator's key in {ALLOWLIST_PATH}; "
                "only operators change the membership (the server would refuse this commit)"
            )
        if git("status", "--porcelain", "--", "members", cwd=self.work).stdout.strip():
            raise OrgsiteError(f"{self.work}/members has uncommitted changes; commit or discard them first")

    def commit_allowlist(self, allowlist: Allowlist, key_file: str, message: str, *, push_now: bool) -> Committed:
        """Write `allowlist`, commit it with `key_file` (added or removed) signed, push if asked."""
        (self.work / ALLOWLIST_PATH).write_text(render_allowlist(allowlist))
        return self.commit([ALLOWLIST_PATH, key_file], message, push_now=push_now)


def _ssh_key_lines(path: Path) -> list[str]:
    """The SSH public keys in a `.pub` or `authorized_keys`-style file, one per line, each checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise OrgsiteError(f"cannot read SSH key file {path}: {getattr(e, 'strerror', None) or e}") from e
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise OrgsiteError(f"{path} holds no SSH public key; give the member's .pub file (ssh-keygen -y shows it)")
    for number, line in enumerate(lines, start=1):
        try:
            parse_ssh_key(line)
        except ConfigError as e:
            raise OrgsiteError(f"{path} line {number}: {e}") from None
    return lines


def _new_member_key(key_file: Path, path: str, listed: dict[str, KeyFile]) -> tuple[bytes, KeyInfo]:
    try:
        data = key_file.read_bytes()
    except OSError as e:
        raise OrgsiteError(f"cannot read key file {key_file}: {e.strerror}") from e
    try:
        check_key_file(data)
    except OrgsiteError as e:
        raise OrgsiteError(f"{key_file} {e}; export it with `gpg --armor --export FINGERPRINT`") from e
    facts = key_file_facts(data)
    # The hook's own rule: exactly one primary key, sharing no key with any listed member's file.
    problems = policy.key_material_problems("", path, {**listed, path: facts})
    if problems:
        raise OrgsiteError(f"{key_file}: {problems[0].message}; ask the member to export only their own key")
    [key] = key_infos(facts)
    if key.revoked:
        raise OrgsiteError(f"{key_file}: key {key.fingerprint} is revoked; ask the member for a current key")
    if key.expired:
        raise OrgsiteError(f"{key_file}: key {key.fingerprint} has expired; ask the member to extend it")
    return data, key


def add_member(
    repo_dir: Path,
    handle: str,
    key_file: Path,
    *,
    role: Role = Role.MEMBER,
    ssh_key_files: tuple[Path, ...] = (),
    signing_key: str | None = None,
    push_now: bool = False,
) -> Committed:
    """Add `handle` with the OpenPGP public key in `key_file` (and the SSH public keys in
    `ssh_key_files`, which open the git door over SSH), as one signed commit."""
    problem = handle_problem(handle)
    if problem:
        raise OrgsiteError(problem)
    ssh = tuple(line for path in ssh_key_files for line in _ssh_key_lines(path))
    clone = _Clone(repo_dir, signing_key)
    if clone.allowlist.by_handle(handle):
        raise OrgsiteError(f"handle '{handle}' is already on the allowlist; choose another handle")
    listed = {
        f"{KEYS_DIR}/{path.name}": key_file_facts(path.read_bytes())
        for path in sorted((clone.work / KEYS_DIR).glob("*.asc"))
        if path.name != f"{handle}.asc"
    }
    data, key = _new_member_key(key_file, key_path(handle), listed)
    holder = clone.allowlist.by_fingerprint(key.fingerprint)
    if holder:
        raise OrgsiteError(f"key {key.fingerprint} is already listed for '{holder.handle}'")
    former = clone.snapshots.ever_listed(clone.head).get(handle)
    if former is not None and key.fingerprint not in former:
        raise OrgsiteError(f"handle '{handle}' belonged to a former member; handles are never reused, pick another")
    name, email = key.name_and_email()
    member = Member(handle, name, email, role, (key.fingerprint,), ssh)
    allowlist = Allowlist((*clone.allowlist.members, member))
    try:  # the hook's own check of the new allowlist (an SSH key already listed, say), before writing anything
        parse_allowlist(render_allowlist(allowlist))
    except ConfigError as e:
        raise OrgsiteError(f"{e}; nothing was committed") from None
    (clone.work / key_path(handle)).parent.mkdir(parents=True, exist_ok=True)
    (clone.work / key_path(handle)).write_bytes(data)
    return clone.commit_allowlist(allowlist, key_path(handle), f"Add {role} {handle} ({name})", push_now=push_now)


def remove_member(repo_dir: Path, handle: str, *, signing_key: str | None = None, push_now: bool = False) -> Committed:
    """Remove `handle` from the allowlist (their past posts stay), as one signed commit."""
    clone = _Clone(repo_dir, signing_key)
    member = clone.allowlist.by_handle(handle)
    if member is None:
        raise OrgsiteError(f"'{handle}' is not on the allowlist; see {ALLOWLIST_PATH}")
    remaining = tuple(m for m in clone.allowlist.members if m.handle != handle)
    if not any(m.is_operator for m in remaining):
        raise OrgsiteError(f"'{handle}' is the last operator; add another operator before removing them")
    (clone.work / key_path(handle)).unlink(missing_ok=True)
    return clone.commit_allowlist(
        Allowlist(remaining), key_path(handle), f"Remove {member.role} {handle}", push_now=push_now
    )


def invite_member(repo_dir: Path, handle: str, *, site: str | None, hours: int, signing_key: str | None) -> str:
    """A single-use, time-limited sign-in link for the listed member `handle`, signed by the operator
    whose clone this is (the door honours it only while they are an operator and `handle` is listed)."""
    clone = SigningClone(repo_dir, signing_key)
    if clone.member is None or not clone.member.is_operator:
        raise OrgsiteError(f"key {clone.key.fingerprint} is not an operator's key in {ALLOWLIST_PATH}; "
                           "only operators invite")  # fmt: skip
    if clone.allowlist.by_handle(handle) is None:
        raise OrgsiteError(f"'{handle}' is not on the allowlist here; add them first (orgsite member add), then pull")
    address = site or clone.community().url
    if not address:
        raise OrgsiteError("pass --site https://… (the site's address), or set url in community.toml")
    return invitation_link(address, clone.key.fingerprint, handle, hours=hours)
