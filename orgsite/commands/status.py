"""`orgsite status`: the community, its branch, and how its site's builds are going."""

from __future__ import annotations

from pathlib import Path

from orgsite.model import short_id
from orgsite.repo import INTRODUCTION_KEY, SITE_KEY, CommunityRepo
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
