"""`orgsite access sync|keys|enable`: the git door's SSH keys, from the allowlist at the branch tip."""

from __future__ import annotations

from pathlib import Path

from orgsite.access.sync import current_key_lines, enable_access, sync_authorized_keys
from orgsite.errors import OrgsiteError
from orgsite.repo import CommunityRepo


def _bare(repo_path: Path) -> CommunityRepo:
    repo = CommunityRepo(repo_path)
    if repo.work_dir is not None:
        raise OrgsiteError(f"{repo_path} is a clone; give the server's bare repository")
    return repo


def sync(repo_path: Path, authorized_keys: Path) -> int:
    """Write the members' SSH keys into `authorized_keys` now; how many keys it holds."""
    return sync_authorized_keys(_bare(repo_path), authorized_keys)


def keys(repo_path: Path) -> list[str]:
    """The forced-command lines, for sshd's AuthorizedKeysCommand."""
    return current_key_lines(_bare(repo_path))


def enable(repo_path: Path, authorized_keys: Path) -> int:
    """Keep `authorized_keys` in step after every push that changes the membership; how many keys it holds."""
    return enable_access(CommunityRepo(repo_path), authorized_keys)
