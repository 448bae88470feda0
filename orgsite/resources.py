"""Where orgsite's own files live besides its code: hook scripts, the base site config, page templates.

A wheel carries them inside the package (`orgsite/_resources`, copied there by setup.py at build
time); an editable install (`pip install -e .`) reads them from the checkout's top level.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
ROOT = _PACKAGE / "_resources" if (_PACKAGE / "_resources").is_dir() else _PACKAGE.parent
HOOKS_DIR = ROOT / "hooks"
BASE_CONFIG = ROOT / "mkdocs.yml"
TEMPLATE_DIR = ROOT / "site_template"
