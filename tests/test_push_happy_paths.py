"""What members and operators do every day is accepted by the real pre-receive hook."""

from __future__ import annotations


def test_member_post_signed_and_pushed_is_accepted(community):
    bob = community.bob
    commit = bob.post("hello", "Hello everyone")
    pushed = bob.push()
    assert pushed.ok, pushed.output
    assert community.refs()["refs/heads/main"] == commit


def test_member_edit_of_own_post_is_accepted(community):
    bob = community.bob
    bob.post("hello", "Hello")
    assert bob.push().ok
    commit = bob.post("hello", "Hello, edited", body="Now with more words.\n")
    pushed = bob.push()
    assert pushed.ok, pushed.output
    assert community.refs()["refs/heads/main"] == commit


def test_reply_to_existing_post_is_accepted(community):
    bob, carol = community.bob, community.carol
    bob.post("hello", "Hello")
    assert bob.push().ok
    carol.pull()
    commit = carol.post("re-hello", "Re: Hello", reply_to="posts/bob/hello.md")
    pushed = carol.push()
    assert pushed.ok, pushed.output
    assert community.refs()["refs/heads/main"] == commit


def test_operator_moderation_edit_of_members_post_is_accepted(community):
    bob, alice = community.bob, community.alice
    bob.post("hello", "Hello", body="something rude\n")
    assert bob.push().ok
    alice.pull()
    alice.write("posts/bob/hello.md", "---\ntitle: Hello\n---\n[removed by the operator]\n")
    commit = alice.commit("moderate bob's post")
    pushed = alice.push()
    assert pushed.ok, pushed.output
    assert community.refs()["refs/heads/main"] == commit


def test_member_merge_of_upstream_operator_change_is_accepted(community, tmp_path):
    alice, bob = community.alice, community.bob
    bob.post("local", "Written offline")
    alice.write("community.toml", (alice.clone / "community.toml").read_text().replace("Family", "The Family"))
    alice.commit("rename")
    assert alice.push().ok
    bob.git("pull", "-q", "--no-rebase", "--no-edit", "-S")
    pushed = bob.push()
    assert pushed.ok, pushed.output
    assert community.verify().returncode == 0
