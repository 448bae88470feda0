"""The community's rules (design §3) as pure decisions: facts in, problems out. No I/O here.

Every caller (the pre-receive hook, `orgsite verify`, the site) goes through these functions,
so a rule lives in exactly one place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from orgsite.allowlist import ALLOWLIST_PATH
from orgsite.commitsig import NOT_SIGNED
from orgsite.content import (
    PathType,
    check_key_file,
    classify_path,
    community_reply,
    key_path,
    member_folder,
    neighbour_reply,
    parse_post,
)
from orgsite.errors import OrgsiteError
from orgsite.keylisting import KeyFile
from orgsite.model import (
    GITLINK_MODE,
    SYMLINK_MODE,
    Allowlist,
    Change,
    Community,
    Limits,
    Member,
    MergePath,
    Parsed,
    Problem,
    Rule,
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


@dataclass(frozen=True)
class CommunityFiles:
    """A commit's own allowlist and community.toml as parsed (missing when not given)."""

    allowlist: Parsed[Allowlist] = Parsed(None)
    community: Parsed[Community] = Parsed(None)


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
    own: CommunityFiles = CommunityFiles()  # its own allowlist and community.toml, as parsed
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
    if verdict.key_expires_at is not None and now >= verdict.key_expires_at:
        why = "the signing key has expired; extend it or use a new key"
    elif verdict.signature_expires_at is not None and now >= verdict.signature_expires_at:
        why = "the signature has expired; sign the commit again (`git commit --amend --no-edit -S`)"
    else:
        return None
    return Problem(Rule.EXPIRED, why, verdict.commit)


def _signer(facts: CommitFacts, problems: list[Problem]) -> Member | None:
    """The member every parent's allowlist authorizes for this signature, with the least role among them."""
    members = []
    for view in facts.views:
        fingerprint = view.signature.primary_fingerprint or "?"
        unknown = view.signature.status is SignatureStatus.UNKNOWN_KEY
        sig_issues = [] if unknown else signature_problems(view.signature)
        if sig_issues:
            problems.extend(Problem(Rule.SIGNATURE, issue, facts.commit) for issue in sig_issues)
            return None
        member = view.allowlist.by_fingerprint(fingerprint) if view.allowlist and not unknown else None
        if member is None:
            parent = short_id(view.parent)
            source = "its own allowlist" if facts.is_introduction else f"the allowlist of parent {parent}"
            why = f"signed by key {fingerprint}, which is not on {source}"
            problems.append(Problem(Rule.UNAUTHORIZED, why, facts.commit))
            return None
        members.append(member)
    if not members:
        return None
    if any(m.handle != members[0].handle for m in members):
        why = "the signing key belongs to different members in different parents"
        problems.append(Problem(Rule.UNAUTHORIZED, why, facts.commit))
        return None
    return next((m for m in members if not m.is_operator), members[0])


def _role_problems(commit: str, member: Member, changes: Sequence[Change]) -> list[Problem]:
    if member.is_operator:
        return []
    own = member_folder(member.handle)
    # Whether the file itself may exist there is the layout rule's business, reported on its own.
    return [
        Problem(Rule.ROLE, f"members may only change files under {own}", commit, change.path)
        for change in changes
        if not change.path.startswith(own)
    ]


def _allowlist_problems(commit: str, allowlist: Allowlist, read: Callable[[str], bytes | None]) -> list[Problem]:
    return [
        Problem(Rule.CONTENT, f"member '{m.handle}' has no key file {key_path(m.handle)}", commit, ALLOWLIST_PATH)
        for m in allowlist.members
        if read(key_path(m.handle)) is None
    ]


_LAYOUT = (
    "no file may live here; the layout is community.toml, members/allowlist.toml, "
    "members/keys/<handle>.asc, posts/<handle>/<slug>.md and attachments beside posts"
)


def file_problems(
    commit: str,
    change: Change,
    limits: Limits,
    read: Callable[[str], bytes | None],
    own: CommunityFiles,
) -> list[Problem]:
    """What is wrong with one added, changed or deleted file under the repository contract.

    `read` gives the commit's files; `own` its allowlist and community.toml as parsed.
    """
    kind = classify_path(change.path)
    if change.deleted:
        if kind is not None and kind.kind in (PathType.ALLOWLIST, PathType.COMMUNITY):
            return [Problem(Rule.LAYOUT, "cannot be deleted: the community needs it", commit, change.path)]
        allowlist = own.allowlist.value
        if kind is not None and kind.kind is PathType.KEY and allowlist and allowlist.by_handle(kind.handle or ""):
            why = f"'{kind.handle}' is still on the allowlist; remove the member too"
            return [Problem(Rule.CONTENT, why, commit, change.path)]
        return []
    if change.mode == SYMLINK_MODE:
        return [Problem(Rule.LAYOUT, "symlinks are not allowed", commit, change.path)]
    if change.mode == GITLINK_MODE:
        return [Problem(Rule.LAYOUT, "submodules are not allowed", commit, change.path)]
    if kind is None:
        return [Problem(Rule.LAYOUT, _LAYOUT, commit, change.path)]
    is_post = kind.kind is PathType.POST
    bound, name = (limits.max_post_bytes, "max_post_bytes") if is_post else (limits.max_file_bytes, "max_file_bytes")
    if change.size > bound:
        why = f"is {change.size} bytes, over the limit of {bound} (limits.{name} in community.toml)"
        return [Problem(Rule.SIZE, why, commit, change.path)]
    parsed_error = {PathType.ALLOWLIST: own.allowlist.error, PathType.COMMUNITY: own.community.error}.get(kind.kind)
    if parsed_error:
        return [Problem(Rule.CONTENT, parsed_error.removeprefix(f"{change.path}: "), commit, change.path)]
    if kind.kind is PathType.ALLOWLIST and own.allowlist.value is not None:
        return _allowlist_problems(commit, own.allowlist.value, read)
    if kind.kind not in (PathType.POST, PathType.KEY):
        return []
    data = read(change.path) or b""
    try:
        if is_post:
            meta = parse_post(data)
            why = _reply_problem(meta.reply_to, read, own.community.value)
            if why:
                return [Problem(Rule.CONTENT, why, commit, change.path)]
        else:
            check_key_file(data)
    except OrgsiteError as e:
        return [Problem(Rule.CONTENT, str(e).removeprefix(f"{change.path}: "), commit, change.path)]
    return []


def _reply_problem(reply_to: str | None, read: Callable[[str], bytes | None], settings: Community | None) -> str:
    """Why a post's reply_to names nothing it may answer ("" when it is fine): a post of this
    commit's tree, or a post of a neighbour the community follows (whose verified state the hook
    checks at push time: `neighbour_reply_problem`)."""
    if reply_to is None or community_reply(reply_to) is not None:
        return ""  # a pointer into another community by its introduction: its own site decides what it shows
    neighbour = neighbour_reply(reply_to)
    if neighbour is None:
        return "" if read(reply_to) is not None else f"reply_to names {reply_to}, which does not exist"
    if settings is None or settings.follow(neighbour[0]) is None:
        return f"reply_to names neighbour '{neighbour[0]}', which this community does not follow"
    return ""


def neighbour_reply_problem(commit: str, path: str, reply_to: str, verified_has_post: bool) -> Problem | None:
    """At push time, a reply to a neighbour's post must answer a post of its verified state (None when it does)."""
    if verified_has_post:
        return None
    name, post = neighbour_reply(reply_to) or ("?", reply_to)
    why = f"reply_to names {reply_to}, but {name}'s verified state has no {post}; check the path (or sync first)"
    return Problem(Rule.CONTENT, why, commit, path)


def key_material_problems(commit: str, path: str, key_files: dict[str, KeyFile]) -> list[Problem]:
    """A key file holds exactly one member's own key: one primary with its own subkeys, sharing no key
    (primary or subkey) with another key file. Blocks a newcomer's file that carries a member's key
    as an expired subkey, which would make gpg judge that member's signatures expired."""
    own = key_files.get(path)
    count = len(own.certificates) if own else 0
    if own is None or count != 1:
        return [Problem(Rule.CONTENT, f"must hold exactly one public key; it holds {count}", commit, path)]
    problems = []
    for other_path, other in sorted(key_files.items()):
        shared = sorted(own.fingerprints() & other.fingerprints()) if other_path != path else []
        if shared:
            why = f"carries key {shared[0]}, which {other_path} holds; each key file holds one member's own key"
            problems.append(Problem(Rule.CONTENT, why, commit, path))
    return problems


def judge_commit(facts: CommitFacts) -> tuple[Member | None, list[Problem]]:
    """The member who signed the commit (when authorized) and every rule it breaks; accepted when empty."""
    commit = facts.commit
    problems: list[Problem] = []
    if facts.is_root and not facts.is_introduction:
        why = "is a root commit other than the introduction; history must descend from it"
        problems.append(Problem(Rule.ROOT, why, commit))
    for folder, problem in facts.tree_problems:
        why = f"tree {folder or '(top folder)'} {problem}; git fsck refuses such trees"
        problems.append(Problem(Rule.LAYOUT, why, commit))
    if facts.parent_count > 2:
        why = f"merges {facts.parent_count} parents; octopus merges are refused, merge one at a time"
        problems.append(Problem(Rule.MERGE, why, commit))
    signer = None
    if facts.signature_problem:
        problems.append(Problem(Rule.SIGNATURE, facts.signature_problem, commit))
    else:
        signer = _signer(facts, problems)
    if signer is None:
        return None, problems  # nobody answers for this commit: its content is never read
    problems.extend(_role_problems(commit, signer, facts.changes))
    for change in facts.changes:
        file_issues = file_problems(commit, change, facts.limits, facts.read, facts.own)
        problems.extend(file_issues)
        kind = classify_path(change.path)
        if not file_issues and not change.deleted and kind is not None and kind.kind is PathType.KEY:
            problems.extend(key_material_problems(commit, change.path, facts.key_files))
    if facts.is_introduction and facts.own.allowlist.missing:
        problems.append(Problem(Rule.ROOT, f"the introduction must contain {ALLOWLIST_PATH}", commit))
    return signer, problems


UNSIGNED_ON_TIP = (
    "is not signed (did a rebase drop the signature?): set `git config commit.gpgsign true`, run "
    "`git rebase --exec 'git commit --amend --no-edit -S' @{u}`, push again"
)


def unsigned_after_rebase(problem: Problem, *, parent_on_branch: bool) -> Problem:
    """The refusal of an unsigned commit, saying the likely cause when it sits on the branch's tip:
    `git pull --rebase` rewrites a member's commits without their signature unless commit.gpgsign is set."""
    if problem.rule is not Rule.SIGNATURE or problem.message != NOT_SIGNED or not parent_on_branch:
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
        why = f"only refs/heads/{branch} may be pushed; {what} are not accepted"
    elif new == zero:
        why = "deleting the community branch is not allowed"
    elif not descends_from_introduction:
        why = "the pushed history does not descend from the community's introduction"
    elif old != zero and not fast_forward:
        why = "non-fast-forward updates are refused: history is append-only; pull and rebase first"
    elif moved_meanwhile:
        why = f"{SOMEONE_PUSHED_FIRST}; fetch, rebase and push again (orgsite post does it for you)"
    else:
        return []
    return [Problem(Rule.REF, why, ref=ref)]


def commit_size_problem(commit: str, file_count: int, limits: Limits) -> Problem | None:
    """Why one commit changes too many files to examine (None when within the bound)."""
    if file_count > limits.max_commit_files:
        why = f"changes {file_count} files, over {limits.max_commit_files} (limits.max_commit_files)"
        return Problem(Rule.SIZE, why, commit)
    return None


def push_size_problems(
    commit_count: int, byte_count: int, limits: Limits, file_count: int = 0, post_bytes: int = 0
) -> list[Problem]:
    """Why a push is too large to examine (empty when within the community's bounds).

    Bytes and files are counted per path and per commit: one large file written under many names,
    or in many commits, counts every time, since every copy costs the build.
    """
    whys = []
    if commit_count > limits.max_push_commits:
        whys.append(f"has more than {limits.max_push_commits} new commits (limits.max_push_commits)")
    if byte_count > limits.max_push_bytes:
        whys.append(f"adds {byte_count} bytes, over {limits.max_push_bytes} (limits.max_push_bytes)")
    if file_count > limits.max_push_files:
        whys.append(f"writes {file_count} files, over {limits.max_push_files} (limits.max_push_files)")
    if post_bytes > limits.max_push_post_bytes:
        # Post text is what the site renders: this bounds what one push can add to the next build.
        limit = limits.max_push_post_bytes
        whys.append(f"writes {post_bytes} bytes of posts, over {limit} (limits.max_push_post_bytes)")
    return [Problem(Rule.PUSH_BOUND, why) for why in whys]
