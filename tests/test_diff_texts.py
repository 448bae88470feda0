"""A commit's diff as the site shows it: made from the two blobs of each plain change, it is exactly the
text git's tree diff gives (which costs a read of every entry of both trees, at every commit)."""

from __future__ import annotations

import pygit2
import pytest

from orgsite.repo import CommunityRepo

BLOB, EXECUTABLE = pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE
PICTURE = bytes(range(256)) * 8


def commit(repo: pygit2.Repository, files: dict[str, tuple[bytes, int]], parents: list) -> str:
    """A commit of exactly `files` (path -> (bytes, mode)) on `parents`."""
    folders: dict[str, dict] = {}
    for path, (data, mode) in files.items():
        *dirs, name = path.split("/")
        node = folders
        for d in dirs:
            node = node.setdefault(d, {})
        node[name] = (repo.create_blob(data), mode)

    def write(node: dict) -> pygit2.Oid:
        builder = repo.TreeBuilder()
        for name, value in sorted(node.items()):
            if isinstance(value, dict):
                builder.insert(name, write(value), pygit2.enums.FileMode.TREE)
            else:
                builder.insert(name, *value)
        return builder.write()

    who = pygit2.Signature("A", "a@example.org", 1_700_000_000, 0)
    return str(repo.create_commit(None, who, who, "change", write(folders), parents))


@pytest.fixture
def history(tmp_path):
    repo = pygit2.init_repository(str(tmp_path / "c.git"), bare=True)
    first = commit(repo, {
        "posts/bob/kept.md": (b"same\n", BLOB),
        "posts/bob/edited.md": (b"one\ntwo\n", BLOB),
        "posts/bob/gone.md": (b"bye\n", BLOB),
        "posts/bob/empty.md": (b"", BLOB),
        "posts/bob/open.md": (b"no newline", BLOB),
        "posts/bob/photo.png": (PICTURE, BLOB),
        "tools/run.sh": (b"echo\n", EXECUTABLE),
    }, [])  # fmt: skip
    second = commit(repo, {
        "posts/bob/kept.md": (b"same\n", BLOB),
        "posts/bob/edited.md": (b"one\n2\nthree\n", BLOB),
        "posts/bob/empty.md": (b"now\n", BLOB),
        "posts/bob/open.md": (b"no newline either", BLOB),
        "posts/bob/photo.png": (PICTURE[::-1], BLOB),
        "posts/bob/new.png": (PICTURE, BLOB),
        "posts/carol/new.md": (b"---\ntitle: Hi\n---\nHi\n", BLOB),
        "tools/run.sh": (b"echo 2\n", EXECUTABLE),
    }, [pygit2.Oid(hex=first)])  # fmt: skip
    return CommunityRepo(tmp_path / "c.git"), first, second


def test_a_known_commits_diff_texts_are_the_tree_diffs(history):
    repo, first, second = history
    for made in (first, second):  # the root commit (against nothing) and an ordinary one
        fresh = repo.patches(made, max_file_bytes=1_000_000)  # texts from git's tree diff
        rows = [(p.path, p.status, p.blob, p.too_large, p.old_blob, p.plain) for p in fresh]
        known = repo.known_patches(made, rows)  # texts from the blobs where the change is plain
        assert [p.text for p in known] == [p.text for p in fresh]
        assert all(p.text.startswith(f"diff --git a/{p.path} b/{p.path}\n") for p in known)
    statuses = {p.path: (p.status, p.plain) for p in repo.patches(second, max_file_bytes=1_000_000)}
    assert statuses == {
        "posts/bob/edited.md": ("M", True),
        "posts/bob/empty.md": ("M", True),
        "posts/bob/gone.md": ("D", True),
        "posts/bob/new.png": ("A", True),
        "posts/bob/open.md": ("M", True),
        "posts/bob/photo.png": ("M", True),
        "posts/carol/new.md": ("A", True),
        "tools/run.sh": ("M", False),  # its diff shows mode 100755, which the blobs do not know
    }
