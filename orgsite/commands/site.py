"""`orgsite site enable` and `orgsite status`: the site rebuilt after every push, and how it is doing."""

from __future__ import annotations

from pathlib import Path

from orgsite.commands.init import install_hooks
from orgsite.errors import OrgsiteError
from orgsite.model import short_id
from orgsite.repo import INTRODUCTION_KEY, SITE_KEY, CommunityRepo
from orgsite.site.build import built_from, check_out_dir
from orgsite.site.rebuild import BuildFiles, build_once
from orgsite.verify import community_branch


def enable_site(repo_path: Path, site: Path) -> str:
    """Rebuild `site` after each accepted push to the bare repository `repo_path`; builds it once now."""
    repo = CommunityRepo(repo_path)
    if repo.work_dir is not None:
        raise OrgsiteError(f"{repo_path} is a clone; enable the site on the server's bare repository")
    site = site.absolute()
    check_out_dir(site)
    repo.config_set(SITE_KEY, str(site))
    install_hooks(repo.git_dir, ("post-receive",))
    files = BuildFiles.of(repo)
    build_once(repo.git_dir, site, files)
    return f"Site enabled: {site} is rebuilt after every accepted push.\nFirst build: {files.last_lines(1)[0]}"


def status(repo_path: Path) -> list[str]:
    """What a `status` call prints: the community, its branch tip, the site and its latest builds."""
    repo = CommunityRepo(repo_path)
    branch = community_branch(repo)
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
