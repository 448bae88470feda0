"""A push rebuilds only what it changed: a build into a folder that holds an earlier build redoes the
pages and files whose inputs differ, and the result is the full build's bytes, file by file."""

from __future__ import annotations

import sys
import tomllib

from tests.people import run
from tests.test_site_check import tree


def build(bare, out, *flags: str) -> str:
    return run(sys.executable, "-m", "orgsite", "build", str(bare), "--out", str(out), *flags).stdout.decode()


def picture() -> bytes:
    return bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 40


def test_every_incremental_build_is_the_full_build_byte_for_byte(community, tmp_path):
    alice, bob, carol = community.alice, community.bob, community.carol
    bob.post("hello", "Hello", "Hi all.\n", tags=["news"])
    assert bob.push().ok
    site = tmp_path / "site"
    assert build(community.bare, site).startswith("Built ")

    def post():
        carol.pull()
        carol.post("garden", "The garden", "Tomatoes.\n", tags=["plans"])
        return carol

    def reply():
        bob.pull()
        bob.post("re-garden", "Re: The garden", "Lovely.\n", reply_to="posts/carol/garden.md")
        return bob

    def edit():
        carol.pull()
        carol.write("posts/carol/garden.md", "---\ntitle: The garden, again\ntags: [plans, news]\n---\nBeans.\n")
        carol.commit("edit garden")
        return carol

    def member_added():
        alice.pull()
        key = tmp_path / "mallory.asc"
        key.write_bytes(community.mallory.key.export())
        alice.orgsite("member", "add", "mallory", str(key))
        return alice

    def member_removed():
        alice.pull()
        alice.orgsite("member", "remove", "mallory")
        return alice

    def member_renamed():  # bob's posts and replies show his new name
        alice.pull()
        allowlist = (alice.clone / "members/allowlist.toml").read_text()
        old = next(m["name"] for m in tomllib.loads(allowlist)["member"] if m["handle"] == "bob")
        alice.write("members/allowlist.toml", allowlist.replace(f'name = "{old}"', 'name = "Robert"', 1))
        alice.commit("bob is Robert now")
        return alice

    def attachment():
        bob.pull()
        bob.write("posts/bob/dot.png", picture())
        bob.post("picture", "A picture", "![a dot](dot.png)\n")
        return bob

    for number, step in enumerate((post, reply, edit, member_added, member_removed, member_renamed, attachment)):
        pusher = step()
        pushed = pusher.push()
        assert pushed.ok, (step.__name__, pushed.output)
        said = build(community.bare, site)
        full = tmp_path / f"full-{number}"
        build(community.bare, full, "--full")
        assert said.startswith("Updated "), (step.__name__, said)
        redone, total = (int(n) for n in said.split()[1:4:2])
        assert 0 < redone < total, (step.__name__, said)
        ours, theirs = tree(site), tree(full)
        assert sorted(ours) == sorted(theirs), step.__name__
        assert [path for path in ours if ours[path] != theirs[path]] == [], step.__name__


def test_a_build_of_the_same_commit_redoes_nothing_and_full_redoes_everything(community, tmp_path):
    community.bob.post("hello", "Hello")
    assert community.bob.push().ok
    site = tmp_path / "site"
    first = build(community.bare, site)
    pages = int(first.split()[1])
    assert build(community.bare, site).startswith(f"Updated 0 of {pages} pages")
    assert build(community.bare, site, "--full").startswith(f"Built {pages} pages")


def test_a_damaged_build_state_means_a_full_build(community, tmp_path):
    community.bob.post("hello", "Hello")
    assert community.bob.push().ok
    site = tmp_path / "site"
    build(community.bare, site)
    (site / ".orgsite-build.json").write_text("{not json")
    assert build(community.bare, site).startswith("Built ")
