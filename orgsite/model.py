"""Plain, frozen records shared by the rules, the wrappers and the commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")

GITLINK_MODE = 0o160000  # a submodule's entry in a git tree
SYMLINK_MODE = 0o120000


def short_id(commit: str) -> str:
    """The abbreviated commit id every message and page shows."""
    return commit[:7]


class Role(StrEnum):
    """What a member may change: operators any path, members only their own folder under posts/."""

    OPERATOR = "operator"
    MEMBER = "member"


@dataclass(frozen=True)
class Member:
    """One allowlist entry: who may sign, with which keys, in which role."""

    handle: str
    name: str
    email: str
    role: Role
    fingerprints: tuple[str, ...]
    ssh: tuple[str, ...] = ()  # SSH public key lines that open the git door over SSH (design §7)

    @property
    def is_operator(self) -> bool:
        """True for operators, who may change any path."""
        return self.role is Role.OPERATOR


@dataclass(frozen=True)
class Peer:
    """Another community granted read access (allowlist `[[peer]]`): its name, its introduction, and
    the SSH keys its server fetches with. A peer may fetch; it never pushes."""

    name: str
    introduction: str
    ssh: tuple[str, ...]


@dataclass(frozen=True)
class Allowlist:
    """The members of a community as one commit's `members/allowlist.toml` lists them, and its peers."""

    members: tuple[Member, ...]
    peers: tuple[Peer, ...] = ()

    def peer(self, name: str) -> Peer | None:
        """The peer community granted read access under `name`, if any."""
        return next((p for p in self.peers if p.name == name), None)

    def by_fingerprint(self, fingerprint: str) -> Member | None:
        """The member who lists this primary fingerprint, if any."""
        wanted = fingerprint.upper()
        return next((m for m in self.members if wanted in m.fingerprints), None)

    def by_handle(self, handle: str) -> Member | None:
        """The member with this handle, if any."""
        return next((m for m in self.members if m.handle == handle), None)


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A community file as parsed: its value, or why it cannot be parsed (both None when it is missing)."""

    value: T | None
    error: str | None = None

    @property
    def missing(self) -> bool:
        """True when there is no such file."""
        return self.value is None and self.error is None


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
class Follow:
    """A neighbour this community follows (community.toml `[[follow]]`): where to fetch it, and the
    root it is checked from: its introduction commit and the fingerprint that signed it."""

    name: str
    url: str
    introduction: str
    introducer: str


@dataclass(frozen=True)
class Community:
    """The community's settings (community.toml)."""

    name: str
    description: str = ""
    language: str = "en"
    branch: str = "main"
    limits: Limits = field(default_factory=Limits)
    url: str = ""  # where readers find the site (https://…/), for absolute links in feeds
    follows: tuple[Follow, ...] = ()
    outboxes: tuple[tuple[str, str], ...] = ()  # (name, introduction) of the outboxes it made for neighbours

    def follow(self, name: str) -> Follow | None:
        """The followed neighbour called `name`, if any."""
        return next((f for f in self.follows if f.name == name), None)


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


class Rule(StrEnum):
    """Which of the community's rules a problem breaks (design §3)."""

    SIGNATURE = "signature"  # unsigned, bad, revoked, weak digest, several signatures, expired when made
    UNAUTHORIZED = "unauthorized"  # the signing key is not on the allowlist that judges the commit
    ROLE = "role"  # a member changed a path outside their own folder
    LAYOUT = "layout"  # a path, mode or tree the repository contract does not allow
    SIZE = "size"  # one file or one commit over the community's limits
    CONTENT = "content"  # a post, key, allowlist or community.toml that does not parse or holds what it may not
    ROOT = "root"  # history that does not start at the introduction, or an introduction without members
    MERGE = "merge"  # a merge the rules do not accept (octopus)
    REF = "ref"  # a ref update other than moving the community branch forward
    PUSH_BOUND = "push bound"  # a push over the community's bounds
    EXPIRED = "expired"  # the key or signature has expired by the time of the push


@dataclass(frozen=True)
class Problem:
    """One broken rule: which rule, what is wrong, and where (a commit, a ref or the whole push; a path)."""

    rule: Rule
    message: str
    commit: str | None = None  # the full id of the commit the problem is about
    path: str | None = None
    ref: str | None = None  # the ref (or branch) when the problem is about a ref, not a commit

    @property
    def where(self) -> str:
        """The commit's short id, else the ref, else "push"."""
        if self.commit:
            return short_id(self.commit)
        return self.ref or "push"

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
