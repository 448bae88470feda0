"""The git door, for real: a real sshd reading the authorized_keys that `orgsite access` keeps, the
forced command `orgsite shell` re-checking the allowlist on every connection, and a removal that
closes the door with the push that makes it."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest

from orgsite.allowlist import parse_allowlist, render_allowlist
from orgsite.model import Allowlist
from tests.people import orgsite, run
from tests.servers import ssh_key, sshd

OPERATORS_OWN_LINE = (
    "# the server admin's own key, which orgsite must never touch\n"
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAdminsOwn admin\n"
)


def with_ssh_key(operator, handle: str, line: str) -> str:
    """The allowlist in the operator's clone with `line` as `handle`'s one SSH key, as an operator edits it."""
    listed = parse_allowlist((operator.clone / "members/allowlist.toml").read_text())
    members = (dataclasses.replace(m, ssh=(line,)) if m.handle == handle else m for m in listed.members)
    return render_allowlist(Allowlist(tuple(members)))


def ls_remote(server, key, repo) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "ls-remote", server.url(repo)], capture_output=True, text=True, timeout=60,
                          env={"GIT_SSH_COMMAND": server.ssh_command(key), "PATH": "/usr/bin:/bin"},
                          check=False)  # fmt: skip


@pytest.fixture
def door(community, tmp_path, key_factory):
    """alice (operator) lists her SSH key by hand-editing the allowlist; dana joins with one through
    `member add --ssh-key`; the git user's authorized_keys is kept by `orgsite access enable`."""
    folder = tmp_path / "ssh"
    folder.mkdir(mode=0o700)
    authorized = folder / "authorized_keys"
    authorized.write_text(OPERATORS_OWN_LINE)
    enabled = orgsite("access", "enable", str(authorized), "--repo", str(community.bare))
    assert enabled.returncode == 0, enabled.stderr
    alice_key, dana_key = ssh_key(folder, "alice"), ssh_key(folder, "dana")

    alice = community.alice
    alice.write("members/allowlist.toml", with_ssh_key(alice, "alice", (folder / "alice.pub").read_text().strip()))
    alice.commit("List alice's SSH key")
    pushed = alice.push()
    assert pushed.ok and "SSH access updated (1 key(s)" in pushed.output, pushed.output

    dana = key_factory("Dana Example")
    (tmp_path / "dana.asc").write_bytes(dana.export())
    added = alice.orgsite("member", "add", "dana", str(tmp_path / "dana.asc"), "--ssh-key",
                          str(folder / "dana.pub"), "--push")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "SSH access updated (2 key(s)" in added.stdout
    with sshd(folder, authorized) as server:
        yield server, authorized, alice_key, dana_key


def test_a_removed_member_is_shut_out_by_the_push_that_removes_them(community, door, tmp_path):
    server, authorized, alice_key, dana_key = door
    text = authorized.read_text()
    assert text.startswith(OPERATORS_OWN_LINE) and text.count("orgsite shell") == 2
    fetched = ls_remote(server, dana_key, community.bare)
    assert fetched.returncode == 0, fetched.stderr
    before = text

    alice = community.alice
    alice.git("config", "core.sshCommand", server.ssh_command(alice_key))
    alice.git("remote", "set-url", "origin", server.url(community.bare))
    removed = alice.orgsite("member", "remove", "dana", "--push")  # over SSH, through the door itself
    assert removed.returncode == 0, removed.stderr

    refused = ls_remote(server, dana_key, community.bare)  # no wait: the push has closed the door
    assert refused.returncode != 0 and "Permission denied (publickey)" in refused.stderr  # her key is gone
    assert ls_remote(server, alice_key, community.bare).returncode == 0
    assert authorized.read_text().startswith(OPERATORS_OWN_LINE) and "orgsite:dana" not in authorized.read_text()

    authorized.write_text(before)  # someone restores the old file by hand: the forced command still says no
    again = ls_remote(server, dana_key, community.bare)
    assert again.returncode != 0
    assert "orgsite: 'dana' is not a member of this community (any more); ask an operator" in again.stderr


def test_a_member_key_opens_neither_a_shell_nor_another_repository(community, door, tmp_path):
    server, _, alice_key, _ = door
    shell = server.ssh(alice_key, "id")
    assert shell.returncode != 0 and "uid=" not in shell.stdout
    assert "orgsite: 'id' is not allowed; this key only fetches and pushes the community with git" in shell.stderr
    interactive = server.ssh(alice_key)
    assert interactive.returncode != 0 and "there is no shell here" in interactive.stderr
    other = tmp_path / "other.git"
    run("git", "init", "-q", "--bare", str(other))
    elsewhere = ls_remote(server, alice_key, other)
    assert elsewhere.returncode != 0 and "is not this community's repository" in elsewhere.stderr
    archive = server.ssh(alice_key, f"git-upload-archive '{community.bare}'")
    assert archive.returncode != 0 and "'git-upload-archive' is not allowed" in archive.stderr
    assert ls_remote(server, alice_key, community.bare).returncode == 0


def test_keys_for_sshds_authorized_keys_command_match_the_file(community, door):
    _, authorized, _, _ = door
    printed = orgsite("access", "keys", str(community.bare))
    assert printed.returncode == 0, printed.stderr
    block = authorized.read_text().split(f"# orgsite begin {community.bare}\n")[1].split("# orgsite end")[0]
    assert printed.stdout == block
    status = orgsite("status", str(community.bare)).stdout
    assert f"ssh door: {authorized} (2 member key(s); every connection re-checks the allowlist)" in status


def test_an_ssh_key_cannot_be_listed_for_two_members(community, door, tmp_path):
    _, _, _, _ = door
    alice = community.alice
    alice.pull()
    shared = (tmp_path / "ssh" / "dana.pub").read_text().strip()
    alice.write("members/allowlist.toml", with_ssh_key(alice, "bob", shared))
    commit = alice.commit("Give bob dana's key")
    pushed = alice.push()
    assert not pushed.ok
    assert any(line.startswith(f"orgsite: {commit[:7]} members/allowlist.toml: ssh key SHA256:") and
               "is listed twice ('bob' and 'dana')" in line for line in pushed.refusals()), pushed.output  # fmt: skip


def test_init_can_keep_the_door_from_the_first_commit(tmp_path, keys):
    authorized = tmp_path / "authorized_keys"
    made = orgsite("init", str(tmp_path / "club.git"), "--community", "Club", "--handle", "alice", "--key",
                   keys["alice"].fingerprint, "--authorized-keys", str(authorized))  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "SSH access enabled" in made.stdout and "holds 0 key(s)" in made.stdout
    bare = tmp_path / "club.git"
    assert authorized.read_text() == f"# orgsite begin {bare}\n# orgsite end {bare}\n"
    assert (bare / "hooks" / "post-receive").exists()
