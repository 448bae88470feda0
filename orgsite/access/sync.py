"""Keeping an `authorized_keys` file in step with the allowlist at the branch tip: the one writer of it."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from orgsite.access.authorized_keys import key_lines, splice
from orgsite.errors import ConfigError, OrgsiteError
from orgsite.hookfiles import install_hooks
from orgsite.locks import held
from orgsite.repo import AUTHORIZED_KEYS_KEY, CommunityRepo
from orgsite.snapshot import Snapshots


def current_key_lines(repo: CommunityRepo) -> list[str]:
    """The forced-command lines for every SSH key of every member listed at the branch tip."""
    snapshots = Snapshots(repo)
    tip = repo.branch_tip(snapshots.branch())
    allowlist = snapshots.allowlist(tip) if tip else None
    if allowlist is None:
        raise OrgsiteError(f"{repo.git_dir}: no readable allowlist at the branch tip; nobody can be let in")
    return key_lines(allowlist, python=sys.executable, repo=str(repo.git_dir))


def sync_authorized_keys(repo: CommunityRepo, path: Path) -> int:
    """Write the members' keys into `path` between this repository's markers, keeping every other
    line; returns how many keys it holds. The file is replaced whole (never half-written), and not
    at all when someone changed it while this ran."""
    lines = current_key_lines(repo)
    path = path.absolute()
    if not path.parent.is_dir():
        raise OrgsiteError(f"{path.parent} does not exist; create it (mode 700) first")
    with _locked(path):
        before = _read(path)
        try:
            after = splice(before.decode("utf-8", errors="strict"), str(repo.git_dir), lines)
        except UnicodeDecodeError:
            raise OrgsiteError(f"{path} is not UTF-8 text; fix it by hand, then sync again") from None
        except ConfigError as e:
            raise OrgsiteError(f"{path}: {e}") from None
        if after.encode() == before:
            return len(lines)
        handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(after.encode())
                out.flush()
                os.fsync(out.fileno())
            if path.exists():
                os.chmod(scratch, path.stat().st_mode & 0o777)
            if _read(path) != before:  # an operator's editor, say: never overwrite what we did not read
                raise OrgsiteError(f"{path} changed while orgsite was writing it; nothing was written, sync again")
            os.replace(scratch, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(scratch)
    return len(lines)


def enable_access(repo: CommunityRepo, path: Path) -> int:
    """Keep `path` in step after every accepted push that changes the membership (the post-receive
    hook), and sync it once now; how many keys it holds."""
    if repo.work_dir is not None:
        raise OrgsiteError(f"{repo.git_dir} is a clone; give the server's bare repository")
    count = sync_authorized_keys(repo, path)
    repo.config_set(AUTHORIZED_KEYS_KEY, str(path.absolute()))
    install_hooks(repo.git_dir, ("post-receive",))
    return count


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as e:
        raise OrgsiteError(f"cannot read {path}: {e.strerror}") from e


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One orgsite writer of `path` at a time (two pushes at once each sync)."""
    with held(path.with_name(f".{path.name}.orgsite-lock")):
        yield
