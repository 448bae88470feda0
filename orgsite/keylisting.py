"""What one key file holds, from gpg's machine-readable listing (`--show-keys --with-colons`). Pure.

Every decision about key material is made per key file (per member's own certificate): a key file
that carries another member's key, even as a subkey, must never change how that member's
signatures are judged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyPart:
    """A primary key or a subkey: its fingerprint, expiry (seconds since the epoch) and revocation."""

    fingerprint: str
    expires_at: int | None
    revoked: bool
    can_sign: bool = True


@dataclass(frozen=True)
class Certificate:
    """One primary key with its own subkeys and user ids."""

    primary: KeyPart
    subkeys: tuple[KeyPart, ...]
    user_ids: tuple[str, ...]

    def fingerprints(self) -> set[str]:
        """The primary's and every subkey's fingerprint."""
        return {self.primary.fingerprint, *(sub.fingerprint for sub in self.subkeys)}


@dataclass(frozen=True)
class KeyFile:
    """The certificates of one armoured key file, and whether it holds secret key material."""

    certificates: tuple[Certificate, ...]
    has_secret: bool = False

    def fingerprints(self) -> set[str]:
        """Every fingerprint of every key in the file."""
        return {fpr for cert in self.certificates for fpr in cert.fingerprints()}


def _part(fields: list[str]) -> KeyPart:
    expires = fields[6] if len(fields) > 6 else ""
    usage = fields[11] if len(fields) > 11 else ""
    return KeyPart(
        fingerprint="",
        expires_at=int(expires) if expires.isdigit() else None,
        revoked=fields[1] == "r",
        can_sign="s" in usage.lower(),
    )


def _unescaped(field: str) -> str:
    # gpg writes ':' and '\\' in user ids as \x3a and \x5c; control characters stay escaped.
    return field.replace("\\x3a", ":").replace("\\x5c", "\\")


def parse_key_listing(text: str) -> KeyFile:
    """The certificates in gpg's `--with-colons` listing of one key file (unknown records are skipped)."""
    certificates: list[Certificate] = []
    has_secret = False
    pending: KeyPart | None = None  # waiting for its fpr record
    for line in text.splitlines():
        fields = line.split(":")
        record = fields[0]
        if record in ("pub", "sec", "sub", "ssb"):
            has_secret = has_secret or record in ("sec", "ssb")
            pending = _part(fields)
            if record in ("pub", "sec"):
                certificates.append(Certificate(pending, (), ()))
            elif not certificates:
                pending = None  # a subkey before any primary: not part of any certificate
            continue
        if record == "fpr" and pending is not None and len(fields) > 9 and certificates:
            part = KeyPart(fields[9].upper(), pending.expires_at, pending.revoked, pending.can_sign)
            cert = certificates[-1]
            if not cert.primary.fingerprint:
                certificates[-1] = Certificate(part, cert.subkeys, cert.user_ids)
            else:
                certificates[-1] = Certificate(cert.primary, (*cert.subkeys, part), cert.user_ids)
            pending = None
        elif record == "uid" and certificates and len(fields) > 9:
            cert = certificates[-1]
            certificates[-1] = Certificate(cert.primary, cert.subkeys, (*cert.user_ids, _unescaped(fields[9])))
    return KeyFile(tuple(c for c in certificates if c.primary.fingerprint), has_secret)


def files_to_leave_out(files: list[KeyFile]) -> set[int]:
    """Which key files (by index) a keyring must leave out so that no key is judged through another file.

    A primary key belongs to the one file where it is the primary: a file that carries it as a subkey
    is left out (this keeps the member whose key was copied able to sign). A primary claimed by two
    files, and a subkey found in two files, leave out every file involved. Unreadable files are left out.
    """
    primaries = Counter(cert.primary.fingerprint for f in files for cert in f.certificates)
    everywhere = Counter(fpr for f in files for fpr in f.fingerprints())
    left_out = set()
    for index, key_file in enumerate(files):
        if not key_file.certificates:
            left_out.add(index)
        for cert in key_file.certificates:
            if primaries[cert.primary.fingerprint] > 1 or any(
                everywhere[sub.fingerprint] > 1 or primaries[sub.fingerprint] for sub in cert.subkeys
            ):
                left_out.add(index)
    return left_out
