"""Real servers for the tests, on 127.0.0.1 only, always stopped: sshd (the git door) and more."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.people import run
from tests.test_site_rebuilds import wait_for

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


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


def stop(server: subprocess.Popen) -> None:
    """Stop a server the test started, and every process it started (its own session): asked first, then killed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # a worker left behind, or a server that did not listen
    server.wait()


@contextlib.contextmanager
def authd_process(*options: str, bare: Path, ready: Callable[[], bool]) -> Iterator[subprocess.Popen]:
    """A real `orgsite authd` for `bare` with `options`, once `ready()`; stopped on exit with its worker."""
    server = subprocess.Popen([sys.executable, "-m", "orgsite", "authd", str(bare), *options],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    try:
        wait_for(lambda: ready() or server.poll() is not None, timeout=30, what="authd to listen")
        if server.poll() is not None:
            raise AssertionError(f"authd stopped: {server.stderr.read().decode()}")
        yield server
    finally:
        stop(server)


@contextlib.contextmanager
def authd(bare: Path, *, port: int, site: str) -> Iterator[str]:
    """A real `orgsite authd` on 127.0.0.1:`port` for the site `site`; yields its base URL; stopped on exit."""
    with authd_process("--listen", f"127.0.0.1:{port}", "--site", site, bare=bare, ready=lambda: listening(port)):
        yield f"http://127.0.0.1:{port}"


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


README = Path(__file__).parent.parent / "README.md"


def readme_server_block() -> str:
    """The nginx `upstream { … } server { … }` blocks of the README's web-door step, as operators copy them."""
    text = README.read_text(encoding="utf-8")
    start = text.index("        upstream ", text.index("4. The web door"))
    server = text.index("        server {\n", start)
    end = text.index("\n        }\n", server) + len("\n        }\n")
    return "\n".join(line[8:] for line in text[start:end].splitlines())


def nginx_config(folder: Path, *, port: int, site_dir: Path, door_port: int) -> str:
    """The README's nginx server block, on 127.0.0.1 over plain http with its files under `folder`."""
    server = readme_server_block()
    for line in server.splitlines():
        if line.strip().startswith("ssl_certificate"):
            server = server.replace(line + "\n", "")
    server = (server.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
              .replace("server_name family.example.org;", "server_name localhost;")
              .replace("root /srv/www/family;", f"root {site_dir};")
              .replace("127.0.0.1:8081", f"127.0.0.1:{door_port}"))  # fmt: skip
    return f"""
daemon off;
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy; fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
{server}
}}
"""


@contextlib.contextmanager
def nginx(folder: Path, *, port: int, site_dir: Path, door_port: int) -> Iterator[str]:
    """A real nginx on 127.0.0.1:`port` in front of `site_dir` and the door; yields its base URL."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "nginx.conf"
    config.write_text(nginx_config(folder, port=port, site_dir=site_dir, door_port=door_port))
    server = subprocess.Popen([NGINX, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: listening(port) or server.poll() is not None, timeout=20, what="nginx to listen")
        if server.poll() is not None:
            raise AssertionError(f"nginx stopped: {server.stderr.read().decode()}")
        yield f"http://localhost:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
