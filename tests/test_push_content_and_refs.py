"""Content, ref, merge and size rules of design §3, each through a real push into the real hook."""

from __future__ import annotations

import re

import pytest

from orgsite.policy import UNSIGNED_ON_TIP
from tests.people import run
from tests.test_push_refusals import refused


@pytest.mark.parametrize(
    ("path", "content", "why"),
    [
        ("posts/bob/notitle.md", "---\ntags: [x]\n---\nbody\n", "front matter needs a one-line 'title'"),
        ("posts/bob/nofront.md", "just text\n", "a post must start with a '---' line opening its YAML front matter"),
        ("posts/bob/open.md", "---\ntitle: x\n", "the front matter is never closed by a '---' line"),
        ("posts/bob/latin1.md", b"---\ntitle: caf\xe9\n---\n", "not valid UTF-8 (byte 14)"),
        ("posts/bob/badyaml.md", "---\ntitle: [unclosed\n---\n", "front matter is not valid YAML"),
        ("posts/bob/tags.md", "---\ntitle: t\ntags: 3\n---\n", "'tags' must be a list of one-line strings"),
        (
            "posts/bob/reply.md",
            "---\ntitle: t\nreply_to: posts/carol/nothing.md\n---\n",
            "reply_to names posts/carol/nothing.md, which does not exist",
        ),
        ("posts/bob/Bad Name.md", "---\ntitle: t\n---\n", "no file may live here"),
        ("posts/bob/script.sh", "echo hi\n", "no file may live here"),
        ("posts/bob/deep/x.md", "---\ntitle: t\n---\n", "no file may live here"),
    ],
)
def test_member_post_breaking_content_rules_is_refused(community, path, content, why):
    bob = community.bob
    bob.write(path, content)
    commit = bob.commit("bad content")
    lines = refused(community, bob)
    assert len(lines) == 1 and lines[0].startswith(f"orgsite: {commit[:7]} {path}: {why}"), lines


@pytest.mark.parametrize(
    "path", ["notes.txt", "posts/Bad_Handle/x.md", "posts/-dash/x.md", "members/keys/Alice.asc", "posts/x.md"]
)
def test_file_outside_the_layout_is_refused_even_for_operator(community, path):
    alice = community.alice
    alice.write(path, "---\ntitle: t\n---\n")
    commit = alice.commit("stray file")
    [line] = refused(community, alice)
    assert line.startswith(f"orgsite: {commit[:7]} {path}: no file may live here")


def test_symlink_is_refused(community):
    bob = community.bob
    (bob.clone / "posts/bob").mkdir(parents=True)
    (bob.clone / "posts/bob/link.md").symlink_to("/etc/passwd")
    commit = bob.commit("symlink")
    assert refused(community, bob) == [f"orgsite: {commit[:7]} posts/bob/link.md: symlinks are not allowed"]


def test_submodule_is_refused(community):
    bob = community.bob
    bob.git("update-index", "--add", "--cacheinfo", f"160000,{bob.head()},posts/bob/sub")
    bob.git("commit", "-q", "-S", "-m", "submodule")
    commit = bob.head()
    assert refused(community, bob) == [f"orgsite: {commit[:7]} posts/bob/sub: submodules are not allowed"]


def test_file_over_size_limit_is_refused(community):
    bob = community.bob
    bob.write("posts/bob/big.png", b"\x89PNG" + b"\0" * (1024 * 1024))
    commit = bob.commit("big picture")
    assert refused(community, bob) == [
        f"orgsite: {commit[:7]} posts/bob/big.png: is 1048580 bytes, over the limit of 1048576 "
        "(limits.max_file_bytes in community.toml)"
    ]


def test_attachment_within_limit_is_accepted(community):
    bob = community.bob
    bob.write("posts/bob/cat.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    bob.commit("a picture")
    assert bob.push().ok


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda text: "not toml = = =\n", "not valid TOML"),
        (lambda text: text.replace('role = "operator"', 'role = "member"'), "no operator is left"),
        (lambda text: text.replace('role = "member"', 'role = "admin"', 1), "role must be"),
        (lambda text: text.replace('handle = "bob"', 'handle = "carol"'), "handle 'carol' is listed twice"),
        (
            lambda text: (
                text + '\n[[member]]\nhandle = "zed"\nname = "Z"\nemail = "z@x"\nrole = "member"\n'
                'fingerprints = ["' + "A" * 40 + '"]\n'
            ),
            "member 'zed' has no key file members/keys/zed.asc",
        ),
    ],
)
def test_operator_pushing_broken_allowlist_is_refused(community, edit, why):
    alice = community.alice
    path = alice.clone / "members/allowlist.toml"
    path.write_text(edit(path.read_text()))
    commit = alice.commit("edit allowlist")
    [line] = refused(community, alice)
    assert line.startswith(f"orgsite: {commit[:7]} members/allowlist.toml: ") and why in line, line


def test_operator_deleting_allowlist_is_refused(community):
    alice = community.alice
    alice.git("rm", "-q", "members/allowlist.toml")
    commit = alice.commit("oops")
    assert refused(community, alice) == [
        f"orgsite: {commit[:7]} members/allowlist.toml: cannot be deleted: the community needs it"
    ]


def test_operator_pushing_broken_community_toml_is_refused(community):
    alice = community.alice
    alice.write("community.toml", "name = \n")
    commit = alice.commit("broken settings")
    [line] = refused(community, alice)
    assert line.startswith(f"orgsite: {commit[:7]} community.toml: not valid TOML")


def test_secret_key_in_key_file_is_refused(community):
    alice = community.alice
    secret = run("gpg", "--armor", "--export-secret-keys", community.carol.key.fingerprint).stdout
    alice.write("members/keys/carol.asc", secret)
    commit = alice.commit("oops, secret")
    [line] = refused(community, alice)
    assert line == (
        f"orgsite: {commit[:7]} members/keys/carol.asc: holds a secret key: only public keys belong in the repository"
    )


def test_other_branch_is_refused(community):
    bob = community.bob
    bob.post("hello")
    assert refused(community, bob, "origin", "HEAD:refs/heads/side") == [
        "orgsite: refs/heads/side: only refs/heads/main may be pushed; other refs are not accepted"
    ]


def test_tag_is_refused(community):
    bob = community.bob
    bob.git("tag", "v1")
    assert refused(community, bob, "origin", "v1") == [
        "orgsite: refs/tags/v1: only refs/heads/main may be pushed; tags are not accepted"
    ]


def test_deleting_the_branch_is_refused(community):
    before = community.refs()
    pushed = community.alice.push("origin", ":main")
    assert not pushed.ok
    assert community.refs() == before
    assert "orgsite: refs/heads/main: deleting the community branch is not allowed" in pushed.refusals()


def test_non_fast_forward_is_refused(community):
    alice = community.alice
    alice.post("hello", "Hello", handle="alice")
    assert alice.push().ok
    alice.git("reset", "-q", "--hard", "HEAD~1")
    alice.post("other", "Rewritten history", handle="alice")
    assert refused(community, alice, "--force") == [
        "orgsite: refs/heads/main: non-fast-forward updates are refused: history is append-only; pull and rebase first"
    ]


def test_history_not_descending_from_introduction_is_refused(community):
    alice = community.alice
    alice.git("checkout", "-q", "--orphan", "fresh")
    alice.post("root", "A new beginning", handle="alice")
    assert refused(community, alice, "--force", "origin", "fresh:main") == [
        "orgsite: refs/heads/main: the pushed history does not descend from the community's introduction"
    ]


def test_merge_smuggling_unrelated_root_commit_is_refused(community):
    alice = community.alice
    alice.git("checkout", "-q", "--orphan", "fresh")
    alice.git("rm", "-rq", "--cached", ".")
    alice.post("root", "Unrelated", handle="alice")
    root = alice.head()
    alice.git("checkout", "-q", "-f", "main")
    alice.git("merge", "-q", "-S", "--allow-unrelated-histories", "-m", "merge", "fresh")
    lines = refused(community, alice)
    assert f"orgsite: {root[:7]}: is a root commit other than the introduction; history must descend from it" in lines


def test_merge_smuggling_unsigned_side_commit_is_refused(community):
    bob = community.bob
    bob.git("checkout", "-q", "-b", "side")
    side = bob.post("side", "Unsigned on a side branch", sign=False)
    bob.git("checkout", "-q", "main")
    bob.post("main", "Signed on main")
    bob.git("merge", "-q", "-S", "--no-ff", "-m", "merge side", "side")
    assert refused(community, bob) == [f"orgsite: {side[:7]}: {UNSIGNED_ON_TIP}"]


def test_merge_signed_by_member_removed_in_one_parent_is_refused(community):
    alice, bob = community.alice, community.bob
    bob.post("offline", "Written before removal")
    alice.orgsite("member", "remove", "bob", "--push")
    bob.git("pull", "-q", "--no-rebase", "--no-edit", "-S")
    merge = bob.head()
    lines = refused(community, bob)
    assert lines == [
        f"orgsite: {merge[:7]}: signed by key {bob.key.fingerprint}, which is not on the allowlist of parent "
        f"{alice.head()[:7]}"
    ]


def _operator_sets_limit(community, name: str, value: int) -> None:
    """Alice changes one of community.toml's [limits] and pushes it; bob pulls it."""
    alice = community.alice
    toml = alice.clone / "community.toml"
    toml.write_text(re.sub(rf"(?m)^{name} = \d+$", f"{name} = {value}", toml.read_text()))
    alice.commit(f"set {name}")
    assert alice.push().ok
    community.bob.pull()


def test_push_over_commit_bound_is_refused(community):
    _operator_sets_limit(community, "max_push_commits", 3)
    bob = community.bob
    for n in range(4):
        bob.post(f"p{n}", f"Post {n}")
    assert refused(community, bob) == ["orgsite: push: has more than 3 new commits (limits.max_push_commits)"]


def test_push_over_byte_bound_is_refused(community):
    _operator_sets_limit(community, "max_push_bytes", 1000)
    bob = community.bob
    bob.post("long", "Long", body="x" * 2000 + "\n")
    [line] = refused(community, bob)
    assert line.startswith("orgsite: push: adds ") and "over 1000 (limits.max_push_bytes)" in line
