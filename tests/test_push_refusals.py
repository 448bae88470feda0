"""Every rule of design §3, each through a real `git push` into the real hook: the pusher sees
`remote: orgsite: <commit> <path>: <why>` and the server's refs do not move."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from orgsite.policy import UNSIGNED_ON_TIP


def refused(community, person, *push_args):
    """Push, expect a refusal, check nothing moved on the server, and return the orgsite lines."""
    before = community.refs()
    pushed = person.push(*push_args)
    assert not pushed.ok, f"push was accepted:\n{pushed.output}"
    assert community.refs() == before, "a refused push moved a ref"
    lines = pushed.refusals()
    assert lines, f"no orgsite line in:\n{pushed.output}"
    return lines


def test_unsigned_commit_is_refused(community):
    commit = community.bob.post("hello", sign=False)
    assert refused(community, community.bob) == [f"orgsite: {commit[:7]}: {UNSIGNED_ON_TIP}"]


def test_commit_signed_by_outsider_key_is_refused(community):
    mallory = community.mallory
    commit = mallory.post("hello", handle="mallory")
    lines = refused(community, mallory)
    assert lines == [
        f"orgsite: {commit[:7]}: signed by key {mallory.key.fingerprint}, which is not on the allowlist of parent "
        f"{community.alice.head()[:7]}"
    ]


def test_member_signing_as_someone_else_cannot_post_in_their_folder(community):
    commit = community.bob.post("fake", handle="carol")
    lines = refused(community, community.bob)
    assert lines == [f"orgsite: {commit[:7]} posts/carol/fake.md: members may only change files under posts/bob/"]


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("members/allowlist.toml", None),  # promoting oneself
        ("community.toml", 'name = "Bob\'s place"\n'),
        ("members/keys/bob.asc", None),
    ],
)
def test_member_changing_community_files_is_refused(community, path, content):
    bob = community.bob
    if path == "members/allowlist.toml":
        content = (bob.clone / path).read_text().replace('role = "member"', 'role = "operator"')
    if path == "members/keys/bob.asc":
        content = (bob.clone / path).read_text() + "\n"
    bob.write(path, content)
    commit = bob.commit("sneaky")
    lines = refused(community, bob)
    assert f"orgsite: {commit[:7]} {path}: members may only change files under posts/bob/" in lines


def test_member_editing_another_members_post_is_refused(community):
    carol, bob = community.carol, community.bob
    carol.post("mine", "Carol's")
    assert carol.push().ok
    bob.pull()
    bob.write("posts/carol/mine.md", "---\ntitle: Bob was here\n---\n")
    commit = bob.commit("edit carol")
    assert refused(community, bob) == [
        f"orgsite: {commit[:7]} posts/carol/mine.md: members may only change files under posts/bob/"
    ]


def test_removed_member_push_is_refused_and_old_posts_stay_valid(community):
    alice, bob = community.alice, community.bob
    bob.post("before", "Before leaving")
    assert bob.push().ok
    alice.pull()
    removed = alice.orgsite("member", "remove", "bob", "--push")
    assert removed.returncode == 0, removed.stderr
    bob.pull()
    commit = bob.post("after", "After leaving")
    lines = refused(community, bob)
    assert lines == [
        f"orgsite: {commit[:7]}: signed by key {bob.key.fingerprint}, which is not on the allowlist of parent "
        f"{alice.head()[:7]}"
    ]
    audit = community.verify()  # introduction, two additions, bob's post, bob's removal
    assert (audit.returncode, audit.stdout) == (0, "5 commits checked, 0 refused\n")


def test_signature_by_subkey_counts_for_its_primary(community, key_factory, tmp_path):
    dana_key = key_factory("Dana Subkey", signing_subkey=True)
    alice = community.alice
    (tmp_path / "dana.asc").write_bytes(dana_key.export())
    assert alice.orgsite("member", "add", "dana", str(tmp_path / "dana.asc"), "--push").returncode == 0
    dana = community.join("dana", dana_key, tmp_path / "dana")
    dana.post("hi", "Signed by my subkey")
    signer = dana.git("log", "-1", "--format=%GF %GP")
    signing, primary = signer.split()
    assert signing != primary == dana_key.fingerprint  # really a subkey signature
    assert dana.push().ok


def test_key_expired_by_push_time_is_refused_but_earlier_signature_stays_valid(community, key_factory, tmp_path):
    import time

    now = int(time.time())
    erin_key = key_factory("Erin Expired", expire="2d", faked_time=now - 10 * 86400)
    alice = community.alice
    # The operator lists the key directly (member add refuses expired keys, as it should).
    alice.write("members/keys/erin.asc", erin_key.export())
    allowlist = (alice.clone / "members/allowlist.toml").read_text()
    alice.write(
        "members/allowlist.toml",
        allowlist + f'\n[[member]]\nhandle = "erin"\nname = "Erin"\nemail = "{erin_key.email}"\nrole = "member"\n'
        f'fingerprints = ["{erin_key.fingerprint}"]\n',
    )
    alice.commit("add erin")
    assert alice.push().ok
    erin = community.join("erin", erin_key, tmp_path / "erin")
    fake_gpg = tmp_path / "gpg-in-the-past"
    fake_gpg.write_text(f'#!/bin/sh\nexec gpg --faked-system-time {now - 9 * 86400} "$@"\n')
    fake_gpg.chmod(fake_gpg.stat().st_mode | stat.S_IEXEC)
    erin.git("config", "gpg.program", str(fake_gpg))
    commit = erin.post("old", "Written while my key was valid")
    assert refused(community, erin) == [
        f"orgsite: {commit[:7]}: the signing key has expired; extend it or use a new key"
    ]
    # The same commit, placed on the server without the hook, is valid under verify: expiry is
    # judged at the signature's time.
    from tests.people import run

    run("git", "fetch", "-q", "--update-head-ok", str(erin.clone), "main:main", cwd=community.bare)
    audit = community.verify()
    assert audit.returncode == 0, audit.stdout


def test_revoked_key_published_by_operator_refuses_new_commits(community, key_factory, tmp_path):
    from tests.people import run

    dave_key = key_factory("Dave Revoked")
    alice = community.alice
    (tmp_path / "dave.asc").write_bytes(dave_key.export())
    assert alice.orgsite("member", "add", "dave", str(tmp_path / "dave.asc"), "--push").returncode == 0
    dave = community.join("dave", dave_key, tmp_path / "dave")
    dave.post("before", "Before revocation")
    assert dave.push().ok
    # Dave revokes the key elsewhere; the operator publishes the revoked key in the repository.
    home = tmp_path / "g"
    home.mkdir(mode=0o700)
    run("gpg", "--batch", "--import", input=dave_key.export(), env={"GNUPGHOME": str(home)})
    gnupghome = run("gpgconf", "--list-dirs", "homedir").stdout.decode().strip()
    rev = (
        Path(gnupghome, "openpgp-revocs.d", f"{dave_key.fingerprint}.rev")
        .read_text()
        .replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----")
    )
    run("gpg", "--batch", "--import", input=rev.encode(), env={"GNUPGHOME": str(home)})
    revoked = dave_key.export(home)
    run("gpgconf", "--homedir", str(home), "--kill", "all")
    alice.pull()
    alice.write("members/keys/dave.asc", revoked)
    alice.commit("publish dave's revocation")
    assert alice.push().ok
    dave.pull()
    commit = dave.post("after", "After revocation")
    lines = refused(community, dave)
    assert lines == [f"orgsite: {commit[:7]}: signature is made by a revoked key"]
    assert community.verify().returncode == 0


def test_commit_altered_after_signing_is_refused(community):
    bob = community.bob
    bob.post("hello", "Hello")
    forged = bob.forge(bob.raw_head().replace(b"post hello", b"post HELLO"))
    lines = refused(community, bob)
    assert lines == [
        f"orgsite: {forged[:7]}: signature is bad signature (the commit was altered after signing, "
        "or the signature is broken)"
    ]


def _signature_block(raw: bytes) -> bytes:
    match = re.search(rb"\ngpgsig (.*?-----END PGP SIGNATURE-----)", raw, re.S)
    assert match
    return match.group(1)


def test_commit_with_two_signature_headers_is_refused(community):
    bob = community.bob
    bob.post("hello", "Hello")
    raw = bob.raw_head()
    block = _signature_block(raw)
    forged = bob.forge(raw.replace(b"\ngpgsig ", b"\ngpgsig " + block + b"\ngpgsig ", 1))
    assert refused(community, bob) == [
        f"orgsite: {forged[:7]}: carries more than one signature header; exactly one is required"
    ]


def test_commit_with_disagreeing_sha1_and_sha256_signatures_is_refused(community):
    bob = community.bob
    bob.post("first", "First")
    other = _signature_block(bob.raw_head())
    bob.post("second", "Second")
    raw = bob.raw_head()
    forged = bob.forge(raw.replace(b"\ngpgsig ", b"\ngpgsig-sha256 " + other + b"\ngpgsig ", 1))
    assert f"orgsite: {forged[:7]}: has gpgsig and gpgsig-sha256 signatures that disagree" in refused(community, bob)


def _post_with_signature(person, signature: bytes) -> str:
    """A signed post whose signature block is then swapped for `signature`; returns the forged commit."""
    person.post("hello", "Hello")
    raw = person.raw_head()
    return person.forge(raw.replace(_signature_block(raw), signature))


def test_signature_gpg_cannot_check_is_refused(community):
    garbage = b"-----BEGIN PGP SIGNATURE-----\n \n aGVsbG8gd29ybGQ=\n -----END PGP SIGNATURE-----"
    forged = _post_with_signature(community.bob, garbage)
    lines = refused(community, community.bob)
    assert len(lines) == 1 and lines[0].startswith(f"orgsite: {forged[:7]}: signature is gpg cannot check")


def test_ssh_signature_is_refused(community):
    ssh = b"-----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----"
    forged = _post_with_signature(community.bob, ssh)
    assert refused(community, community.bob) == [
        f"orgsite: {forged[:7]}: is not signed with OpenPGP (SSH and X.509 signatures are not accepted)"
    ]


def test_two_signatures_in_one_block_are_refused(community):
    from tests.people import run

    bob, carol = community.bob, community.carol
    bob.post("hello", "Hello")
    raw = bob.raw_head()
    block = _signature_block(raw)
    payload = raw.replace(b"\ngpgsig " + block, b"")
    both = (
        run("gpg", "--armor", "--detach-sign", "-u", bob.key.fingerprint, "-u", carol.key.fingerprint, input=payload)
        .stdout.decode()
        .strip()
    )
    forged = bob.forge(raw.replace(block, "\n ".join(both.splitlines()).encode()))
    assert refused(community, bob) == [f"orgsite: {forged[:7]}: carries 2 signatures; exactly one is required"]


def test_sha1_digest_signature_is_refused(community, tmp_path):
    bob = community.bob
    weak_gpg = tmp_path / "gpg-sha1"
    weak_gpg.write_text('#!/bin/sh\nexec gpg --digest-algo SHA1 "$@"\n')
    weak_gpg.chmod(0o755)
    bob.git("config", "gpg.program", str(weak_gpg))
    commit = bob.post("hello", "Hello")
    assert refused(community, bob) == [
        f"orgsite: {commit[:7]}: signature uses the broken SHA-1 digest; sign with SHA-256 or better"
    ]
