"""Member-controlled text made safe to show: cut to a bound, control characters escaped. Pure.

A title, a user id or a path can hold anything a member typed, including terminal escape sequences
(which retitle the window, write the clipboard or clear the screen) and megabytes of YAML. Nothing
orgsite prints shows such a value unbounded or unescaped.
"""

from __future__ import annotations

import re

# C0 and C1 controls (but newline and tab), DEL, and the bidirectional overrides that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with every control character (but newline and tab) shown as a visible escape."""
    return _UNSAFE.sub(_escape, text)


def shown(value: object, limit: int = 60) -> str:
    """A value as a message may quote it: one line, escaped, at most about `limit` characters."""
    if isinstance(value, (list, dict, set, tuple)):
        return f"a {type(value).__name__}"  # never the contents: they may be huge
    text = value if isinstance(value, str) else repr(value)
    cut = len(text) > limit
    text = terminal_safe(text[:limit]).replace("\n", "\\n").replace("\t", "\\t")
    return f"'{text}…'" if cut else f"'{text}'"
