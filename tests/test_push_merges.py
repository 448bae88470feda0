"""Merges through real pushes: everyday merges go in, merges that roll the community back do not."""

from __future__ import annotations

import pytest

from tests.test_push_refusals import refused


def craft_merge(person, parents: list[str], take: dict[str, str], message: str = "merge") -> str:
    """A signed merge of `parents` whose tree is the first parent's, except paths taken from other commits
    (a path taken from a commit that lacks it is deleted); the branch moves to it. What a hostile client can do."""
    person.git("read-tree", parents[0])
    for path, source in take.items():
        listed = person.git("ls-tree", source, "--", path)
        if listed:
            mode, _, rest = listed.partition(" ")
            blob = rest.split()[1]
            person.git("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}")
        else:
            person.git("update-index", "--force-remove", path)
    tree = person.git("write-tree")
    args = [arg for parent in parents for arg in ("-p", parent)]
    merge = person.git("commit-tree", "-S", *args, "-m", message, tree)
    person.git("update-ref", "HEAD", merge)
    person.git("reset", "-q", "--hard", merge)
    return merge


def test_merge_with_an_old_commit_cannot_relist_a_removed_member(community):
    alice, bob = community.alice, community.bob
    before_removal = alice.head()
    assert alice.orgsite("member", "remove", "carol", "--push").returncode == 0
    bob.pull()
    merge = craft_merge(
        bob,
        [bob.head(), before_removal],
        {"members/allowlist.toml": before_removal, "members/keys/carol.asc": before_removal},
    )
    assert refused(community, bob) == [
        f"orgsite: {merge[:7]} members/allowlist.toml: members may only change files under posts/bob/",
        f"orgsite: {merge[:7]} members/keys/carol.asc: members may only change files under posts/bob/",
    ]
    assert community.verify().returncode == 0


def test_verify_finds_a_rollback_merge_that_bypassed_the_hook(community):
    alice, bob = community.alice, community.bob
    before_removal = alice.head()
    assert alice.orgsite("member", "remove", "carol", "--push").returncode == 0
    bob.pull()
    merge = craft_merge(bob, [bob.head(), before_removal], {"members/allowlist.toml": before_removal})
    hook = community.bare / "hooks" / "pre-receive"
    hook.rename(hook.with_suffix(".off"))
    assert bob.push().ok
    audit = community.verify()
    assert audit.returncode == 1
    assert f"{merge[:7]} members/allowlist.toml: members may only change files under posts/bob/" in audit.stdout


@pytest.mark.parametrize("old_first", [False, True])
def test_merge_with_an_old_commit_cannot_delete_another_members_post(community, old_first):
    bob, carol = community.bob, community.carol
    before = bob.head()
    carol.post("news", "Carol's news")
    assert carol.push().ok
    bob.pull()
    tip = bob.head()
    # The tree of the old commit with today's tip as a parent, in either order: a rollback either way.
    if old_first:
        merge = craft_merge(bob, [before, tip], {})
    else:
        merge = craft_merge(bob, [tip, before], {"posts/carol/news.md": before})
    assert refused(community, bob) == [
        f"orgsite: {merge[:7]} posts/carol/news.md: members may only change files under posts/bob/"
    ]


def test_everyday_pull_merge_is_accepted(community):
    bob, carol = community.bob, community.carol
    bob.post("mine", "Bob's")
    carol.post("hers", "Carol's")
    assert carol.push().ok
    bob.git("pull", "-q", "--no-rebase", "--no-edit", "-S")
    assert len(bob.git("log", "-1", "--format=%P").split()) == 2
    assert bob.push().ok
    assert community.verify().returncode == 0


def test_no_ff_merge_of_a_side_branch_is_accepted(community):
    bob = community.bob
    bob.git("checkout", "-q", "-b", "draft")
    bob.post("draft", "Drafted aside")
    bob.git("checkout", "-q", "main")
    bob.post("main", "Written on main")
    bob.git("merge", "-q", "-S", "--no-ff", "-m", "merge draft", "draft")
    assert bob.push().ok


def test_member_resolving_a_conflict_in_their_own_post_is_accepted(community):
    bob = community.bob
    bob.post("plans", "Plans", body="v1\n")
    bob.git("checkout", "-q", "-b", "other")
    bob.post("plans", "Plans", body="v2 from other\n")
    bob.git("checkout", "-q", "main")
    bob.post("plans", "Plans", body="v2 from main\n")
    bob.git("merge", "-q", "other", check=False)
    bob.write("posts/bob/plans.md", '---\ntitle: "Plans"\n---\nboth\n')
    bob.commit("merge other, both kept")
    assert bob.push().ok


def test_octopus_merge_is_refused(community):
    bob = community.bob
    base = bob.head()
    for name in ("one", "two"):
        bob.git("checkout", "-q", "-b", name, base)
        bob.post(name, name)
    bob.git("checkout", "-q", "main")
    bob.post("three", "three")
    bob.git("merge", "-q", "-S", "-m", "octopus", "one", "two")
    assert len(bob.git("log", "-1", "--format=%P").split()) == 3
    merge = bob.head()
    assert refused(community, bob) == [
        f"orgsite: {merge[:7]}: merges 3 parents; octopus merges are refused, merge one at a time"
    ]
