"""The only home of python-gnupg: throwaway keyrings built from repository keys, and the user's own keys.

Verification never touches the user's or the server user's keyring: a `Keyring` holds exactly the
public keys it was built from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import gnupg

from orgsite.errors import GpgError
from orgsite.gpgstatus import signature_check
from orgsite.keylisting import KeyFile, files_to_leave_out, parse_key_listing
from orgsite.model import SignatureCheck

# Never start an agent or dirmngr, never consult the web of trust: we only ask "which key made this?".
_VERIFY_OPTIONS = ["--no-autostart", "--trust-model", "always", "--no-auto-check-trustdb"]
_FACTS_FILE = "orgsite-keys.json"
_UID = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<comment>.*)\)\s*)?<(?P<email>[^<>]+)>$")


def short_temp_home(parent: str | os.PathLike[str] | None = None) -> Path:
    """A new private (0700) directory for a gpg home, with a short name for gpg's socket-path limit."""
    return Path(tempfile.mkdtemp(prefix="osgpg-", dir=parent))


def stop_agents(home: str | os.PathLike[str]) -> None:
    """Stop whatever gpg daemons were started for `home` (a no-op when none run)."""
    with contextlib.suppress(OSError):
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)


def _expiry(value: str) -> int | None:
    return int(value) if value else None


def _earliest(*stamps: int | None) -> int | None:
    present = [s for s in stamps if s is not None]
    return min(present) if present else None


@dataclass(frozen=True)
class KeyInfo:
    """One primary key as gpg lists it."""

    fingerprint: str
    user_ids: tuple[str, ...]
    expires_at: int | None
    revoked: bool
    has_secret: bool = False

    @property
    def expired(self) -> bool:
        """True once the key's expiry time has passed."""
        return self.expires_at is not None and self.expires_at <= time.time()

    def name_and_email(self) -> tuple[str, str]:
        """Name and email of the first user id that has both; raises GpgError when none has."""
        for uid in self.user_ids:
            match = _UID.match(uid.strip())
            if match and match["name"]:
                return match["name"], match["email"]
        raise GpgError(f"key {self.fingerprint} has no user id of the form 'Name <email>'")


def _key_infos(listing: Iterable[dict], *, secret: bool = False) -> list[KeyInfo]:
    return [
        KeyInfo(
            fingerprint=k["fingerprint"],
            user_ids=tuple(k.get("uids", ())),
            expires_at=_expiry(k.get("expires", "")),
            revoked=k.get("trust") == "r",
            has_secret=secret,
        )
        for k in listing
    ]


class Keyring:
    """A gpg home with a fixed set of public keys (made by `cached_keyring`),
    used only to check signatures."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._gpg = gnupg.GPG(gnupghome=str(home), options=_VERIFY_OPTIONS)
        facts = json.loads((home / _FACTS_FILE).read_text())
        self._signing_keys: dict[str, dict] = facts["signing_keys"]

    def verify(self, signature: bytes, payload: bytes) -> SignatureCheck:
        """What gpg says of `signature` over `payload`, using only this keyring's keys."""
        with tempfile.NamedTemporaryFile(prefix="orgsite-sig-", suffix=".asc") as sig_file:
            sig_file.write(signature)
            sig_file.flush()
            result = self._gpg.verify_data(sig_file.name, payload)
        return signature_check(result.stderr or "", self._signing_keys)


def key_file_facts(data: bytes) -> KeyFile:
    """What gpg reads in one armoured key file, without importing it anywhere (an empty scratch home)."""
    home = short_temp_home()
    try:
        result = subprocess.run(
            ["gpg", "--homedir", str(home), "--batch", "--no-autostart", "--with-colons", "--show-keys"],
            input=data,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as e:
        raise GpgError("gpg is not installed or not on PATH") from e
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return parse_key_listing(result.stdout.decode("utf-8", "replace"))


def _populate(home: Path, blocks: list[tuple[bytes, KeyFile]]) -> None:
    """Import the key `blocks` (each with what `key_file_facts` read in it) into the empty gpg home
    `home` and record which key belongs to which primary.

    Each block is read on its own first: a block sharing keys with another is left out (see
    keylisting.files_to_leave_out), so no key file can change how another member's key is judged
    (gpg would merge them into one certificate).
    """
    left_out = files_to_leave_out([facts for _, facts in blocks])
    gpg = gnupg.GPG(gnupghome=str(home), options=_VERIFY_OPTIONS)
    signing_keys = {}
    for index, (block, facts) in enumerate(blocks):
        if index in left_out:
            continue  # unreadable, or shares keys with another file: its own signers verify as unknown
        gpg.import_keys(block)
        for cert in facts.certificates:
            primary = cert.primary
            signing_keys[primary.fingerprint] = {"primary": primary.fingerprint, "expires": primary.expires_at}
            for sub in cert.subkeys:
                signing_keys[sub.fingerprint] = {
                    "primary": primary.fingerprint,
                    "expires": _earliest(primary.expires_at, sub.expires_at),
                }
    (home / _FACTS_FILE).write_text(json.dumps({"signing_keys": signing_keys}))


def cached_keyring(
    cache_dir: Path, key_set_id: str, key_files: Callable[[], list[tuple[bytes, KeyFile]]]
) -> Keyring:
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


def key_infos(facts: KeyFile) -> list[KeyInfo]:
    """The primary keys of a key file as KeyInfo records (expiry, revocation, user ids)."""
    return [
        KeyInfo(cert.primary.fingerprint, cert.user_ids, cert.primary.expires_at, cert.primary.revoked)
        for cert in facts.certificates
    ]


def inspect_key_file(data: bytes) -> list[KeyInfo]:
    """The primary keys an armoured key file holds, with gpg's view of their expiry and revocation."""
    return key_infos(key_file_facts(data))


class UserKeys:
    """The user's own gpg keyring (GNUPGHOME or gpg's default), read only to find and export their keys."""

    def __init__(self) -> None:
        self._gpg = gnupg.GPG(gnupghome=os.environ.get("GNUPGHOME"))

    def secret_key(self, spec: str) -> KeyInfo:
        """The key `spec` (fingerprint, key id or email) names, which must have its secret part here."""
        wanted = spec.strip().rstrip("!")
        public = self._gpg.list_keys(keys=[wanted])
        if not public:
            raise GpgError(f"no key {spec!r} in your gpg keyring; check `gpg --list-secret-keys`")
        if len(public) > 1:
            raise GpgError(f"{spec!r} matches {len(public)} keys; give the full fingerprint")
        info = _key_infos(public)[0]
        if not self._gpg.list_keys(secret=True, keys=[info.fingerprint]):
            raise GpgError(f"key {info.fingerprint} has no secret part in your keyring, so it cannot sign")
        return dataclasses.replace(info, has_secret=True)

    def usable_secret_key_for(self, email: str) -> KeyInfo | None:
        """The newest unexpired, unrevoked key with a secret part for exactly `email`, if any."""
        wanted = [f"<{email}>"]
        secret = {k["fingerprint"] for k in self._gpg.list_keys(secret=True, keys=wanted)}
        usable = [
            k
            for k in _key_infos(self._gpg.list_keys(keys=wanted))
            if k.fingerprint in secret and not k.revoked and not k.expired
        ]
        return dataclasses.replace(usable[-1], has_secret=True) if usable else None

    def generate_with_pinentry(self, name: str, email: str) -> str:
        """A new ed25519 signing key whose passphrase gpg asks for itself (pinentry); returns its fingerprint."""
        result = subprocess.run(["gpg", "--quick-generate-key", f"{name} <{email}>", "ed25519", "sign", "never"],
                                check=False)  # fmt: skip
        key = self.usable_secret_key_for(email)
        if result.returncode != 0 or key is None:
            raise GpgError(f"gpg could not generate a key for {name} <{email}> (exit {result.returncode})")
        return key.fingerprint

    def generate(self, name: str, email: str, *, passphrase: str | None = None) -> str:
        """A new ed25519 signing key for name/email (no passphrase when None); returns its fingerprint."""
        spec = self._gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            key_usage="sign",
            name_real=name,
            name_email=email,
            expire_date="0",
            passphrase=passphrase or "",
            no_protection=passphrase is None,
        )
        result = self._gpg.gen_key(spec)
        if not result.fingerprint:
            raise GpgError(f"gpg could not generate a key for {name} <{email}>: {result.stderr.strip()[-200:]}")
        return result.fingerprint

    def sign_detached(self, fingerprint: str, data: bytes) -> bytes:
        """A binary detached signature of `data` by `fingerprint` (gpg asks for a passphrase itself, as
        when git signs a commit)."""
        result = subprocess.run(["gpg", "--quiet", "--local-user", f"{fingerprint}!", "--detach-sign", "--output", "-"],
                                input=data, capture_output=True, check=False)  # fmt: skip
        if result.returncode != 0 or not result.stdout:
            last = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no signature"]
            raise GpgError(f"gpg could not sign with {fingerprint}: {last[0][:200]}")
        return result.stdout

    def export_public(self, fingerprint: str) -> bytes:
        """The ASCII-armoured public key `fingerprint`, minimal (no third-party signatures)."""
        text = self._gpg.export_keys(fingerprint, armor=True, minimal=True)
        if "BEGIN PGP PUBLIC KEY BLOCK" not in text:
            raise GpgError(f"gpg could not export public key {fingerprint}")
        return text.encode()
