"""`orgsite join`: a new member's key (reused or generated) and what to hand the operator."""

from __future__ import annotations

import re
from pathlib import Path

from orgsite.allowlist import handle_problem
from orgsite.errors import ConfigError, OrgsiteError
from orgsite.gpg import UserKeys, inspect_key_file
from orgsite.sshkeys import parse_ssh_key

SSH_PUBLIC_KEYS = ("id_ed25519.pub", "id_ecdsa.pub", "id_ed25519_sk.pub", "id_ecdsa_sk.pub", "id_rsa.pub")


def default_handle(email: str) -> str:
    """A handle made from the email's local part (a-z, 0-9, '-')."""
    handle = re.sub(r"[^a-z0-9]+", "-", email.split("@")[0].lower()).strip("-")[:32].strip("-")
    return handle or "member"


def grouped(fingerprint: str) -> str:
    """A fingerprint in groups of four, as people read it out to each other."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def ssh_public_key(ssh_dir: Path) -> tuple[Path, str] | None:
    """The member's own SSH public key file and its line, when `ssh_dir` holds a usable one."""
    for name in SSH_PUBLIC_KEYS:
        path = ssh_dir / name
        try:
            line = path.read_text(encoding="utf-8").strip()
            parse_ssh_key(line)
        except (OSError, UnicodeDecodeError, ConfigError):
            continue
        return path, line
    return None


def join(name: str, email: str, *, handle: str | None, out: Path | None, passphrase: bool) -> str:
    """Find or make the member's signing key, write its public part to a file; returns what to do next."""
    handle = handle or default_handle(email)
    problem = handle_problem(handle)
    if problem:
        raise OrgsiteError(f"{problem}; pass --handle")
    keys = UserKeys()
    existing = keys.usable_secret_key_for(email)
    if existing is not None:
        fingerprint, how = existing.fingerprint, "Reusing your existing key"
    elif passphrase:
        fingerprint, how = keys.generate_with_pinentry(name, email), "Generated a new signing key"
    else:
        fingerprint, how = keys.generate(name, email), "Generated a new signing key (no passphrase)"
    out = out or Path(f"{handle}.asc")
    public = keys.export_public(fingerprint)
    if out.exists() and [k.fingerprint for k in inspect_key_file(out.read_bytes())] != [fingerprint]:
        raise OrgsiteError(f"{out} already exists and holds another key; pass --out or move it away")
    out.write_bytes(public)
    ssh = ssh_public_key(Path.home() / ".ssh")
    ssh_part = (
        f"\nFor git over SSH, also send your SSH public key {ssh[0]} (safe to send too):\n    {ssh[1]}\n"
        f"The operator then adds --ssh-key {ssh[0].name} to the command above."
        if ssh else ""
    )  # fmt: skip
    return (
        f"{how}: {fingerprint}\n"
        f"Wrote {out} (your public key only; it is safe to send).\n"
        f"Read this fingerprint to your operator over a channel you trust (in person, by phone):\n"
        f"    {grouped(fingerprint)}\n"
        f"The operator checks it and runs, in their clone:\n"
        f"    orgsite member add {handle} {out.name} --push\n"
        f"Then, in your clone (git clone <community URL>), sign every commit, also those a rebase rewrites:\n"
        f"    git config user.signingkey {fingerprint}\n"
        f"    git config commit.gpgsign true"
        f"{ssh_part}"
    )
