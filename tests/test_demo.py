"""`orgsite demo`: the one-command tour builds a real community through real signed pushes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.people import orgsite, run


def test_demo_community_passes_its_own_audit(demo):
    root, stdout = demo
    assert "Audit: 19 commits checked, 0 refused" in stdout
    index = next(line.removeprefix("Site: ") for line in stdout.splitlines() if line.startswith("Site: "))
    assert index == str(root / "site" / "index.html") and "Welcome to our family site" in Path(index).read_text()
    assert f"orgsite serve {root / 'community.git'}" in stdout
    audit = orgsite("verify", str(root / "community.git"))
    assert (audit.returncode, audit.stdout) == (0, "19 commits checked, 0 refused\n")


def test_demo_history_tells_the_story(demo):
    root, _ = demo
    bare = root / "community.git"
    subjects = run("git", "log", "--format=%s", "main", cwd=bare).stdout.decode().splitlines()
    assert "Edit posts/bob/hello.md" in subjects
    assert "Add member erin (Erin Example)" in subjects and "Remove member dan" in subjects
    assert sum(s.startswith("Post ") for s in subjects) == 12
    files = run("git", "ls-tree", "-r", "--name-only", "main", cwd=bare).stdout.decode().split()
    assert "posts/dan/recipe.md" in files and "members/keys/dan.asc" not in files  # dan left, his posts stay
    reply = run("git", "show", "main:posts/bob/re-re-hello.md", cwd=bare).stdout.decode()
    assert "reply_to: posts/carol/re-hello.md" in reply


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    made = orgsite("demo", str(tmp_path))
    assert made.returncode == 1 and "is not empty" in made.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_the_readmes_first_command_works_twice(tmp_path):
    root = tmp_path / "tour"
    first = orgsite("demo", str(root))
    assert first.returncode == 0, first.stderr
    first_intro = (root / "community.git" / "config").read_text()
    again = orgsite("demo", str(root))  # the same folder: the earlier demo is replaced
    assert again.returncode == 0, again.stderr
    assert (root / "community.git" / "config").read_text() != first_intro  # a new community, new keys
    assert (root / "site" / "index.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tour"]  # nothing of the old one left beside it
    subprocess.run(["gpgconf", "--homedir", str(root / "gnupg"), "--kill", "all"], capture_output=True, check=False)
