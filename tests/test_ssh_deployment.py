"""The deployment the README describes, for real: a git-shell-only SSH login on a real sshd (on
127.0.0.1), pushes through it into the hooked bare repository, refusals seen by the pusher, and the
post-receive rebuild of the site."""

from __future__ import annotations

import getpass
import subprocess
import time

import pytest

from orgsite.policy import UNSIGNED_ON_TIP
from tests.people import orgsite, run
from tests.servers import ssh_key, sshd
from tests.test_site_rebuilds import wait_for


@pytest.fixture
def ssh_server(tmp_path):
    """A real sshd on 127.0.0.1 whose one key may only run git-shell; yields (port, ssh command)."""
    keys = tmp_path / "ssh"
    keys.mkdir(mode=0o700)
    client = ssh_key(keys, "client")
    # The plain set-up, without `orgsite access`: this key can push and fetch, nothing else.
    client_pub = (keys / "client.pub").read_text().strip()
    (keys / "authorized_keys").write_text(f'restrict,command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"" {client_pub}\n')
    with sshd(keys, keys / "authorized_keys") as server:
        yield server.port, server.ssh_command(client)


def test_push_over_ssh_is_checked_by_the_hook_and_rebuilds_the_site(community, ssh_server, tmp_path):
    port, ssh = ssh_server
    site = tmp_path / "site"
    assert orgsite("site", "enable", str(site), "--repo", str(community.bare)).returncode == 0
    bob = community.bob
    bob.git("remote", "set-url", "origin", f"ssh://{getpass.getuser()}@127.0.0.1:{port}{community.bare}")
    env = {"GIT_SSH_COMMAND": ssh}

    bob.post("by-ssh", "Pushed over SSH")
    pushed = run("git", "push", cwd=bob.clone, env=env, check=False)
    output = (pushed.stderr + pushed.stdout).decode()
    assert pushed.returncode == 0, output
    assert "remote: orgsite: the site is being rebuilt in the background" in output
    wait_for(lambda: (site / "posts/bob/by-ssh/index.html").exists(), what="the rebuild after the SSH push")

    before = community.refs()
    unsigned = bob.post("unsigned", "Unsigned over SSH", sign=False)
    refused = run("git", "push", cwd=bob.clone, env=env, check=False)
    output = (refused.stderr + refused.stdout).decode()
    assert refused.returncode != 0
    assert f"remote: orgsite: {unsigned[:7]}: {UNSIGNED_ON_TIP}" in output
    assert community.refs() == before


def test_the_ssh_key_cannot_open_a_shell(ssh_server):
    port, ssh = ssh_server
    started = time.monotonic()
    result = subprocess.run([*ssh.split(), "-p", str(port), f"{getpass.getuser()}@127.0.0.1", "id"],
                            capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert result.returncode != 0 and "uid=" not in result.stdout
    assert time.monotonic() - started < 30
