"""`orgsite member add|remove`: change the membership, as one commit signed by an operator."""

from __future__ import annotations

from pathlib import Path

from orgsite.membership import add_member, invite_member, remove_member
from orgsite.model import Role
from orgsite.signing_clone import Committed


def add(
    repo_dir: Path,
    handle: str,
    key_file: Path,
    *,
    role: Role,
    ssh_key_files: tuple[Path, ...],
    signing_key: str | None,
    push_now: bool,
) -> Committed:
    """Add `handle` with the public key in `key_file` (and SSH keys) in the clone `repo_dir`."""
    return add_member(repo_dir, handle, key_file, role=role, ssh_key_files=ssh_key_files, signing_key=signing_key,
                      push_now=push_now)  # fmt: skip


def remove(repo_dir: Path, handle: str, *, signing_key: str | None, push_now: bool) -> Committed:
    """Remove `handle` (their past posts stay) in the clone `repo_dir`."""
    return remove_member(repo_dir, handle, signing_key=signing_key, push_now=push_now)


def invite(repo_dir: Path, handle: str, *, site: str | None, hours: int, signing_key: str | None) -> str:
    """A single-use invitation link for `handle`, signed by the operator of the clone `repo_dir`."""
    return invite_member(repo_dir, handle, site=site, hours=hours, signing_key=signing_key)
