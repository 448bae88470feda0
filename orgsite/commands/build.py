"""`orgsite build`: render a community branch into a static site folder, swapped in whole."""

from __future__ import annotations

from pathlib import Path

from orgsite.progress import Progress
from orgsite.site.build import BuildReport, build_site


def build(
    repo: Path, out: Path, *, config_file: Path | None, branch: str | None, full: bool, progress: Progress
) -> BuildReport:
    """Build the site of `repo`'s community branch into `out` (only what changed, unless `full`); what was
    built and what to know about it."""
    return build_site(repo, out, config_file=config_file, branch=branch, full=full, progress=progress)
