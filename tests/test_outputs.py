"""A built file is linked to the replaced site's file only when that is a regular file holding exactly
the same bytes: nothing about the replaced site is taken on trust."""

from __future__ import annotations

import os

import pytest

from orgsite.site.outputs import write_output


def _replaced_file(tmp_path, kind: str):
    old = tmp_path / "old"
    old.mkdir()
    target = old / "page.html"
    if kind == "same":
        target.write_bytes(b"<p>hello</p>")
    elif kind == "other bytes":
        target.write_bytes(b"<p>hellO</p>")
    elif kind == "longer":
        target.write_bytes(b"<p>hello</p>\n")
    elif kind == "symlink to the same bytes":
        (tmp_path / "elsewhere.html").write_bytes(b"<p>hello</p>")
        target.symlink_to(tmp_path / "elsewhere.html")
    elif kind == "folder":
        target.mkdir()
    return target


@pytest.mark.parametrize(
    ("kind", "linked"),
    [("same", True), ("other bytes", False), ("longer", False), ("symlink to the same bytes", False),
     ("folder", False), ("missing", False), ("none", False)],
)  # fmt: skip
def test_only_a_regular_file_with_the_same_bytes_is_linked(tmp_path, kind, linked):
    replaced = None if kind == "none" else _replaced_file(tmp_path, kind)
    (tmp_path / "new").mkdir()
    written = tmp_path / "new" / "page.html"
    write_output(written, b"<p>hello</p>", replaced)
    assert written.read_bytes() == b"<p>hello</p>" and not written.is_symlink()
    shares = replaced is not None and os.path.lexists(replaced) and written.stat().st_ino == os.lstat(replaced).st_ino
    assert shares is linked
