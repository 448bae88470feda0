"""Neighbours' stores: each followed community is fetched into a bare repository of its own beside the
community's (never into the community's repository), checked from its pinned introduction with its
own rules and allowlist, and only then is its verified ref moved.

A store's `refs/orgsite/incoming/*` hold what was fetched (fast-forward only); its branch and
`refs/orgsite/follow/<name>/verified` hold the last state that passed the audit, which is all the
site ever shows. Each sync is recorded in `orgsite-neighbour.json` in the store.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from orgsite.errors import OrgsiteError, RepoError
from orgsite.federation.stores import store_path, verified_ref
from orgsite.gitcmd import git
from orgsite.locks import held
from orgsite.model import Follow, short_id
from orgsite.progress import SILENT, Progress
from orgsite.repo import INTRODUCTION_KEY, CommunityRepo
from orgsite.snapshot import Snapshots
from orgsite.verify import Verifier, judge_all

STATE_FILE = "orgsite-neighbour.json"
FETCH_TIMEOUT_SECONDS = 600
# Only these transports, whatever the git configuration says (ext:: and fd:: run commands).
_TRANSPORTS = ("-c", "protocol.allow=never", "-c", "protocol.file.allow=always", "-c", "protocol.ssh.allow=always",
               "-c", "protocol.https.allow=always")  # fmt: skip


@dataclass(frozen=True)
class NeighbourState:
    """What the last syncs of one neighbour found: the verified tip and when, and the last refusal."""

    name: str
    verified: str | None = None
    verified_at: int | None = None
    checked_at: int | None = None
    refused: str = ""  # why the newest fetched changes were not taken (empty when they were)

    def summary(self) -> str:
        """One line for `orgsite follow list` and `orgsite status`."""
        shown = f"verified {short_id(self.verified)}" if self.verified else "nothing verified yet"
        when = f" at {_stamp(self.verified_at)}" if self.verified_at else ""
        refused = f"; newer changes refused: {self.refused}" if self.refused else ""
        return f"{self.name}: {shown}{when}{refused}"


def _stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


def read_state(store: Path, name: str) -> NeighbourState:
    """The recorded state of a neighbour's store (empty when it was never synced)."""
    try:
        data = json.loads((store / STATE_FILE).read_text(encoding="utf-8"))
        return NeighbourState(**{**data, "name": name})
    except (OSError, ValueError, TypeError):
        return NeighbourState(name)


def _write_state(store: Path, state: NeighbourState) -> NeighbourState:
    scratch = store / f".{STATE_FILE}.new"
    scratch.write_text(json.dumps(asdict(state)), encoding="utf-8")
    scratch.replace(store / STATE_FILE)
    return state


def _open_store(store: Path, follow: Follow) -> CommunityRepo:
    if not (store / "HEAD").exists():
        store.parent.mkdir(parents=True, exist_ok=True)
        git("init", "-q", "--bare", str(store), cwd=store.parent)
    neighbour = CommunityRepo(store)
    if neighbour.config_get(INTRODUCTION_KEY) != follow.introduction:
        neighbour.config_set(INTRODUCTION_KEY, follow.introduction)
    return neighbour


def _fetch(store: Path, follow: Follow) -> str:
    """Fetch the neighbour's branches into refs/orgsite/incoming/, fast-forward only; why not, or ""."""
    command = ["git", *_TRANSPORTS, "fetch", "--no-tags", "--no-write-fetch-head", follow.url,
               "refs/heads/*:refs/orgsite/incoming/*"]  # fmt: skip
    try:
        result = subprocess.run(command, cwd=store, capture_output=True, text=True, timeout=FETCH_TIMEOUT_SECONDS,
                                check=False, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"fetching {follow.url} took over {FETCH_TIMEOUT_SECONDS} s"
    if result.returncode == 0:
        return ""
    said = result.stderr.strip()
    if "non-fast-forward" in said or "[rejected]" in said:
        return "their history was rewritten (not a fast-forward of what was fetched before)"
    if "Permission denied" in said or "no longer granted read access" in said:
        return "they no longer share with this community (their server refused the fetch)"
    last = said.splitlines()[-1] if said else f"git fetch exited with {result.returncode}"
    return f"cannot fetch {follow.url}: {last[:300]}"


def _audit_problem(
    neighbour: CommunityRepo, follow: Follow, previous: str | None, progress: Progress
) -> tuple[str, str | None]:
    """(why the fetched state may not be shown, or "", and the tip that would be verified)."""
    intro = follow.introduction
    if not neighbour.is_commit(intro):
        return f"their history does not contain the pinned introduction {short_id(intro)}", None
    snapshots = Snapshots(neighbour)
    branch = snapshots.community(intro).branch
    tip = neighbour.ref_commit(f"refs/orgsite/incoming/{branch}")
    if tip is None:
        return f"they have no branch '{branch}'", None
    if not neighbour.is_ancestor(intro, tip):
        return f"their branch does not descend from the pinned introduction {short_id(intro)}", tip
    if previous and not neighbour.is_ancestor(previous, tip):
        return "their history was rewritten (the last verified commit is no longer in it)", tip
    commits = neighbour.walk(tip)
    with Verifier(neighbour, intro, snapshots=snapshots) as verifier:
        verdicts = judge_all(verifier, commits, progress, f"Checking {follow.name}")
    introduced = verdicts[intro]
    if introduced.signer != follow.introducer:
        signer = introduced.signer or "no key they list"
        return f"the introduction is signed by {signer}, not by the pinned introducer {follow.introducer}", tip
    for commit in commits:
        if not verdicts[commit].accepted:
            return f"commit {short_id(commit)} breaks their rules: {verdicts[commit].problems[0]}", tip
    return "", tip


def sync_neighbour(
    repo: CommunityRepo, follow: Follow, *, now: int | None = None, progress: Progress = SILENT
) -> NeighbourState:
    """Fetch `follow` into its store and move its verified ref when the new state passes the audit;
    the state recorded (the verified ref stays where it was when anything is wrong)."""
    now = int(time.time()) if now is None else now
    store = store_path(repo, follow.name)
    with _one_sync_at_a_time(store):
        return _sync(store, follow, now, progress)


@contextlib.contextmanager
def _one_sync_at_a_time(store: Path) -> Iterator[None]:
    """Wait for any other sync of this neighbour (the post-receive's, a cron's, a person's) to end:
    two fetches into one store at once would fail on git's ref locks."""
    store.parent.mkdir(parents=True, exist_ok=True)
    with held(store.parent / f".{store.name}.sync-lock"):
        yield


def _sync(store: Path, follow: Follow, now: int, progress: Progress) -> NeighbourState:
    neighbour = _open_store(store, follow)
    state = read_state(store, follow.name)
    with progress.phase(f"Fetching {follow.name}", 1) as advance:
        refused = _fetch(store, follow)
        advance(1)
    tip = None
    if not refused:
        try:
            refused, tip = _audit_problem(neighbour, follow, state.verified, progress)
        except (RepoError, OrgsiteError) as e:
            refused = str(e)
    if refused:
        return _write_state(store, replace(state, checked_at=now, refused=refused))
    assert tip is not None
    branch = Snapshots(neighbour).community(follow.introduction).branch
    neighbour.set_ref(verified_ref(follow.name), tip)
    neighbour.set_ref(f"refs/heads/{branch}", tip)  # what the site reads: the verified state only
    git("symbolic-ref", "HEAD", f"refs/heads/{branch}", cwd=store)
    return _write_state(store, replace(state, verified=tip, verified_at=now, checked_at=now, refused=""))
