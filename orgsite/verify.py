"""Orchestration of the trust core: repository facts → gpg → policy, one cached verdict per commit.

Two callers share it: the pre-receive hook (`check_push`) and the audit (`audit`, for `orgsite verify`).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from orgsite import policy
from orgsite.commitsig import split_signed_commit
from orgsite.content import KEYS_DIR, POSTS_DIR, is_post_path, neighbour_reply, parse_post
from orgsite.errors import OrgsiteError, RepoError
from orgsite.federation.stores import verified_has
from orgsite.gitcmd import merge_bases
from orgsite.keyring import Keyring, cached_keyring
from orgsite.model import (
    GITLINK_MODE,
    Change,
    Limits,
    MergePath,
    Problem,
    Rule,
    SignatureCheck,
    Verdict,
    Version,
    short_id,
)
from orgsite.progress import SILENT, Progress, in_chunks
from orgsite.provenance import CommitWrites, Lineage, lineages, unpublished_reason
from orgsite.rawtree import tree_problems
from orgsite.repo import INTRODUCTION_KEY, ZERO_ID, CommunityRepo
from orgsite.snapshot import Snapshots
from orgsite.verdicts import VerdictCache

# Bump when a rule changes, so verdicts cached under the old rules are not reused.
RULES_VERSION = "6"
KEYRINGS_DIR = "keyrings-3"  # bump when the way a keyring is built changes: old ones are not reused
JOBS = max(2, os.cpu_count() or 1)  # gpg processes checking signatures at once


@dataclass(frozen=True)
class RefUpdate:
    """One line of a push: ref `name` moves from `old` to `new`."""

    old: str
    new: str
    name: str


@dataclass(frozen=True)
class _Prepared:
    commit: str
    parents: tuple[str, ...]
    signed_problem: str | None
    signature: bytes | None
    payload: bytes
    context: tuple[str, ...]  # the commits whose allowlists and keys judge this one


class Verifier:
    """Judges commits of one community, caching keyrings, allowlists and verdicts."""

    def __init__(
        self,
        repo: CommunityRepo,
        introduction: str,
        *,
        jobs: int = JOBS,
        save_verdicts: bool = True,
        snapshots: Snapshots | None = None,
        quick_signatures: bool = True,
    ) -> None:
        """`quick_signatures`: let Sequoia confirm the common good signature in process (the gate passes
        False: every signature a push brings is checked by gpg, the reference)."""
        self.repo = repo
        self.introduction = introduction
        self.snapshots = snapshots or Snapshots(repo)
        self._jobs = jobs
        self._quick_signatures = quick_signatures
        self._save_verdicts = save_verdicts
        self._unsaved: list[Verdict] = []
        self._keyrings: dict[str, Keyring] = {}
        self._changes: dict[str, list[Change]] = {}
        self._cache = VerdictCache(repo.cache_dir / "verdicts.sqlite", f"{RULES_VERSION}:{introduction}")

    def save(self) -> None:
        """Keep the verdicts held back so far (a hook calls this only for a push it accepts)."""
        self._cache.put_many(self._unsaved)
        self._unsaved = []

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the verdict cache."""
        self._cache.close()

    def changes(self, commit: str) -> list[Change]:
        """What the commit itself changes, which its signer answers for (memoised: the bounds and the rules need it).

        A merge answers for what is not git's clean three-way outcome (policy.merge_changes); each
        commit it brings in is judged on its own. An octopus merge (refused anyway) answers for all.
        """
        if commit not in self._changes:
            self._changes[commit] = self._own_changes(commit)
        return self._changes[commit]

    def _own_changes(self, commit: str) -> list[Change]:
        parents = self.repo.parents(commit)
        if not parents:
            versions: dict[str, Version | None] = dict(self.repo.all_versions(commit))
            return _as_changes(versions)
        diffs = [self.repo.diff_versions(parent, commit) for parent in parents]
        if len(parents) == 1:
            return _as_changes(diffs[0])
        touched = sorted(set().union(*diffs))
        if len(parents) > 2:
            return _as_changes({path: self.repo.version(commit, path) for path in touched})
        bases = merge_bases(self.repo.git_dir, parents[0], parents[1])
        paths = [
            MergePath(
                path,
                tuple(self.repo.version(base, path) for base in bases),
                (self.repo.version(parents[0], path), self.repo.version(parents[1], path)),
                self.repo.version(commit, path),
            )
            for path in touched
        ]
        return policy.merge_changes(paths)

    def commit_writes(self, commit: str, first_parent_diff: dict[str, str | None] | None = None) -> CommitWrites:
        """What `commit` did to files under posts/, for the provenance walk.

        `first_parent_diff` (path -> new blob, or None when deleted) saves a diff when the caller has one.
        """
        parents = tuple(self.repo.parents(commit))
        if first_parent_diff is None or not parents:
            first_parent_diff = (
                {path: _blob(v) for path, v in self.repo.diff_versions(parents[0], commit).items()} if parents else {}
            )
        if len(parents) == 1:
            written = {path: blob for path, blob in first_parent_diff.items() if _is_post_file(path)}
            return CommitWrites(commit, parents, written, {})
        written = {c.path: c.blob for c in self.changes(commit) if _is_post_file(c.path)}
        taken = {path: blob for path, blob in first_parent_diff.items() if _is_post_file(path) and path not in written}
        return CommitWrites(commit, parents, written, taken)

    def lineages(
        self,
        commits: Sequence[str],
        first_parent_diffs: Mapping[str, dict[str, str | None]] | None = None,
        *,
        start: tuple[str, Mapping[str, Lineage]] | None = None,
    ) -> dict[str, Lineage]:
        """The provenance of every file under posts/ at the last of `commits` (the branch, parents first).

        `start`: a commit of `commits` after every older one, that every newer one builds on (walks.Walk),
        and the lineages at it: the fold goes on from there through the newer commits alone."""
        diffs = first_parent_diffs or {}
        if start is None:
            return lineages(self.commit_writes(c, diffs.get(c)) for c in commits)
        commit, state = start
        newer = commits[commits.index(commit) + 1 :]
        if not newer:  # nothing on top of `commit`: its lineages are the last commit's
            return dict(state)
        position = {c: n for n, c in enumerate(commits)}
        return lineages((self.commit_writes(c, diffs.get(c)) for c in newer), start={commit: state}, position=position)

    def keyring(self, commit: str) -> Keyring:
        """A keyring of exactly the public keys in `members/keys/` as of `commit`."""
        key_set = self.snapshots.key_set(commit)
        if key_set not in self._keyrings:
            self._keyrings[key_set] = cached_keyring(
                self.repo.cache_dir / KEYRINGS_DIR, key_set, lambda: self.snapshots.key_blocks(commit)
            )
        return self._keyrings[key_set]

    def _prepare(self, commit: str) -> _Prepared:
        parents = tuple(self.repo.parents(commit))
        signed = split_signed_commit(self.repo.raw_commit(commit))
        is_introduction = commit == self.introduction
        context = parents if parents else ((commit,) if is_introduction else ())
        return _Prepared(commit, parents, signed.problem, signed.signature, signed.payload, context)

    def verdicts(self, commits: Sequence[str]) -> dict[str, Verdict]:
        """The verdict of every commit in `commits` (from the cache when known)."""
        found = self._cache.get_many(commits)
        todo = [self._prepare(c) for c in commits if c not in found]
        # gpg checks the signatures in its own processes while this thread reads the commits' changes.
        # The threads that start gpg and read what it says need the interpreter only for a moment each
        # time: hand it over sooner than every 5 ms, or each check waits on this thread's work.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, 0.0005))
        try:
            with ThreadPoolExecutor(max_workers=self._jobs) as pool:
                checks = self._check_signatures(todo, pool)
                fresh = [self._judge(p, checks) for p in todo]
        finally:
            sys.setswitchinterval(switch)
        if self._save_verdicts:
            self._cache.put_many(fresh)
        else:
            self._unsaved.extend(fresh)
        found.update((v.commit, v) for v in fresh)
        return found

    def _check_signatures(
        self, todo: Sequence[_Prepared], pool: ThreadPoolExecutor
    ) -> dict[tuple[str, str], Future[SignatureCheck]]:
        """gpg's verdict per (commit, key set), in the order the commits are judged: confirmed here when
        quick signatures are on and Sequoia can, else started in `pool`."""
        checks: dict[tuple[str, str], Future[SignatureCheck]] = {}
        now = int(time.time())
        for p in todo:
            if p.signature is None:
                continue
            for ctx in p.context:
                key = (p.commit, self.snapshots.key_set(ctx))
                if key in checks:
                    continue
                keyring = self.keyring(ctx)
                quick = keyring.quick_verify(p.signature, p.payload, now) if self._quick_signatures else None
                if quick is None:
                    checks[key] = pool.submit(keyring.verify, p.signature, p.payload)
                else:
                    checks[key] = Future()
                    checks[key].set_result(quick)
        return checks

    def _judge(self, p: _Prepared, checks: dict[tuple[str, str], Future[SignatureCheck]]) -> Verdict:
        snapshots = self.snapshots
        changes = tuple(self.changes(p.commit))  # read before waiting for gpg: the two overlap
        problem_trees = tuple(
            (folder, problem) for folder, raw in self.repo.new_trees(p.commit) for problem in tree_problems(raw)
        )
        views = ()
        if p.signature is not None:
            views = tuple(
                policy.ParentView(ctx, snapshots.allowlist(ctx), checks[(p.commit, snapshots.key_set(ctx))].result())
                for ctx in p.context
            )
        limits = snapshots.community(p.context[0]).limits if p.context else Limits()
        # The rules read the files the commit writes: by blob id, without a path lookup in a large folder.
        written = {c.path: c.blob for c in changes if c.blob and not c.deleted and c.mode != GITLINK_MODE}
        facts = policy.CommitFacts(
            commit=p.commit,
            is_root=not p.parents,
            is_introduction=p.commit == self.introduction,
            signature_problem=p.signed_problem,
            views=views,
            changes=changes,
            limits=limits,
            read=lambda path: self.repo.read_blob(written[path]) if path in written else self.repo.read(p.commit, path),
            parent_count=len(p.parents),
            own=policy.CommunityFiles(snapshots.allowlist_file(p.commit), snapshots.community_file(p.commit)),
            tree_problems=problem_trees,
        )
        if any(not c.deleted and c.path.startswith(f"{KEYS_DIR}/") for c in facts.changes):
            facts = dataclasses.replace(facts, key_files=snapshots.key_files(p.commit))
        signer, problems = policy.judge_commit(facts)
        check = views[0].signature if views else None
        return Verdict(
            commit=p.commit,
            signer=check.primary_fingerprint if check and signer else None,
            handle=signer.handle if signer else None,
            signed_at=check.signed_at if check else None,
            key_expires_at=check.key_expires_at if check else None,
            problems=tuple(problems),
            signature_expires_at=check.signature_expires_at if check else None,
        )


def _is_post_file(path: str) -> bool:
    return path.startswith(f"{POSTS_DIR}/")


def _blob(version: Version | None) -> str | None:
    return version.blob if version else None


def _as_changes(versions: dict[str, Version | None]) -> list[Change]:
    return [
        Change(path, deleted=True) if v is None else Change(path, False, v.mode, v.size, v.blob)
        for path, v in sorted(versions.items())
    ]


def judge_all(
    verifier: Verifier, commits: list[str], progress: Progress = SILENT, label: str = "Checking signatures"
) -> dict[str, Verdict]:
    """The verdict of every commit, reported to `progress` as the work goes."""
    verdicts: dict[str, Verdict] = {}
    with progress.phase(label, len(commits)) as advance:
        for chunk in in_chunks(commits, advance):
            verdicts.update(verifier.verdicts(chunk))
    return verdicts


@dataclass(frozen=True)
class AuditReport:
    """The result of auditing a whole branch."""

    checked: int
    refused: tuple[Verdict, ...]
    problems: tuple[Problem, ...]
    unpublished: tuple[str, ...] = ()  # "<path>: <why>" for each post the site leaves out

    @property
    def ok(self) -> bool:
        """True when every commit keeps the rules."""
        return not self.problems


def audit(
    repo: CommunityRepo,
    branch: str,
    *,
    introduction: str | None = None,
    jobs: int = JOBS,
    progress: Progress = SILENT,
) -> AuditReport:
    """Judge every commit of `branch` from the introduction on, with the same rules as the hook."""
    tip = repo.branch_tip(branch)
    if tip is None:
        raise RepoError(f"{repo.git_dir}: there is no branch '{branch}'; pass --branch")
    snapshots = Snapshots(repo)
    intro = snapshots.introduction(tip, introduction)
    commits = repo.walk(tip)
    with Verifier(repo, intro, jobs=jobs, snapshots=snapshots) as verifier:
        verdicts = judge_all(verifier, commits, progress)
        files = verifier.lineages(commits) if any(not v.accepted for v in verdicts.values()) else {}
    refused = tuple(verdicts[c] for c in commits if not verdicts[c].accepted)
    problems = [p for v in refused for p in v.problems]
    if intro not in verdicts:
        why = f"the introduction {short_id(intro)} is not in this branch's history"
        problems.insert(0, Problem(Rule.ROOT, why, ref=branch))
    unpublished = []
    for path, lineage in sorted(files.items()):
        reason = unpublished_reason(lineage, lambda c: verdicts[c].accepted)
        if reason:
            unpublished.append(f"{path}: left off the site: {reason}")
    return AuditReport(len(commits), refused, tuple(problems), tuple(unpublished))


def check_push(
    repo: CommunityRepo,
    updates: Sequence[RefUpdate],
    *,
    now: int,
    introduction: str | None = None,
    server_has: Sequence[str] | None = None,
) -> list[Problem]:
    """Every reason to refuse this push (empty when it may go in). Nothing here writes to refs.

    In the server's hook the introduction comes from git config and the server has what its refs
    point at; `orgsite check` in a clone passes the clone's introduction and origin's tip instead.
    """
    intro = introduction or repo.config_get(INTRODUCTION_KEY)
    if not intro or not repo.is_commit(intro):
        why = f"this repository has no valid {INTRODUCTION_KEY}; create it with `orgsite init`"
        return [Problem(Rule.ROOT, why)]
    known = repo.ref_targets() if server_has is None else list(server_has)
    # Nothing judged during a refused push is kept: its objects are dropped, and nothing learnt
    # from them should stand as a reason to accept anything later.
    with Verifier(repo, intro, save_verdicts=False, quick_signatures=False) as verifier:
        problems = _check_updates(repo, verifier, intro, updates, known, now, server_side=server_has is None)
        if not problems:
            verifier.save()
        return problems


def _check_updates(
    repo: CommunityRepo,
    verifier: Verifier,
    intro: str,
    updates: Sequence[RefUpdate],
    known: list[str],
    now: int,
    *,
    server_side: bool,
) -> list[Problem]:
    branch = verifier.snapshots.community(intro).branch
    problems: list[Problem] = []
    for update in updates:
        is_commit = update.new != ZERO_ID and repo.is_commit(update.new)
        current = repo.branch_tip(branch) if server_side and update.name == f"refs/heads/{branch}" else None
        ref_problems = policy.ref_update_problems(
            update.name,
            update.old,
            update.new,
            branch=branch,
            zero=ZERO_ID,
            fast_forward=is_commit and update.old != ZERO_ID and repo.is_ancestor(update.old, update.new),
            descends_from_introduction=is_commit and repo.is_ancestor(intro, update.new),
            moved_meanwhile=current is not None and update.old != ZERO_ID and current != update.old,
        )
        problems.extend(ref_problems)
        if ref_problems:
            continue
        limits = verifier.snapshots.community(update.old if update.old != ZERO_ID else intro).limits
        problems.extend(_check_new_commits(repo, verifier, update.new, known, limits, now, server_side=server_side))
    return problems


def _check_new_commits(
    repo: CommunityRepo,
    verifier: Verifier,
    tip: str,
    existing: list[str],
    limits: Limits,
    now: int,
    *,
    server_side: bool,
) -> list[Problem]:
    # Count before listing: a topologically sorted walk must read the whole history first, and a
    # push over the bound is refused without that.
    count = repo.count_commits(tip, existing, stop_after=limits.max_push_commits)
    size_problems = policy.push_size_problems(count, 0, limits)
    if size_problems:
        return size_problems
    commits = repo.walk(tip, existing)
    byte_count = file_count = post_bytes = 0
    for commit in commits:
        written = [c for c in verifier.changes(commit) if not c.deleted]
        too_many = policy.commit_size_problem(commit, len(written), limits)
        if too_many:
            return [too_many]
        byte_count += sum(c.size for c in written)
        file_count += len(written)
        post_bytes += sum(c.size for c in written if is_post_path(c.path))
    size_problems = policy.push_size_problems(count, byte_count, limits, file_count, post_bytes)
    if size_problems:
        return size_problems
    verdicts = verifier.verdicts(commits)
    pushed = set(commits)
    problems: list[Problem] = []
    for commit in commits:
        verdict = verdicts[commit]
        on_branch = any(parent not in pushed for parent in repo.parents(commit))
        problems.extend(policy.unsigned_after_rebase(p, parent_on_branch=on_branch) for p in verdict.problems)
        if verdict.accepted:
            expired = policy.expiry_problem(verdict, now)
            if expired:
                problems.append(expired)
            if server_side:
                problems.extend(_neighbour_reply_problems(repo, verifier, commit))
    return problems


def _neighbour_reply_problems(repo: CommunityRepo, verifier: Verifier, commit: str) -> list[Problem]:
    """Replies to a neighbour's post must answer a post of its verified state (a push-time check: the
    verdict itself only needs the neighbour to be followed)."""
    if not verifier.snapshots.community(commit).follows:
        return []  # following nobody, no reply to a neighbour passed the rules: nothing to read again
    problems = []
    for change in verifier.changes(commit):
        data = repo.read(commit, change.path) if not change.deleted and is_post_path(change.path) else None
        try:
            reply_to = parse_post(data).reply_to if data is not None else None
        except OrgsiteError:
            continue  # its own rule has refused it already
        neighbour = neighbour_reply(reply_to) if reply_to else None
        if neighbour is not None:
            problem = policy.neighbour_reply_problem(commit, change.path, reply_to or "",
                                                     verified_has(repo, *neighbour))  # fmt: skip
            if problem:
                problems.append(problem)
    return problems
