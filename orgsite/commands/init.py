"""`orgsite init`: found a community at a new path, and enable its site when asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def init(
    path: Path, *, community: str, handle: str, key: str, branch: str, description: str, site: Path | None
) -> Founded:
    """Create the community at `path` (nothing is left when this fails) and enable `site` if given."""
    target = path.absolute()
    intro = init_community(
        target, community=community, handle=handle, key=key, branch=branch, description=description
    )
    first_build = enable_rebuilds(CommunityRepo(target), site) if site is not None else None
    return Founded(target, community, intro, first_build)
