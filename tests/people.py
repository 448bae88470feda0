"""Story helpers for tests: real gpg keys, real clones, real pushes through the installed hooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path


def run(
    *args: str,
    cwd: Path | None = None,
    check: bool = True,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run a real program; fail the test with its output when `check` and it fails."""
    result = subprocess.run(
        args, cwd=cwd, capture_output=True, input=input, env={**os.environ, **(env or {})}, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{args} failed ({result.returncode}):\n{result.stdout.decode()}\n{result.stderr.decode()}"
        )
    return result


def orgsite(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real `orgsite` command line as a user would (never raises; inspect returncode)."""
    result = subprocess.run(
        [sys.executable, "-m", "orgsite", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    return result


@dataclass(frozen=True)
class Key:
    """A real OpenPGP key in the session's GNUPGHOME."""

    name: str
    email: str
    fingerprint: str

    def export(self, home: Path | None = None) -> bytes:
        """The ASCII-armoured public key."""
        env = {"GNUPGHOME": str(home)} if home else None
        return run("gpg", "--armor", "--export", self.fingerprint, env=env).stdout


def generate_key(
    name: str, email: str, *, expire: str = "0", faked_time: int | None = None, signing_subkey: bool = False
) -> Key:
    """A new ed25519 signing key without passphrase in $GNUPGHOME."""
    params = textwrap.dedent(f"""\
        %no-protection
        Key-Type: eddsa
        Key-Curve: ed25519
        Key-Usage: sign
        Name-Real: {name}
        Name-Email: {email}
        Expire-Date: {expire}
        %commit
        """)
    fake = ["--faked-system-time", str(faked_time)] if faked_time else []
    run("gpg", "--batch", *fake, "--gen-key", input=params.encode())
    listing = run("gpg", "--with-colons", "--list-keys", f"<{email}>").stdout.decode()
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    if signing_subkey:
        run(
            "gpg",
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-add-key",
            fingerprint,
            "ed25519",
            "sign",
        )
    return Key(name, email, fingerprint)


@dataclass
class PushResult:
    """What `git push` did and printed."""

    ok: bool
    output: str

    def refusals(self) -> list[str]:
        """The `remote: orgsite: …` lines the pusher saw, without the `remote: ` prefix."""
        return [
            line.removeprefix("remote: ").strip()
            for line in self.output.splitlines()
            if line.startswith("remote: orgsite:")
        ]


class Person:
    """Somebody with a key and a clone of the community, using only git and gpg (and orgsite when asked)."""

    def __init__(self, handle: str, key: Key, clone: Path) -> None:
        self.handle = handle
        self.key = key
        self.clone = clone

    def git(self, *args: str, check: bool = True, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
        return run("git", *args, cwd=self.clone, check=check, input=input, env=env).stdout.decode().strip()

    def write(self, path: str, content: str | bytes) -> None:
        target = self.clone / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        target.write_bytes(content)

    def commit(self, message: str = "change", *, sign: bool = True, env: dict[str, str] | None = None) -> str:
        """Stage everything and commit (signed with this person's key unless `sign` is false)."""
        self.git("add", "--all")
        self.git("commit", "-q", "--allow-empty", "-S" if sign else "--no-gpg-sign", "-m", message, env=env)
        return self.head()

    def post(
        self,
        slug: str,
        title: str = "Hello",
        body: str = "Hi all.\n",
        *,
        sign: bool = True,
        handle: str | None = None,
        **front: str,
    ) -> str:
        """Write posts/<handle>/<slug>.md with front matter and commit it; returns the commit id."""
        # JSON strings are valid YAML scalars, so titles with ':' and the like stay well-formed.
        lines = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in {"title": title, **front}.items()]
        self.write(f"posts/{handle or self.handle}/{slug}.md", "---\n" + "\n".join(lines) + "\n---\n" + body)
        return self.commit(f"post {slug}", sign=sign)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def push(self, *args: str) -> PushResult:
        result = run("git", "push", *args, cwd=self.clone, check=False)
        return PushResult(result.returncode == 0, (result.stderr + result.stdout).decode())

    def pull(self) -> None:
        self.git("pull", "-q", "--no-rebase", "--no-edit")

    def raw_head(self) -> bytes:
        return run("git", "cat-file", "commit", "HEAD", cwd=self.clone).stdout

    def forge(self, raw: bytes) -> str:
        """Write `raw` as a commit object and move the branch to it (what a tampering client could do)."""
        oid = (
            run(
                "git",
                "hash-object",
                "--literally",
                "-t",
                "commit",
                "-w",
                "--stdin",
                cwd=self.clone,
                input=raw,
            )
            .stdout.decode()
            .strip()
        )
        self.git("update-ref", "HEAD", oid)
        return oid

    def orgsite(self, *args: str) -> subprocess.CompletedProcess:
        return orgsite(*args, cwd=self.clone)


def clone_as(bare: Path, where: Path, handle: str, key: Key) -> Person:
    """Clone the community and configure identity and signing key, as a new member would."""
    run("git", "clone", "-q", str(bare), str(where))
    person = Person(handle, key, where)
    person.git("config", "user.name", key.name)
    person.git("config", "user.email", key.email)
    person.git("config", "user.signingkey", key.fingerprint)
    return person


class Community:
    """A real bare community repository with hooks, its operator, two members and an outsider."""

    def __init__(self, bare: Path, people: dict[str, Person]) -> None:
        self.bare = bare
        self.alice = people["alice"]
        self.bob = people["bob"]
        self.carol = people["carol"]
        self.mallory = people["mallory"]

    def refs(self) -> dict[str, str]:
        out = run("git", "for-each-ref", "--format=%(refname) %(objectname)", cwd=self.bare).stdout.decode()
        return dict(line.split() for line in out.splitlines())

    def join(self, handle: str, key: Key, where: Path) -> Person:
        return clone_as(self.bare, where, handle, key)

    def verify(self, *args: str) -> subprocess.CompletedProcess:
        return orgsite("verify", str(self.bare), *args)
