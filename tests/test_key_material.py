"""A key file holds one member's own key. A newcomer's file that carries a member's key as a subkey
(which once made gpg judge that member's signatures expired, locking them and the operator out) is
refused by `member add` and by the hook, and cannot spoil anyone's signatures even where it got in."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.people import run
from tests.test_push_refusals import refused
from tests.test_site import _bypass_hook


def key_carrying(victim_fpr: str, where: Path) -> bytes:
    """A new key 'Dana Newcomer' whose key file also carries the victim's primary key as a subkey."""
    home = where / "g"
    home.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(home)}
    try:
        secret = run("gpg", "--batch", "--export-secret-keys", victim_fpr).stdout  # from the session's keyring
        run("gpg", "--batch", "--import", input=secret, env=env)
        params = textwrap.dedent("""\
            %no-protection
            Key-Type: eddsa
            Key-Curve: ed25519
            Key-Usage: sign
            Name-Real: Dana Newcomer
            Name-Email: dana@example.org
            Expire-Date: 0
            %commit
            """)
        listing = run("gpg", "--with-colons", "--with-keygrip", "-k", victim_fpr, env=env).stdout.decode()
        grip = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("grp:"))
        created = int(next(line.split(":")[5] for line in listing.splitlines() if line.startswith("pub:")))
        run("gpg", "--batch", "--faked-system-time", f"{created - 60}!", "--gen-key", input=params.encode(), env=env)
        edit = f"addkey\n13\n{grip}\nQ\nseconds=1\ny\nsave\n".encode()  # expired a second later
        # At the victim key's own creation time, the subkey gets the victim's very fingerprint.
        run("gpg", "--batch", "--expert", "--faked-system-time", f"{created}!", "--pinentry-mode", "loopback",
            "--passphrase", "", "--command-fd", "0", "--edit-key", "dana@example.org", input=edit, env=env)  # fmt: skip
        exported = run("gpg", "--armor", "--export", "dana@example.org", env=env).stdout
        shown = run("gpg", "--with-colons", "--show-keys", input=exported, env=env).stdout.decode()
        assert f"fpr:::::::::{victim_fpr}:" in shown, "the crafted file should carry the victim's key"
        return exported
    finally:
        run("gpgconf", "--homedir", str(home), "--kill", "all", check=False)


def test_member_add_refuses_a_key_file_carrying_a_members_key(community, tmp_path):
    alice = community.alice
    (tmp_path / "dana.asc").write_bytes(key_carrying(alice.key.fingerprint, tmp_path))
    before = alice.head()
    result = alice.orgsite("member", "add", "dana", str(tmp_path / "dana.asc"))
    assert result.returncode == 1
    assert f"carries key {alice.key.fingerprint}, which members/keys/alice.asc holds" in result.stderr
    assert alice.head() == before


def _list_dana(alice, key_data: bytes) -> str:
    """Alice lists dana by hand (as an operator may, without `member add`) and commits."""
    import re

    fingerprint = re.search(r"fpr:::::::::([0-9A-F]{40}):", run(
        "gpg", "--with-colons", "--show-keys", input=key_data).stdout.decode()).group(1)  # fmt: skip
    alice.write("members/keys/dana.asc", key_data)
    allowlist = alice.clone / "members/allowlist.toml"
    allowlist.write_text(
        allowlist.read_text()
        + f'\n[[member]]\nhandle = "dana"\nname = "Dana"\nemail = "dana@example.org"\nrole = "member"\n'
        f'fingerprints = ["{fingerprint}"]\n'
    )
    return alice.commit("add dana")


def test_hook_refuses_a_key_file_carrying_a_members_key(community, tmp_path):
    alice = community.alice
    commit = _list_dana(alice, key_carrying(alice.key.fingerprint, tmp_path))
    assert refused(community, alice) == [
        f"orgsite: {commit[:7]} members/keys/dana.asc: carries key {alice.key.fingerprint}, "
        "which members/keys/alice.asc holds; each key file holds one member's own key"
    ]


def test_a_key_file_that_got_in_anyway_cannot_lock_the_operator_out(community, tmp_path):
    alice = community.alice
    _list_dana(alice, key_carrying(alice.key.fingerprint, tmp_path))
    _bypass_hook(community, alice)
    assert alice.orgsite("member", "remove", "dana", "--push").returncode == 0  # alice's key still signs
    alice.post("still-here", "Still here", handle="alice")
    assert alice.push().ok
