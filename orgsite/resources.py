"""Where orgsite's own files live besides its code: hook scripts, the base site config, page templates.

They are found in the project checkout, which is why orgsite is installed editable (`pip install -e .`).
"""

from __future__ import annotations

from pathlib import Path

from orgsite.errors import OrgsiteError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOOKS_DIR = PROJECT_ROOT / "hooks"
BASE_CONFIG = PROJECT_ROOT / "mkdocs.yml"
TEMPLATE_DIR = PROJECT_ROOT / "site_template"


def require_resources() -> None:
    """Raise a clear error when orgsite's files are not where orgsite was installed from."""
    for path in (HOOKS_DIR, BASE_CONFIG, TEMPLATE_DIR / "orgsite"):
        if not path.exists():
            raise OrgsiteError(f"{path} is missing: install orgsite from its checkout with `pip install -e .`")
