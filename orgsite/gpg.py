"""The only home of python-gnupg: the user's own keys (find, generate, sign, export), and what gpg
reads in a key file. Checking signatures against repository keys is `keyring`'s."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass

import gnupg

from orgsite.errors import GpgError
from orgsite.keylisting import KeyFile
from orgsite.keyring import key_file_facts

_UID = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<comment>.*)\)\s*)?<(?P<email>[^<>]+)>$")


def _expiry(value: str) -> int | None:
    return int(value) if value else None


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
