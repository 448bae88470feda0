"""Checking a raw Git tree object the way `git fsck` does, for the entries that matter to us. Pure.

libgit2 looks entries up by binary search, so a tree listing `posts/bob/hi.md` twice shows one of
them to the rules and the other to git checkout: a 110 MiB file could hide behind a small post.
Communities made before `receive.fsckObjects` was set rely on this check; every new tree is read.
"""

from __future__ import annotations

_MODES = {b"100644", b"100755", b"120000", b"160000", b"40000"}
_TREE_MODE = b"40000"


def _sort_key(name: bytes, mode: bytes) -> bytes:
    # Git orders entries as if a directory's name ended in '/'.
    return name + b"/" if mode == _TREE_MODE else name


def tree_problems(raw: bytes) -> list[str]:
    """What is wrong with the entries of a raw tree object (empty when git fsck would accept them)."""
    problems: list[str] = []
    seen: set[bytes] = set()
    previous: bytes | None = None
    position = 0
    while position < len(raw):
        space = raw.find(b" ", position, position + 7)
        nul = raw.find(b"\0", space + 1)
        if space < 0 or nul < 0 or nul + 21 > len(raw):
            return [*problems, "is a malformed tree object"]
        mode, name = raw[position:space], raw[space + 1 : nul]
        position = nul + 21
        shown = name.decode("utf-8", "replace")[:80]
        if mode not in _MODES:
            problems.append(f"has an entry {shown!r} with the invalid mode {mode.decode('ascii', 'replace')}")
        if not name or b"/" in name or name in (b".", b"..") or name.lower() == b".git":
            problems.append(f"has an entry with the invalid name {shown!r}")
        if name in seen:
            problems.append(f"lists {shown!r} twice")
        seen.add(name)
        key = _sort_key(name, mode)
        if previous is not None and key < previous:
            problems.append(f"lists {shown!r} out of order")
        previous = key
    return problems
