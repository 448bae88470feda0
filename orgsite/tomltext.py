"""Writing the few TOML shapes orgsite produces (the standard library only reads TOML)."""

from __future__ import annotations

import json


def toml_value(value: str | int | bool | list[str]) -> str:
    """A TOML literal for a string, integer, boolean or list of strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    # JSON's string escapes are a subset of TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)
