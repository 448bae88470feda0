"""Real servers for the tests, on 127.0.0.1 only, always stopped: sshd (the git door) and more."""

from __future__ import annotations

import contextlib
import getpass
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.people import run
from tests.test_site_rebuilds import wait_for

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
HAS_SSHD = Path(SSHD).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def ssh_key(folder: Path, name: str) -> Path:
    """A new ed25519 SSH key pair `folder/name` (and `.pub`); returns the private key's path."""
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@laptop", "-f", str(folder / name))
    return folder / name


@dataclass(frozen=True)
class Sshd:
    """A running sshd: its port, and how to reach it as the user running the tests with a given key."""

    port: int
    user: str

    def ssh_command(self, key: Path) -> str:
        """A GIT_SSH_COMMAND / core.sshCommand that logs in with `key` only."""
        return (f"ssh -i {key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no "
                f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")  # fmt: skip

    def url(self, repo: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{repo}"

    def ssh(self, key: Path, *command: str) -> subprocess.CompletedProcess:
        """Run `ssh` as a member would with `key` (never raises)."""
        return subprocess.run([*self.ssh_command(key).split(), "-p", str(self.port), f"{self.user}@127.0.0.1",
                               *command], capture_output=True, text=True, timeout=30, check=False)  # fmt: skip


@contextlib.contextmanager
def sshd(folder: Path, authorized_keys: Path) -> Iterator[Sshd]:
    """A real sshd on 127.0.0.1 reading `authorized_keys`; stopped on exit, also when the test fails."""
    ssh_key(folder, "host")
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host'}\nPidFile {folder / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized_keys}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        f"KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nAllowUsers {getpass.getuser()}\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: listening(port), timeout=20, what="sshd to listen")
        yield Sshd(port, getpass.getuser())
    finally:
        server.terminate()
        server.wait(timeout=10)
