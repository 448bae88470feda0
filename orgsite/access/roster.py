"""Who is a member right now: the allowlist at the community branch's tip, re-read when the tip moves,
and signatures checked with the keys in `members/keys/` at that tip (the hook's own keyrings)."""

from __future__ import annotations

import threading
from pathlib import Path

from orgsite.keyring import cached_keyring
from orgsite.model import Allowlist, Member, SignatureCheck
from orgsite.repo import CommunityRepo
from orgsite.snapshot import Snapshots
from orgsite.verify import KEYRINGS_DIR


class Roster:
    """The members listed at the branch tip, for a long-running server: every question reads the tip
    again (a ref lookup), so a removal counts from the next question on."""

    def __init__(self, repo_path: Path) -> None:
        self._repo = CommunityRepo(repo_path)
        self._snapshots = Snapshots(self._repo)
        self._branch = self._snapshots.branch()
        self._lock = threading.Lock()  # one libgit2 repository object, many server threads

    @property
    def repo(self) -> CommunityRepo:
        """The community repository."""
        return self._repo

    def _tip(self) -> str | None:
        return self._repo.branch_tip(self._branch)

    def allowlist(self) -> Allowlist | None:
        """The allowlist at the tip now (None when it cannot be read: then nobody is let in)."""
        with self._lock:
            tip = self._tip()
            return self._snapshots.allowlist(tip) if tip else None

    def member(self, fingerprint: str) -> Member | None:
        """The member listing this primary key fingerprint at the tip now, if any."""
        allowlist = self.allowlist()
        return allowlist.by_fingerprint(fingerprint) if allowlist else None

    def check_signature(self, signature: bytes, payload: bytes) -> SignatureCheck | None:
        """What gpg says of a detached signature, with exactly the members' keys at the tip (None when
        there is no tip)."""
        with self._lock:
            tip = self._tip()
            if tip is None:
                return None
            key_set = self._snapshots.key_set(tip)
            keyring = cached_keyring(
                self._repo.cache_dir / KEYRINGS_DIR, key_set, lambda: self._snapshots.key_blocks(tip)
            )
        return keyring.verify(signature, payload)
