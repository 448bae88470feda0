"""Checking a raw Git tree object the way `git fsck` does, for the entries that matter to us. Pure.

libgit2 looks entries up by binary search, so a tree listing `posts/bob/hi.md` twice shows one of
them to the rules and the other to git checkout: a 110 MiB file could hide behind a small post.
Communities made before `receive.fsckObjects` was set rely on this check; every new tree is read.
"""

from __future__ import annotations

import re

_MODES = {b"100644", b"100755", b"120000", b"160000", b"40000"}
_TREE_MODE = b"40000"
# One entry: a valid mode, a name without '/' or NUL, the 20-byte object id. Read by the regex engine
# (a tree of thousands of posts is checked in C speed, in every new commit that adds a post to it).
_ENTRY = re.compile(rb"(100644|100755|120000|160000|40000) ([^\0/]+)\0.{20}", re.DOTALL)
_NAME = re.compile(rb"(?:100644|100755|120000|160000|40000) ([^\0/]+)\0.{20}", re.DOTALL)
# '.', '..' or '.git' in any case as a name; it may also match inside a name or an id, and then the
# detailed scan decides.
_DOT_NAME = re.compile(rb" (?:\.\.?|\.[gG][iI][tT])\0")
_ENTRIES = re.compile(rb"(?:(?:100644|100755|120000|160000|40000) [^\0/]++\0.{20})*+", re.DOTALL)


def _sort_key(name: bytes, mode: bytes) -> bytes:
    # Git orders entries as if a directory's name ended in '/'.
    return name + b"/" if mode == _TREE_MODE else name


def tree_problems(raw: bytes) -> list[str]:
    """What is wrong with the entries of a raw tree object (empty when git fsck would accept them)."""
    return [] if _well_formed(raw) else _problems(raw)


def _well_formed(raw: bytes) -> bool:
    """True when every entry is well formed, named, unique and in git's order: the common case, decided fast."""
    if _ENTRIES.fullmatch(raw) is None or _DOT_NAME.search(raw):
        return False
    entries = _ENTRY.findall(raw)  # exactly the entries, in order: the whole object matched entry by entry
    names = _NAME.findall(raw)
    keys = [name + b"/" if mode == _TREE_MODE else name for mode, name in entries]
    # Unique names make unique keys (no name holds '/'), so sorted keys are strictly increasing.
    return len(set(names)) == len(names) and keys == sorted(keys)


def _problems(raw: bytes) -> list[str]:
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
