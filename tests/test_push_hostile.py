"""Hostile input is refused cheaply, through real pushes: one clear line each, nothing moves."""

from __future__ import annotations

from tests.test_push_content_and_refs import _operator_sets_limit
from tests.test_push_refusals import refused

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def test_yaml_alias_bomb_in_front_matter_is_refused_in_one_short_line(community):
    bob = community.bob
    bob.write("posts/bob/lol.md", f"---\ntitle: Laughs\n{BILLION_LAUGHS}date: *i\n---\nhi\n")
    commit = bob.commit("lol")
    [line] = refused(community, bob)
    assert line == (
        f"orgsite: {commit[:7]} posts/bob/lol.md: front matter may not use YAML anchors or aliases (& and *)"
    )


def test_long_values_are_cut_in_refusals(community):
    bob = community.bob
    commit = bob.post("long", "Long", date="x" * 5000)
    [line] = refused(community, bob)
    assert line.startswith(f"orgsite: {commit[:7]} posts/bob/long.md: date 'xxxx")
    assert len(line) < 200


def test_terminal_escapes_in_a_refused_value_are_shown_escaped(community):
    bob = community.bob
    bob.post("esc", "Esc", reply_to="\x1b]0;owned\x07")
    [line] = refused(community, bob)
    assert "\x1b" not in line and "\x07" not in line
    assert "\\x1b]0;owned\\x07" in line


def test_post_dated_outside_sane_years_is_refused(community):
    bob = community.bob
    commit = bob.post("ancient", "Ancient", date="0001-01-01T00:00:00+14:00")
    assert refused(community, bob) == [
        f"orgsite: {commit[:7]} posts/bob/ancient.md: date '0001-01-01T00:00:00+14:00' is outside the years 1900-2199"
    ]


def test_deeply_nested_markdown_is_refused(community):
    bob = community.bob
    body = "".join("  " * level + "- x\n" for level in range(300))
    commit = bob.post("deep", "Deep", body=body)
    [line] = refused(community, bob)
    assert line.startswith(f"orgsite: {commit[:7]} posts/bob/deep.md: the text nests lists or quotes ")
    assert line.endswith("levels deep; at most 16")


def test_push_bytes_count_every_path_that_holds_a_file(community):
    _operator_sets_limit(community, "max_push_bytes", 2000)
    bob = community.bob
    post = '---\ntitle: "Same"\n---\n' + "x" * 800 + "\n"
    for n in range(3):  # one blob, three paths: 2,472 bytes for the build to handle
        bob.write(f"posts/bob/same{n}.md", post)
    bob.commit("three copies")
    [line] = refused(community, bob)
    assert line == f"orgsite: push: adds {3 * len(post)} bytes, over 2000 (limits.max_push_bytes)"


def test_commit_with_too_many_files_is_refused(community):
    _operator_sets_limit(community, "max_commit_files", 5)
    bob = community.bob
    for n in range(6):
        bob.write(f"posts/bob/p{n}.md", f"---\ntitle: P{n}\n---\n")
    commit = bob.commit("six posts")
    assert refused(community, bob) == [f"orgsite: {commit[:7]}: changes 6 files, over 5 (limits.max_commit_files)"]


def test_push_with_too_many_files_is_refused(community):
    _operator_sets_limit(community, "max_push_files", 5)
    bob = community.bob
    for c in range(2):
        for n in range(3):
            bob.write(f"posts/bob/p{c}{n}.md", f"---\ntitle: P{c}{n}\n---\n")
        bob.commit(f"three posts, {c}")
    assert refused(community, bob) == ["orgsite: push: writes 6 files, over 5 (limits.max_push_files)"]


def _tree_with_duplicate_post(person, big: bytes) -> str:
    """A signed commit whose posts/<handle>/ tree lists hi.md twice: a big file, then a small post."""
    big_blob = person.git("hash-object", "-w", "--stdin", input=big)
    small_blob = person.git("hash-object", "-w", "--stdin", input=b"---\ntitle: Hi\n---\nhi\n")
    raw = b"".join(b"100644 hi.md\0" + bytes.fromhex(blob) for blob in (big_blob, small_blob))
    folder = person.git("hash-object", "--literally", "-t", "tree", "-w", "--stdin", input=raw)
    posts = person.git("mktree", input=f"040000 tree {folder}\t{person.handle}\n".encode())
    top = [line for line in person.git("ls-tree", "HEAD").splitlines() if not line.endswith("\tposts")]
    root = person.git("mktree", input=("\n".join([*top, f"040000 tree {posts}\tposts"]) + "\n").encode())
    commit = person.git("commit-tree", "-S", "-p", "HEAD", "-m", "twice", root)
    person.git("update-ref", "HEAD", commit)
    return commit


def test_tree_listing_a_path_twice_is_refused_by_git_itself(community):
    bob = community.bob
    _tree_with_duplicate_post(bob, b"x" * 2_000_000)
    before = community.refs()
    pushed = bob.push()
    assert not pushed.ok and community.refs() == before
    assert "duplicateEntries" in pushed.output or "fsck" in pushed.output


def test_tree_listing_a_path_twice_is_refused_by_the_hook_in_older_communities(community):
    from tests.people import run

    run("git", "config", "--unset", "receive.fsckObjects", cwd=community.bare)
    bob = community.bob
    commit = _tree_with_duplicate_post(bob, b"x" * 2_000_000)
    assert refused(community, bob) == [
        f"orgsite: {commit[:7]}: tree posts/bob lists 'hi.md' twice; git fsck refuses such trees"
    ]
    fsck = run("git", "config", "receive.fsckObjects", cwd=community.bare).stdout.decode().strip()
    assert fsck == "true"  # the upgrade: git checks every later push itself


def test_post_over_the_post_size_bound_is_refused(community):
    bob = community.bob
    commit = bob.post("tome", "A tome", body="x" * (256 * 1024) + "\n")
    [line] = refused(community, bob)
    assert line.startswith(f"orgsite: {commit[:7]} posts/bob/tome.md: is ")
    assert line.endswith("over the limit of 262144 (limits.max_post_bytes in community.toml)")


def test_push_post_text_is_bounded_as_what_the_next_build_renders(community):
    _operator_sets_limit(community, "max_push_post_bytes", 3000)
    bob = community.bob
    for n in range(2):
        bob.post(f"chapter{n}", f"Chapter {n}", body="y" * 2000 + "\n")
    [line] = refused(community, bob)
    assert line.startswith("orgsite: push: writes ") and line.endswith(
        "bytes of posts, over 3000 (limits.max_push_post_bytes)"
    )
