"""A person's clone of the community, as the commands that commit in it see it: the checkout, its
HEAD, the allowlist there, and the member whose key signs here."""

from __future__ import annotations

from pathlib import Path

from orgsite.allowlist import ALLOWLIST_PATH, parse_allowlist
from orgsite.content import COMMUNITY_PATH, parse_community
from orgsite.errors import OrgsiteError
from orgsite.gitcmd import commit_paths_signed, config_value, push
from orgsite.gpg import KeyInfo, UserKeys
from orgsite.model import Allowlist, Community, Member, short_id
from orgsite.repo import CommunityRepo


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
        data = self.repo.read(head, ALLOWLIST_PATH)
        if data is None:
            raise OrgsiteError(f"{work} has no {ALLOWLIST_PATH}: is this an orgsite community?")
        self.allowlist: Allowlist = parse_allowlist(data.decode("utf-8"))
        spec = signing_key or config_value(work, "user.signingkey")
        if not spec:
            raise OrgsiteError("no signing key: pass --key FINGERPRINT or set `git config user.signingkey`")
        self.key: KeyInfo = UserKeys().secret_key(spec)
        self.member: Member | None = self.allowlist.by_fingerprint(self.key.fingerprint)

    def community(self) -> Community:
        """The community's settings at HEAD."""
        data = self.repo.read(self.head, COMMUNITY_PATH)
        return parse_community(data.decode("utf-8")) if data else Community(name="community")

    def read(self, path: str) -> bytes | None:
        """A file as it is in the checkout, else as HEAD has it."""
        local = self.work / path
        return local.read_bytes() if local.is_file() else self.repo.read(self.head, path)

    def commit(self, paths: list[str], message: str, *, push_now: bool) -> str:
        """Commit `paths` (as they are in the checkout) signed with this clone's key, push if asked;
        returns what to tell the user."""
        commit = commit_paths_signed(self.work, paths, message, key=self.key.fingerprint)
        done = f"{message}: committed {short_id(commit)} ({', '.join(paths)})"
        if push_now:
            return f"{done} and pushed.\n{push(self.work, key=self.key.fingerprint)}"
        return f"{done}, signed by {self.key.fingerprint}.\nNext: git push"
