"""`orgsite site enable`: the site rebuilt after every accepted push."""

from __future__ import annotations

from pathlib import Path

from orgsite.repo import CommunityRepo
from orgsite.site.rebuild import enable_rebuilds


def enable(repo_path: Path, site: Path) -> str:
    """Rebuild `site` after each accepted push to the bare repository `repo_path`; builds it once now
    and returns that build's log line."""
    return enable_rebuilds(CommunityRepo(repo_path), site)
