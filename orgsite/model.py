"""Plain, frozen records shared by the rules, the wrappers and the commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

GITLINK_MODE = 0o160000  # a submodule's entry in a git tree
SYMLINK_MODE = 0o120000


def short_id(commit: str) -> str:
    """The abbreviated commit id every message and page shows."""
    return commit[:7]


@dataclass(frozen=True)
class Member:
    """One allowlist entry: who may sign, with which keys, in which role."""

    handle: str
    name: str
    email: str
    role: str
    fingerprints: tuple[str, ...]

    @property
    def is_operator(self) -> bool:
        """True for operators, who may change any path."""
        return self.role == "operator"


@dataclass(frozen=True)
class Allowlist:
    """The members of a community as one commit's `members/allowlist.toml` lists them."""

    members: tuple[Member, ...]

    def by_fingerprint(self, fingerprint: str) -> Member | None:
        """The member who lists this primary fingerprint, if any."""
        wanted = fingerprint.upper()
        return next((m for m in self.members if wanted in m.fingerprints), None)

    def by_handle(self, handle: str) -> Member | None:
        """The member with this handle, if any."""
        return next((m for m in self.members if m.handle == handle), None)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one file and one push may hold (from community.toml)."""

    max_file_bytes: int = 1024 * 1024
    max_push_commits: int = 1000
    max_push_bytes: int = 100 * 1024 * 1024
    max_commit_files: int = 1000
    max_push_files: int = 10_000
    max_post_bytes: int = 256 * 1024
    max_push_post_bytes: int = 2 * 1024 * 1024


@dataclass(frozen=True)
class Community:
    """The community's settings (community.toml)."""

    name: str
    description: str = ""
    language: str = "en"
    branch: str = "main"
    limits: Limits = field(default_factory=Limits)
    url: str = ""  # where readers find the site (https://…/), for absolute links in feeds


class SignatureStatus(Enum):
    """What gpg made of a commit's signature, before any allowlist is consulted."""

    GOOD = "good"
    GOOD_KEY_EXPIRED = "good, key now expired"
    BAD = "bad signature (the commit was altered after signing, or the signature is broken)"
    REVOKED = "made by a revoked key"
    GOOD_SIGNATURE_EXPIRED = "good, signature now expired"  # valid when made; judged at push by expiry_problem
    UNKNOWN_KEY = "made by a key that is not in the community's keyring"
    UNCHECKABLE = "gpg cannot check this signature"


@dataclass(frozen=True)
class SignatureCheck:
    """Facts gpg established about one signature over one payload."""

    status: SignatureStatus
    primary_fingerprint: str | None = None
    signed_at: int | None = None
    key_expires_at: int | None = None
    hash_algorithm: int | None = None
    signature_expires_at: int | None = None
    signature_count: int = 1
    detail: str = ""


@dataclass(frozen=True)
class Version:
    """One version of a file in a tree: its blob, its mode and its size in bytes."""

    blob: str
    mode: int
    size: int


@dataclass(frozen=True)
class MergePath:
    """One path of a two-parent merge: its version at each merge base, in each parent, and in the result.

    None stands for "absent". What the merge itself wrote is decided from these (policy.merge_changes).
    """

    path: str
    bases: tuple[Version | None, ...]
    sides: tuple[Version | None, Version | None]
    result: Version | None


@dataclass(frozen=True)
class Change:
    """One path a commit adds, modifies or deletes (against every parent, for merges)."""

    path: str
    deleted: bool
    mode: int = 0
    size: int = 0
    blob: str | None = None


@dataclass(frozen=True)
class Problem:
    """One broken rule: which commit (or ref), which path, what is wrong."""

    where: str
    message: str
    path: str | None = None

    def __str__(self) -> str:
        if self.path:
            path = self.path if len(self.path) <= 200 else self.path[:200] + "…"  # git allows 4 KiB paths
            return f"{self.where} {path}: {self.message}"
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Verdict:
    """The trust core's judgement of one commit."""

    commit: str
    signer: str | None
    handle: str | None
    signed_at: int | None
    key_expires_at: int | None
    problems: tuple[Problem, ...]
    # What judging at push time depends on, kept with the verdict so a cached verdict and a fresh one agree.
    signature_expires_at: int | None = None

    @property
    def accepted(self) -> bool:
        """True when the commit breaks no rule."""
        return not self.problems
