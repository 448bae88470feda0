"""Raw tree objects as git fsck judges them: the fast check and the detailed one agree on every tree."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgsite.rawtree import _problems, tree_problems


def entry(mode: bytes, name: bytes) -> bytes:
    return mode + b" " + name + b"\0" + hashlib.sha1(name).digest()


def tree(*entries: tuple[bytes, bytes]) -> bytes:
    return b"".join(entry(mode, name) for mode, name in entries)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (tree((b"100644", b"a.md"), (b"40000", b"b"), (b"100644", b"c.md")), []),
        (b"", []),
        (tree((b"100644", b"a.md"), (b"100644", b"a.md")), ["lists 'a.md' twice"]),
        (tree((b"100644", b"b.md"), (b"100644", b"a.md")), ["lists 'a.md' out of order"]),
        # A file and a folder of one name: git fsck's duplicateEntries, though their sort keys differ.
        (tree((b"100644", b"a"), (b"100644", b"a-b"), (b"40000", b"a")), ["lists 'a' twice"]),
        (tree((b"40000", b"a"), (b"100644", b"a.md")), ["lists 'a.md' out of order"]),  # 'a/' sorts after 'a.md'
        (
            tree(
                (b"100644", b".git"),
            ),
            ["has an entry with the invalid name '.git'"],
        ),
        (
            tree(
                (b"100644", b".GiT"),
            ),
            ["has an entry with the invalid name '.GiT'"],
        ),
        (
            tree(
                (b"40000", b".."),
            ),
            ["has an entry with the invalid name '..'"],
        ),
        (
            tree(
                (b"0100644", b"a"),
            ),
            ["is a malformed tree object"],
        ),  # git's zero-padded mode
        (
            tree(
                (b"100664", b"a"),
            ),
            ["has an entry 'a' with the invalid mode 100664"],
        ),
        (entry(b"100644", b"a")[:-3], ["is a malformed tree object"]),
        (entry(b"100644", b"a") + b"100644 b", ["is a malformed tree object"]),
    ],
)
def test_tree_problems(raw, expected):
    assert tree_problems(raw) == expected


def test_an_object_id_full_of_separators_is_read_as_an_id():
    # The 20 bytes of an id may hold spaces, NULs and digits: they never start an entry of their own.
    an_id = b" \x00100644 b\x00" + b"\x00" * 9
    assert len(an_id) == 20
    raw = b"100644 a\x00" + an_id + b"100644 c\x00" + b"1" * 20
    assert tree_problems(raw) == []


modes = st.sampled_from([b"100644", b"100755", b"120000", b"160000", b"40000", b"100664", b"0100644", b"4000"])
names = st.sampled_from([b"a", b"a.md", b"a-b", b"b", b".", b"..", b".git", b".GIT", b"x/y", b"", b"\xff\xfe"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(modes, names), max_size=8), st.booleans(), st.binary(max_size=3))
def test_the_fast_check_agrees_with_the_detailed_one(entries, sort, tail):
    if sort:
        entries = sorted(entries, key=lambda e: e[1] + (b"/" if e[0] == b"40000" else b""))
    raw = tree(*entries) + tail
    assert (tree_problems(raw) == []) == (_problems(raw) == [])
    assert tree_problems(raw) == ([] if not _problems(raw) else _problems(raw))
