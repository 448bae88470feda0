"""`orgsite init`: found a community at a new path, and enable its site when asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orgsite.access.sync import enable_access
from orgsite.founding import init_community
from orgsite.repo import CommunityRepo
from orgsite.site.rebuild import enable_rebuilds


@dataclass(frozen=True)
class Founded:
    """A new community: where it is, its introduction, and its site's first build (when enabled)."""

    path: Path
    name: str
    introduction: str
    first_build: str | None
    ssh_keys: int | None  # how many SSH keys the authorized_keys file holds, when SSH access is enabled


def init(
    path: Path,
    *,
    community: str,
    handle: str,
    key: str,
    branch: str,
    description: str,
    site: Path | None,
    authorized_keys: Path | None = None,
) -> Founded:
    """Create the community at `path` (nothing is left when this fails), and enable `site` and SSH
    access through `authorized_keys` when given."""
    target = path.absolute()
    intro = init_community(
        target, community=community, handle=handle, key=key, branch=branch, description=description
    )
    first_build = enable_rebuilds(CommunityRepo(target), site) if site is not None else None
    ssh_keys = enable_access(CommunityRepo(target), authorized_keys) if authorized_keys is not None else None
    return Founded(target, community, intro, first_build, ssh_keys)
