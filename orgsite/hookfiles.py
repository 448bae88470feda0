"""Installing orgsite's Git hooks into a repository."""

from __future__ import annotations

import sys
from pathlib import Path

from orgsite.resources import HOOKS_DIR


def install_hooks(git_dir: Path, names: tuple[str, ...]) -> None:
    """Copy orgsite's hooks `names` into `git_dir/hooks`, bound to the Python running now."""
    hooks_dir = git_dir / "hooks"
    hooks_dir.mkdir(exist_ok=True)
    for name in names:
        template = (HOOKS_DIR / name).read_text()
        hook = hooks_dir / name
        hook.write_text(template.replace("@PYTHON@", sys.executable))
        hook.chmod(0o755)
