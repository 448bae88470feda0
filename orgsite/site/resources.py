"""Where the site's base configuration and templates live (the project checkout, installed editable)."""

from __future__ import annotations

from pathlib import Path

from orgsite.errors import OrgsiteError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BASE_CONFIG = PROJECT_ROOT / "mkdocs.yml"
TEMPLATE_DIR = PROJECT_ROOT / "site_template"


def require_resources() -> None:
    """Raise a clear error when the site files are not where orgsite was installed from."""
    for path in (BASE_CONFIG, TEMPLATE_DIR / "orgsite"):
        if not path.exists():
            raise OrgsiteError(f"{path} is missing: install orgsite from its checkout with `pip install -e .`")
