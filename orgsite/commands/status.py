"""`orgsite status`: the community, its branch, its doors, and how its site's builds are going."""

from __future__ import annotations

from pathlib import Path

from orgsite.access.authorized_keys import begin_marker, end_marker
from orgsite.access.door_files import door_store_path
from orgsite.access.store import DoorStore, clock
from orgsite.federation.neighbours import read_state
from orgsite.federation.stores import store_path
from orgsite.model import short_id
from orgsite.repo import AUTHORIZED_KEYS_KEY, INTRODUCTION_KEY, SITE_KEY, CommunityRepo
from orgsite.site.build import built_from
from orgsite.site.rebuild import BuildFiles
from orgsite.snapshot import Snapshots


def status(repo_path: Path) -> list[str]:
    """What a `status` call prints: the community, its branch tip, the site and its latest builds."""
    repo = CommunityRepo(repo_path)
    branch = Snapshots(repo).branch()
    tip = repo.branch_tip(branch)
    lines = [
        f"repository: {repo.git_dir}",
        f"introduction: {repo.config_get(INTRODUCTION_KEY) or '(none: not made by orgsite init)'}",
        f"branch: {branch} at {short_id(tip) if tip else '(no commits)'}",
        _ssh_door(repo),
        _web_door(repo),
        *_neighbours(repo),
    ]
    site = repo.config_get(SITE_KEY)
    if not site:
        return [*lines, "site: not enabled (orgsite site enable DIR)"]
    files = BuildFiles.of(repo)
    latest = files.last_lines()
    if files.building():
        state = "building now"
    elif not files.owed():
        state = "idle"
    elif latest and latest[-1].split(" ", 2)[1] == "start":
        state = "the last build was interrupted (killed?) before it finished; run `orgsite hook rebuild REPO`"
    elif latest and latest[-1].split(" ", 2)[1] == "error":
        state = "the last build failed (below); the next push retries, or run `orgsite hook rebuild REPO`"
    else:
        state = "waiting to build"
    shown = built_from(Path(site))
    if tip and shown != tip:
        behind = f"shows {short_id(shown)}" if shown else "shows no known commit"
        state += f"; the site is behind the branch: it {behind}, the branch is at {short_id(tip)}"
    builds = [f"  {line}" for line in latest] or ["  none yet"]
    return [*lines, f"site: {site} ({state})", "latest builds:", *builds]


def _ssh_door(repo: CommunityRepo) -> str:
    keys_file = repo.config_get(AUTHORIZED_KEYS_KEY)
    if not keys_file:
        return "ssh door: not kept by orgsite (orgsite access enable FILE)"
    try:
        rows = Path(keys_file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        return f"ssh door: {keys_file} cannot be read ({e.strerror}); run `orgsite access sync`"
    begin, end = begin_marker(str(repo.git_dir)), end_marker(str(repo.git_dir))
    if rows.count(begin) != 1 or rows.count(end) != 1:
        return f"ssh door: {keys_file} has no orgsite block for this repository; run `orgsite access sync`"
    count = rows.index(end) - rows.index(begin) - 1
    return f"ssh door: {keys_file} ({count} member key(s); every connection re-checks the allowlist)"


def _web_door(repo: CommunityRepo) -> str:
    path = door_store_path(repo)
    if not path.exists():
        return "web door: not opened yet (orgsite authd REPO --listen 127.0.0.1:PORT, for nginx to ask)"
    store = DoorStore(path)
    try:
        return f"web door: {store.live_sessions(clock())} live session(s); every request re-checks the allowlist"
    finally:
        store.close()


def _neighbours(repo: CommunityRepo) -> list[str]:
    snapshots = Snapshots(repo)
    tip = repo.branch_tip(snapshots.branch())
    follows = snapshots.community(tip).follows if tip else ()
    return [f"neighbour {read_state(store_path(repo, f.name), f.name).summary()}" for f in follows]
