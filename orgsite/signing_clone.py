"""A person's clone of the community, as the commands that commit in it see it: the checkout, its
HEAD, the allowlist there, and the member whose key signs here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orgsite.errors import OrgsiteError
from orgsite.gitcmd import commit_paths_signed, config_value, push
from orgsite.gpg import KeyInfo, UserKeys
from orgsite.model import Allowlist, Community, Member
from orgsite.repo import CommunityRepo
from orgsite.snapshot import Snapshots, required_allowlist


@dataclass(frozen=True)
class Committed:
    """A signed commit made in a clone, and what `git push` printed when it was pushed right away."""

    message: str
    commit: str
    paths: tuple[str, ...]
    signer: str
    pushed: str | None = None


class SigningClone:
    """A clone with commits, an allowlist at HEAD, and a usable signing key (`--key` or user.signingkey)."""

    def __init__(self, repo_dir: Path, signing_key: str | None) -> None:
        self.repo = CommunityRepo(repo_dir)
        work = self.repo.work_dir
        if work is None:
            raise OrgsiteError(f"{repo_dir} is a bare repository; run this in a clone (git clone {repo_dir})")
        self.work: Path = work
        head = self.repo.head()
        if head is None:
            raise OrgsiteError(f"{work} has no commits; clone the community repository first")
        self.head: str = head
        self.snapshots = Snapshots(self.repo)
        self.allowlist: Allowlist = required_allowlist(self.snapshots, head, work)
        spec = signing_key or config_value(work, "user.signingkey")
        if not spec:
            raise OrgsiteError("no signing key: pass --key FINGERPRINT or set `git config user.signingkey`")
        self.key: KeyInfo = UserKeys().secret_key(spec)
        self.member: Member | None = self.allowlist.by_fingerprint(self.key.fingerprint)

    def community(self) -> Community:
        """The community's settings at HEAD (the defaults when community.toml is missing or malformed)."""
        return self.snapshots.community(self.head)

    def read(self, path: str) -> bytes | None:
        """A file as it is in the checkout, else as HEAD has it."""
        local = self.work / path
        return local.read_bytes() if local.is_file() else self.repo.read(self.head, path)

    def commit(self, paths: list[str], message: str, *, push_now: bool) -> Committed:
        """Commit `paths` (as they are in the checkout) signed with this clone's key, and push if asked."""
        commit = commit_paths_signed(self.work, paths, message, key=self.key.fingerprint)
        pushed = push(self.work, key=self.key.fingerprint) if push_now else None
        return Committed(message, commit, tuple(paths), self.key.fingerprint, pushed)
