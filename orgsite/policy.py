"""The community's rules (design §3) as pure decisions: facts in, problems out. No I/O here.

Every caller (the pre-receive hook, `orgsite verify`, the site) goes through these functions,
so a rule lives in exactly one place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from orgsite.allowlist import ALLOWLIST_PATH, parse_allowlist
from orgsite.commitsig import NOT_SIGNED
from orgsite.content import check_key_file, classify_path, key_path, parse_community, parse_post
from orgsite.errors import OrgsiteError
from orgsite.keylisting import KeyFile
from orgsite.model import (
    GITLINK_MODE,
    SYMLINK_MODE,
    Allowlist,
    Change,
    Limits,
    Member,
    MergePath,
    Problem,
    SignatureCheck,
    SignatureStatus,
    Verdict,
    Version,
    short_id,
)

# OpenPGP hash algorithm ids (RFC 4880 §9.4) that no longer resist collisions: MD5, SHA-1, RIPEMD-160.
WEAK_DIGESTS = {1: "MD5", 2: "SHA-1", 3: "RIPEMD-160"}



@dataclass(frozen=True)
class ParentView:
    """How a commit looks from one parent: that parent's allowlist and gpg's verdict with its keyring."""

    parent: str
    allowlist: Allowlist | None
    signature: SignatureCheck


_CONFLICT = object()  # no clean outcome: both sides changed a path differently since the merge base


def _clean_outcome(base: Version | None, ours: Version | None, theirs: Version | None) -> object:
    """What git's three-way merge gives for one path against one base, or _CONFLICT."""
    if ours == theirs:
        return ours
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    return _CONFLICT


def merge_wrote(path: MergePath) -> bool:
    """True when a merge's result at this path is the merger's own change, not git's clean outcome.

    Clean means: the version of the side that changed the path since the merge base (unchanged where
    neither did), against every merge base (criss-cross merges have several). Reverting one side's
    change, resurrecting a deleted file or taking an older version is therefore the merger's own
    change: this is what stops a merge with an old commit from rolling the community back.
    """
    bases = path.bases or (None,)  # no common history: everything is new on both sides
    return any(_clean_outcome(base, *path.sides) != path.result for base in bases)


def merge_changes(paths: Sequence[MergePath]) -> list[Change]:
    """The changes a two-parent merge makes itself (judged by its signer's role), in path order."""
    changes = []
    for merge_path in sorted(paths, key=lambda p: p.path):
        if not merge_wrote(merge_path):
            continue
        result = merge_path.result
        if result is None:
            changes.append(Change(merge_path.path, deleted=True))
        else:
            changes.append(Change(merge_path.path, False, result.mode, result.size, result.blob))
    return changes


@dataclass(frozen=True)
class CommitFacts:
    """Everything the rules need to judge one commit."""

    commit: str
    is_root: bool
    is_introduction: bool
    signature_problem: str | None
    views: tuple[ParentView, ...]
    changes: tuple[Change, ...]
    limits: Limits
    read: Callable[[str], bytes | None]  # a file of the commit's own tree, or None
    parent_count: int = 1
    tree_problems: tuple[tuple[str, str], ...] = ()  # (folder, what git fsck would say) of its new trees
    key_files: dict[str, KeyFile] = field(default_factory=dict)  # every key file, when the commit changes one


_GOOD = (SignatureStatus.GOOD, SignatureStatus.GOOD_KEY_EXPIRED, SignatureStatus.GOOD_SIGNATURE_EXPIRED)


def signature_problems(check: SignatureCheck) -> list[str]:
    """Why this signature cannot authorize anything, judged at the signature's own time (empty when good).

    Nothing here depends on today's date, so a verdict can be cached forever and agree with a fresh
    one; what depends on the time of a push is `expiry_problem`.
    """
    if check.status not in _GOOD:
        detail = f" ({check.detail})" if check.detail else ""
        return [f"signature is {check.status.value}{detail}"]
    problems = []
    if check.signature_count != 1:
        problems.append(f"carries {check.signature_count} signatures; exactly one is required")
    if check.hash_algorithm in WEAK_DIGESTS:
        problems.append(
            f"signature uses the broken {WEAK_DIGESTS[check.hash_algorithm]} digest; sign with SHA-256 or better"
        )
    expired_when_signed = (
        check.key_expires_at is not None and check.signed_at is not None and check.signed_at >= check.key_expires_at
    )
    if expired_when_signed or (check.status is SignatureStatus.GOOD_KEY_EXPIRED and check.key_expires_at is None):
        problems.append("was signed with a key that had already expired")
    return problems


def expiry_problem(verdict: Verdict, now: int) -> Problem | None:
    """At push time the signing key and the signature itself must still be valid (None when they are).

    `orgsite verify` and the site judge expiry at the signature's time instead: a commit that was
    valid when pushed stays valid once its key or signature expires.
    """
    where = short_id(verdict.commit)
    if verdict.key_expires_at is not None and now >= verdict.key_expires_at:
        return Problem(where, "the signing key has expired; extend it or use a new key")
    if verdict.signature_expires_at is not None and now >= verdict.signature_expires_at:
        return Problem(where, "the signature has expired; sign the commit again (`git commit --amend --no-edit -S`)")
    return None


def _signer(facts: CommitFacts, problems: list[Problem]) -> Member | None:
    """The member every parent's allowlist authorizes for this signature, with the least role among them."""
    where = short_id(facts.commit)
    members = []
    for view in facts.views:
        fingerprint = view.signature.primary_fingerprint or "?"
        unknown = view.signature.status is SignatureStatus.UNKNOWN_KEY
        sig_issues = [] if unknown else signature_problems(view.signature)
        if sig_issues:
            problems.extend(Problem(where, issue) for issue in sig_issues)
            return None
        member = view.allowlist.by_fingerprint(fingerprint) if view.allowlist and not unknown else None
        if member is None:
            parent = short_id(view.parent)
            source = "its own allowlist" if facts.is_introduction else f"the allowlist of parent {parent}"
            problems.append(Problem(where, f"signed by key {fingerprint}, which is not on {source}"))
            return None
        members.append(member)
    if not members:
        return None
    if any(m.handle != members[0].handle for m in members):
        problems.append(Problem(where, "the signing key belongs to different members in different parents"))
        return None
    return next((m for m in members if not m.is_operator), members[0])


def _role_problems(where: str, member: Member, changes: Sequence[Change]) -> list[Problem]:
    if member.is_operator:
        return []
    problems = []
    for change in changes:
        # Whether the file itself may exist there is the layout rule's business, reported on its own.
        if not change.path.startswith(f"posts/{member.handle}/"):
            problems.append(Problem(where, f"members may only change files under posts/{member.handle}/", change.path))
    return problems


def _allowlist_problems(where: str, read: Callable[[str], bytes | None], data: bytes) -> list[Problem]:
    allowlist = parse_allowlist(data.decode("utf-8"))
    return [
        Problem(where, f"member '{m.handle}' has no key file {key_path(m.handle)}", "members/allowlist.toml")
        for m in allowlist.members
        if read(key_path(m.handle)) is None
    ]


def _still_listed(handle: str, read: Callable[[str], bytes | None]) -> bool:
    data = read(ALLOWLIST_PATH)
    try:
        return data is not None and parse_allowlist(data.decode("utf-8")).by_handle(handle) is not None
    except (OrgsiteError, UnicodeDecodeError):
        return False  # a broken allowlist is reported by its own rule


def file_problems(where: str, change: Change, limits: Limits, read: Callable[[str], bytes | None]) -> list[Problem]:
    """What is wrong with one added, changed or deleted file under the repository contract."""
    kind = classify_path(change.path)
    if change.deleted:
        if kind is not None and kind.kind in ("allowlist", "community"):
            return [Problem(where, "cannot be deleted: the community needs it", change.path)]
        if kind is not None and kind.kind == "key" and _still_listed(kind.handle or "", read):
            return [Problem(where, f"'{kind.handle}' is still on the allowlist; remove the member too", change.path)]
        return []
    if change.mode == SYMLINK_MODE:
        return [Problem(where, "symlinks are not allowed", change.path)]
    if change.mode == GITLINK_MODE:
        return [Problem(where, "submodules are not allowed", change.path)]
    if kind is None:
        return [
            Problem(
                where,
                "no file may live here; the layout is community.toml, members/allowlist.toml, "
                "members/keys/<handle>.asc, posts/<handle>/<slug>.md and attachments beside posts",
                change.path,
            )
        ]
    bound, name = (
        (limits.max_post_bytes, "max_post_bytes") if kind.kind == "post" else (limits.max_file_bytes, "max_file_bytes")
    )
    if change.size > bound:
        return [
            Problem(
                where,
                f"is {change.size} bytes, over the limit of {bound} (limits.{name} in community.toml)",
                change.path,
            )
        ]
    if kind.kind == "attachment":
        return []
    data = read(change.path) or b""
    try:
        if kind.kind == "post":
            meta = parse_post(data)
            if meta.reply_to is not None and read(meta.reply_to) is None:
                return [Problem(where, f"reply_to names {meta.reply_to}, which does not exist", change.path)]
        elif kind.kind == "key":
            check_key_file(data)
        elif kind.kind == "community":
            parse_community(data.decode("utf-8"))
        else:
            return _allowlist_problems(where, read, data)
    except (OrgsiteError, UnicodeDecodeError) as e:
        return [Problem(where, str(e).removeprefix(f"{change.path}: "), change.path)]
    return []


def key_material_problems(where: str, path: str, key_files: dict[str, KeyFile]) -> list[Problem]:
    """A key file holds exactly one member's own key: one primary with its own subkeys, sharing no key
    (primary or subkey) with another key file. Blocks a newcomer's file that carries a member's key
    as an expired subkey, which would make gpg judge that member's signatures expired."""
    own = key_files.get(path)
    count = len(own.certificates) if own else 0
    if own is None or count != 1:
        return [Problem(where, f"must hold exactly one public key; it holds {count}", path)]
    problems = []
    for other_path, other in sorted(key_files.items()):
        shared = sorted(own.fingerprints() & other.fingerprints()) if other_path != path else []
        if shared:
            why = f"carries key {shared[0]}, which {other_path} holds; each key file holds one member's own key"
            problems.append(Problem(where, why, path))
    return problems


def judge_commit(facts: CommitFacts) -> tuple[Member | None, list[Problem]]:
    """The member who signed the commit (when authorized) and every rule it breaks; accepted when empty."""
    where = short_id(facts.commit)
    problems: list[Problem] = []
    if facts.is_root and not facts.is_introduction:
        problems.append(Problem(where, "is a root commit other than the introduction; history must descend from it"))
    for folder, problem in facts.tree_problems:
        problems.append(Problem(where, f"tree {folder or '(top folder)'} {problem}; git fsck refuses such trees"))
    if facts.parent_count > 2:
        problems.append(
            Problem(where, f"merges {facts.parent_count} parents; octopus merges are refused, merge one at a time")
        )
    signer = None
    if facts.signature_problem:
        problems.append(Problem(where, facts.signature_problem))
    else:
        signer = _signer(facts, problems)
    if signer is None:
        return None, problems  # nobody answers for this commit: its content is never read
    problems.extend(_role_problems(where, signer, facts.changes))
    for change in facts.changes:
        file_issues = file_problems(where, change, facts.limits, facts.read)
        problems.extend(file_issues)
        kind = classify_path(change.path)
        if not file_issues and not change.deleted and kind is not None and kind.kind == "key":
            problems.extend(key_material_problems(where, change.path, facts.key_files))
    if facts.is_introduction and facts.read("members/allowlist.toml") is None:
        problems.append(Problem(where, "the introduction must contain members/allowlist.toml"))
    return signer, problems


UNSIGNED_ON_TIP = (
    "is not signed (did a rebase drop the signature?): set `git config commit.gpgsign true`, run "
    "`git rebase --exec 'git commit --amend --no-edit -S' @{u}`, push again"
)


def unsigned_after_rebase(problem: Problem, *, parent_on_branch: bool) -> Problem:
    """The refusal of an unsigned commit, saying the likely cause when it sits on the branch's tip:
    `git pull --rebase` rewrites a member's commits without their signature unless commit.gpgsign is set."""
    if problem.message != NOT_SIGNED or not parent_on_branch:
        return problem
    return dataclasses.replace(problem, message=UNSIGNED_ON_TIP)


SOMEONE_PUSHED_FIRST = "someone else pushed first"


def ref_update_problems(
    ref: str,
    old: str,
    new: str,
    *,
    branch: str,
    zero: str,
    fast_forward: bool,
    descends_from_introduction: bool,
    moved_meanwhile: bool = False,
) -> list[Problem]:
    """Why one ref update in a push is refused (empty when allowed): only the branch moves, forward only.

    `moved_meanwhile`: another push moved the branch after this one began; git would refuse the
    update after the hook anyway, so it is refused before any signature is checked (cheap in a burst).
    """
    if ref != f"refs/heads/{branch}":
        what = "tags" if ref.startswith("refs/tags/") else "other refs"
        return [Problem(ref, f"only refs/heads/{branch} may be pushed; {what} are not accepted")]
    if new == zero:
        return [Problem(ref, "deleting the community branch is not allowed")]
    if not descends_from_introduction:
        return [Problem(ref, "the pushed history does not descend from the community's introduction")]
    if old != zero and not fast_forward:
        return [Problem(ref, "non-fast-forward updates are refused: history is append-only; pull and rebase first")]
    if moved_meanwhile:
        return [Problem(ref, f"{SOMEONE_PUSHED_FIRST}; fetch, rebase and push again (orgsite post does it for you)")]
    return []


def commit_size_problem(commit: str, file_count: int, limits: Limits) -> Problem | None:
    """Why one commit changes too many files to examine (None when within the bound)."""
    if file_count > limits.max_commit_files:
        return Problem(
            short_id(commit), f"changes {file_count} files, over {limits.max_commit_files} (limits.max_commit_files)"
        )
    return None


def push_size_problems(
    commit_count: int, byte_count: int, limits: Limits, file_count: int = 0, post_bytes: int = 0
) -> list[Problem]:
    """Why a push is too large to examine (empty when within the community's bounds).

    Bytes and files are counted per path and per commit: one large file written under many names,
    or in many commits, counts every time, since every copy costs the build.
    """
    problems = []
    if commit_count > limits.max_push_commits:
        problems.append(
            Problem("push", f"has more than {limits.max_push_commits} new commits (limits.max_push_commits)")
        )
    if byte_count > limits.max_push_bytes:
        problems.append(
            Problem("push", f"adds {byte_count} bytes, over {limits.max_push_bytes} (limits.max_push_bytes)")
        )
    if file_count > limits.max_push_files:
        problems.append(
            Problem("push", f"writes {file_count} files, over {limits.max_push_files} (limits.max_push_files)")
        )
    if post_bytes > limits.max_push_post_bytes:
        # Post text is what the site renders: this bounds what one push can add to the next build.
        problems.append(
            Problem(
                "push",
                f"writes {post_bytes} bytes of posts, over {limits.max_push_post_bytes} (limits.max_push_post_bytes)",
            )
        )
    return problems
