"""Throwaway gpg homes holding exactly the repository's public keys, and the signature checks made
with them. gpg is run directly (no python-gnupg): this is on every push's path, and each check is
one gpg process, with no version probe and no helper threads.

Verification never touches the user's or the server user's keyring: a `Keyring` holds exactly the
public keys it was built from.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from orgsite.errors import GpgError
from orgsite.gpgstatus import signature_check
from orgsite.keylisting import Certificate, KeyFile, KeyPart, files_to_leave_out, parse_key_listing
from orgsite.model import SignatureCheck

_GPG = ["gpg", "--batch", "--no-tty", "--no-autostart"]  # never start an agent or dirmngr
# Never consult the web of trust: we only ask "which key made this?". (Not for --show-keys, which then
# wants a trust database to list an expired key.)
_NO_TRUST = ["--trust-model", "always", "--no-auto-check-trustdb"]
_FACTS_FILE = "orgsite-keys.json"
_EXPORT_FILE = "orgsite-export.pgp"  # gpg's own view of the keys it holds, for the in-process check


def short_temp_home(parent: str | os.PathLike[str] | None = None) -> Path:
    """A new private (0700) directory for a gpg home, with a short name for gpg's socket-path limit."""
    return Path(tempfile.mkdtemp(prefix="osgpg-", dir=parent))


def stop_agents(home: str | os.PathLike[str]) -> None:
    """Stop whatever gpg daemons were started for `home` (a no-op when none run)."""
    with contextlib.suppress(OSError):
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)


def _gpg(home: Path, *args: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run([*_GPG, "--homedir", str(home), *args], input=data, capture_output=True, check=False)
    except FileNotFoundError as e:
        raise GpgError("gpg is not installed or not on PATH") from e


def key_file_facts(data: bytes) -> KeyFile:
    """What gpg reads in one armoured key file, without importing it anywhere (an empty scratch home)."""
    home = short_temp_home()
    try:
        result = _gpg(home, "--with-colons", "--show-keys", data=data)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return parse_key_listing(result.stdout.decode("utf-8", "replace"))


def _earliest(*stamps: int | None) -> int | None:
    present = [s for s in stamps if s is not None]
    return min(present) if present else None


class Keyring:
    """A gpg home with a fixed set of public keys (made by `cached_keyring`), used only to check signatures."""

    def __init__(self, home: Path) -> None:
        self.home = home
        facts = json.loads((home / _FACTS_FILE).read_text())
        self._signing_keys: dict[str, dict] = facts["signing_keys"]
        self._quick: tuple | None = None  # (Certificates, {fingerprint: SigningKey}), read when first needed

    def verify(self, signature: bytes, payload: bytes) -> SignatureCheck:
        """What gpg says of `signature` over `payload`, using only this keyring's keys."""
        with tempfile.NamedTemporaryFile(prefix="orgsite-sig-", suffix=".asc") as sig_file:
            sig_file.write(signature)
            sig_file.flush()
            result = _gpg(self.home, *_NO_TRUST, "--status-fd", "2", "--verify", sig_file.name, "-", data=payload)
        return signature_check(result.stderr.decode("utf-8", "replace"), self._signing_keys)

    def _export(self) -> bytes:
        """gpg's export of the keys it holds, made on first use (never on the hook's path) and kept."""
        export = self.home / _EXPORT_FILE
        if not export.exists():
            with tempfile.NamedTemporaryFile(dir=self.home, prefix=f"{_EXPORT_FILE}.", delete=False) as scratch:
                scratch.write(_gpg(self.home, "--export", data=b"").stdout)
            os.replace(scratch.name, export)  # whole or not at all, whoever else exports at the same time
        return export.read_bytes()

    def quick_verify(self, signature: bytes, payload: bytes, now: int) -> SignatureCheck | None:
        """What `verify` would say, when the signature is the common good case Sequoia confirms in
        process (see quick_signatures); None when only gpg can tell."""
        # Imported here: the hook, which asks gpg only, never loads Sequoia.
        from orgsite.quick_signatures import Certificates, SigningKey, quick_check

        if self._quick is None:
            keys = {fpr: SigningKey(k["primary"], k["expires"], k["quick"]) for fpr, k in self._signing_keys.items()}
            self._quick = (Certificates(self._export()), keys)
        return quick_check(*self._quick, signature, payload, now)


def _populate(home: Path, blocks: list[tuple[bytes, KeyFile]]) -> None:
    """Import the key `blocks` (each with what `key_file_facts` read in it) into the empty gpg home
    `home` and record which key belongs to which primary.

    Each block is read on its own first: a block sharing keys with another is left out (see
    keylisting.files_to_leave_out), so no key file can change how another member's key is judged
    (gpg would merge them into one certificate).
    """
    left_out = files_to_leave_out([facts for _, facts in blocks])
    signing_keys = {}
    for index, (block, facts) in enumerate(blocks):
        if index in left_out:
            continue  # unreadable, or shares keys with another file: its own signers verify as unknown
        _gpg(home, *_NO_TRUST, "--import", data=block)
        for cert in facts.certificates:
            primary = cert.primary
            signing_keys[primary.fingerprint] = _signing_key(primary, primary.expires_at, cert)
            for sub in cert.subkeys:
                signing_keys[sub.fingerprint] = _signing_key(primary, _earliest(primary.expires_at, sub.expires_at),
                                                             cert, sub)  # fmt: skip
    (home / _FACTS_FILE).write_text(json.dumps({"signing_keys": signing_keys}))


def _signing_key(primary: KeyPart, expires: int | None, cert: Certificate, sub: KeyPart | None = None) -> dict:
    """The facts kept of one key: its primary, when it expires, and whether the in-process check may
    vouch for its signatures (it can sign, and nothing in its certificate is revoked)."""
    key = sub or primary
    revoked = primary.revoked or any(part.revoked for part in cert.subkeys)
    return {"primary": primary.fingerprint, "expires": expires, "quick": key.can_sign and not revoked}


def cached_keyring(cache_dir: Path, key_set_id: str, key_files: Callable[[], list[tuple[bytes, KeyFile]]]) -> Keyring:
    """The keyring for one set of repository keys, built once into `cache_dir/<key_set_id>` and reused;
    `key_files` gives the key blocks with their facts, asked for only when the keyring is built.

    Built in a scratch directory and renamed into place, so concurrent pushes never see half a keyring.
    """
    final = cache_dir / key_set_id
    if (final / _FACTS_FILE).exists():
        return Keyring(final)
    cache_dir.mkdir(parents=True, exist_ok=True)
    scratch = short_temp_home(cache_dir)
    try:
        _populate(scratch, key_files())
        try:
            scratch.rename(final)
        except OSError:
            if not (final / _FACTS_FILE).exists():
                raise
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    return Keyring(final)
