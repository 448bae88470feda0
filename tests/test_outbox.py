"""Sharing per post, with consent on record: the Family makes an outbox for the Smiths, Bob shares one
post (and its picture) there signed with his own key, the Smiths follow the outbox and see just that,
and Bob's unshare takes it off their site at their next sync."""

from __future__ import annotations

from tests.people import clone_as, orgsite, run

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")  # fmt: skip


def test_a_member_shares_one_post_with_a_neighbour_and_takes_it_back(community, smiths, keys, tmp_path):
    alice, bob = community.alice, community.bob
    outbox = tmp_path / "family-for-smiths.git"
    made = alice.orgsite("outbox", "create", str(outbox), "--name", "smiths", "--push")
    assert made.returncode == 0, made.stderr
    outbox_intro = made.stdout.split("Introduction commit: ")[1].split()[0]
    alice_out = clone_as(outbox, tmp_path / "alice-out", "alice", keys["alice"])
    joined = alice_out.orgsite("member", "add", "bob", str(alice.clone / "members/keys/bob.asc"), "--push")
    assert joined.returncode == 0, joined.stderr
    bob_out = clone_as(outbox, tmp_path / "bob-out", "bob", keys["bob"])

    bob.pull()
    bob.write("posts/bob/sea.png", PNG)
    bob.post("summer", "Our summer", "Look: ![the sea](sea.png)\n")
    bob.post("private", "Just for the family", "Not for the neighbours.\n")
    assert bob.push().ok
    shared = bob.orgsite("share", "posts/bob/summer.md", "--to", str(bob_out.clone))
    assert shared.returncode == 0, shared.stderr
    files = run("git", "ls-tree", "-r", "--name-only", "main", cwd=outbox).stdout.decode().split()
    assert "posts/bob/summer.md" in files and "posts/bob/sea.png" in files and "posts/bob/private.md" not in files
    signer = run("git", "log", "-1", "--format=%GF", "main", cwd=outbox).stdout.decode().strip()
    assert signer == keys["bob"].fingerprint  # the consent on record: Bob's own signature
    assert orgsite("verify", str(outbox)).returncode == 0

    carol = community.carol
    carol.pull()
    refused = carol.orgsite("share", "posts/bob/summer.md", "--to", str(bob_out.clone))
    assert refused.returncode == 1 and "only its author shares a post" in refused.stderr

    smiths_bare, dana, _ = smiths
    added = dana.orgsite("follow", "add", "family", f"file://{outbox}", "--introduction", outbox_intro,
                         "--introducer", keys["alice"].fingerprint, "--push")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert orgsite("follow", "sync", str(smiths_bare)).returncode == 0
    site = tmp_path / "smiths-site"
    assert orgsite("build", str(smiths_bare), "--out", str(site)).returncode == 0
    page = site / "neighbours/family/posts/bob/summer/index.html"
    assert "Our summer" in page.read_text() and "Signed by Bob Example · Family: shared with smiths" in page.read_text()
    assert (site / "neighbours/family/posts/bob/sea.png").read_bytes() == PNG  # copied, not loaded from them
    assert not (site / "neighbours/family/posts/bob/private").exists()

    unshared = bob.orgsite("unshare", "posts/bob/summer.md", "--to", str(bob_out.clone))
    assert unshared.returncode == 0, unshared.stderr
    assert orgsite("follow", "sync", str(smiths_bare)).returncode == 0
    assert orgsite("build", str(smiths_bare), "--out", str(site)).returncode == 0
    assert not page.exists()
    log = run("git", "log", "--format=%s %GF", "main", cwd=outbox).stdout.decode()
    assert f"Unshare posts/bob/summer.md {keys['bob'].fingerprint}" in log  # a new commit, never a rewrite
    assert f"Share posts/bob/summer.md {keys['bob'].fingerprint}" in log
