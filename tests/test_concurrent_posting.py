"""Everyone posts at once: concurrent members lose nothing and never repair their clone by hand."""

from __future__ import annotations

import os
import subprocess
import sys

from orgsite.policy import UNSIGNED_ON_TIP
from tests.people import orgsite, run
from tests.test_push_refusals import refused
from tests.test_site_rebuilds import wait_for

POSTS_EACH = 3


def test_six_members_posting_three_times_at_once_all_land_and_are_all_rendered(community, key_factory, tmp_path):
    alice = community.alice
    people = [alice, community.bob, community.carol]
    for handle in ("dave", "erin", "frank"):
        key = key_factory(f"{handle.title()} Example")
        (tmp_path / f"{handle}.asc").write_bytes(key.export())
        added = alice.orgsite("member", "add", handle, str(tmp_path / f"{handle}.asc"), "--push")
        assert added.returncode == 0, added.stderr
        people.append(community.join(handle, key, tmp_path / handle))
    for person in people:
        person.git("pull", "-q", "--rebase")
    site = tmp_path / "site"
    assert orgsite("site", "enable", str(site), "--repo", str(community.bare)).returncode == 0

    loop = (
        f"for n in $(seq {POSTS_EACH}); do echo 'Hello from the holiday.' | "
        f'{sys.executable} -m orgsite post "Day $n of $0" --file - || exit 1; done'
    )
    members = [
        subprocess.Popen(
            ["sh", "-c", loop, person.handle],
            cwd=person.clone,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for person in people
    ]
    said = [member.communicate(timeout=300) for member in members]
    failures = "\n".join(err for (_, err), member in zip(said, members, strict=True) if member.returncode)
    assert [m.returncode for m in members] == [0] * len(people), failures

    landed = run("git", "ls-tree", "-r", "--name-only", "main", "posts/", cwd=community.bare).stdout.decode().split()
    expected = {f"posts/{p.handle}/day-{n}-of-{p.handle}.md" for p in people for n in range(1, POSTS_EACH + 1)}
    assert expected <= set(landed)
    retries = sum(err.count("someone posted at the same moment; retrying") for _, err in said)
    assert retries > 0, "the members did not post at the same moment; the test proves nothing"
    for person in people:
        assert person.git("status", "--porcelain") == "" and person.git("rev-parse", "HEAD") == person.git(
            "rev-parse", "@{u}"
        ), f"{person.handle}'s clone was left diverged"

    def all_rendered() -> bool:
        return all((site / path.removesuffix(".md") / "index.html").exists() for path in expected)

    wait_for(all_rendered, timeout=120, what="the site to show every post")
    assert community.verify().returncode == 0


def test_a_pull_rebase_without_gpgsign_is_refused_with_the_way_out(community):
    bob, carol = community.bob, community.carol
    bob.post("mine", "Mine")
    carol.post("hers", "Hers")
    assert carol.push().ok
    bob.git("pull", "-q", "--rebase")  # without commit.gpgsign: git rewrites bob's commit unsigned
    rebased = bob.head()
    assert refused(community, bob) == [f"orgsite: {rebased[:7]}: {UNSIGNED_ON_TIP}"]
    bob.git("config", "commit.gpgsign", "true")  # what the line says to do
    bob.git("rebase", "-q", "--exec", "git commit --amend --no-edit -S", "@{u}")
    assert bob.push().ok


def test_a_conflicting_edit_of_ones_own_post_leaves_the_clone_intact_with_one_line(community, tmp_path):
    bob = community.bob
    bob.post("plans", "Plans", body="Version one.\n")
    assert bob.push().ok
    laptop = community.join("bob", bob.key, tmp_path / "laptop")  # bob's second clone
    bob.post("plans", "Plans", body="Version two, from the desktop.\n")
    assert bob.push().ok
    editor = tmp_path / "editor"
    editor.write_text("#!/bin/sh\nprintf -- '---\\ntitle: Plans\\n---\\nVersion two, from the laptop.\\n' > \"$1\"\n")
    editor.chmod(0o755)
    edited = subprocess.run([sys.executable, "-m", "orgsite", "post", "--edit", "posts/bob/plans.md"],
                            cwd=laptop.clone, env={**os.environ, "EDITOR": str(editor), "VISUAL": str(editor)},
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert edited.returncode == 1
    [line] = [x for x in edited.stderr.splitlines() if x.startswith("error: ")]
    assert line.startswith("error: someone else changed the same file meanwhile; your commit is intact: run ")
    assert "Version two, from the laptop." in (laptop.clone / "posts/bob/plans.md").read_text()
    assert laptop.git("log", "-1", "--format=%s") == "Edit posts/bob/plans.md"
    git_dir = laptop.clone / ".git"
    assert not (git_dir / "rebase-merge").exists() and not (git_dir / "rebase-apply").exists()
    assert laptop.git("status", "--porcelain") == ""


def test_the_hook_refuses_at_once_a_push_whose_branch_moved_after_it_began(community):
    """What the hook sees when another push lands while this one is in flight: an old value that is
    no longer the branch's. Fed to the real hook as git would, it refuses before checking anything."""
    bob, carol = community.bob, community.carol
    stale = run("git", "rev-parse", "main", cwd=community.bare).stdout.decode().strip()
    carol.post("first", "Carol was first")
    assert carol.push().ok
    unsigned = bob.post("second", "Bob's, on the old tip", sign=False)  # would be refused for this too
    run("git", "fetch", "-q", str(bob.clone), "main:refs/test/in-flight", cwd=community.bare)
    run("git", "update-ref", "-d", "refs/test/in-flight", cwd=community.bare)  # its objects, as if received
    before = community.refs()
    hook = subprocess.run([sys.executable, "-m", "orgsite", "hook", "pre-receive"], cwd=community.bare,
                          input=f"{stale} {unsigned} refs/heads/main\n", capture_output=True, text=True,
                          env={**os.environ, "GIT_DIR": str(community.bare)})  # fmt: skip
    assert hook.returncode == 1
    assert hook.stderr.splitlines() == [
        "orgsite: refs/heads/main: someone else pushed first; "
        "fetch, rebase and push again (orgsite post does it for you)"
    ]
    assert community.refs() == before
