"""The common case of a commit signature, checked in process with Sequoia (pysequoia); gpg decides the rest.

An audit or a build checks thousands of signatures that are almost all alike: one good signature by
a member's valid key. Starting a gpg process for each costs ~3.5 ms; Sequoia checks one in a fraction
of that. It is asked only to confirm that case, and only on gpg's own view of the keys (the keyring's
export): whenever the signature is anything else (bad, several, SHA-1, expiring, by a revoked or
expired or unknown key, a key that may not sign, or unparsable), `quick_check` answers None and the
caller asks gpg, which stays the reference. tests/test_quick_signatures.py shows both agree on every
case the rules tell apart.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import pysequoia
from pysequoia.packet import HashAlgorithm, PacketPile, SignatureType, Tag

from orgsite.model import SignatureCheck, SignatureStatus

# gpg's numbers for the digests the fast path accepts (RFC 4880 9.4): these reach the rules as gpg's do.
_STRONG_DIGESTS = ((HashAlgorithm.SHA256, 8), (HashAlgorithm.SHA384, 9), (HashAlgorithm.SHA512, 10))


# The armour gpg writes for a signature, exactly: no header lines, 64-column base64, a checksum line
# (and the blank line a commit's gpgsig header may end with).
# Sequoia reads looser armour than gpg does; anything else is left to gpg.
_ARMOR = re.compile(
    rb"-----BEGIN PGP SIGNATURE-----\n\n((?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/]{1,63}={0,2}\n|(?:[A-Za-z0-9+/]{64}\n)+)"
    rb"=([A-Za-z0-9+/]{4})\n-----END PGP SIGNATURE-----\n+"
)


def _dearmored(signature: bytes) -> bytes | None:
    """The packets of a signature in gpg's own armour, with a correct checksum; None for anything else."""
    match = _ARMOR.fullmatch(signature)
    if match is None:
        return None
    try:
        data = base64.b64decode(match.group(1).replace(b"\n", b""), validate=True)
        checksum = base64.b64decode(match.group(2), validate=True)
    except binascii.Error:
        return None
    return data if _crc24(data).to_bytes(3, "big") == checksum else None


def _crc24_table() -> list[int]:
    table = []
    for index in range(256):
        crc = index << 16
        for _ in range(8):
            crc = (crc << 1) ^ (0x1864CFB if crc & 0x800000 else 0)
        table.append(crc & 0xFFFFFF)
    return table


_CRC24_TABLE = _crc24_table()


def _crc24(data: bytes) -> int:
    """The armour checksum of RFC 4880 6.1."""
    crc = 0xB704CE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFF) ^ _CRC24_TABLE[(crc >> 16) ^ byte]
    return crc


@dataclass(frozen=True)
class SigningKey:
    """What gpg's listing says of one key that may sign: its primary, its expiry, and whether the fast
    path may vouch for it (it can sign and neither it nor its certificate carries a revocation)."""

    primary: str
    expires_at: int | None
    quick: bool


class Certificates:
    """gpg's exported certificates, parsed once, found by the key id a signature names."""

    def __init__(self, exported: bytes) -> None:
        self._by_key_id: dict[str, list[pysequoia.Cert]] = defaultdict(list)
        certs = pysequoia.Cert.split_bytes(exported) if exported else []
        cert: pysequoia.Cert | None = None
        primary = ""
        for packet in PacketPile.from_bytes(exported) if exported else ():
            if packet.tag == Tag.PublicKey:
                primary = packet.fingerprint.upper()
                # Sequoia's certificates follow gpg's export in order; one that does not is never used.
                cert = certs.pop(0) if certs and certs[0].fingerprint.upper() == primary else None
            if packet.tag in (Tag.PublicKey, Tag.PublicSubkey) and cert is not None:
                self._by_key_id[packet.fingerprint.upper()[-16:]].append(cert)

    def for_key_ids(self, key_ids: list[str]) -> list[pysequoia.Cert]:
        """The certificates holding any of `key_ids`, key ids or v4 fingerprints (Sequoia's store callback)."""
        return [cert for key_id in key_ids for cert in self._by_key_id.get(key_id.upper()[-16:], [])]


def quick_check(
    certificates: Certificates,
    signing_keys: Mapping[str, SigningKey],
    signature: bytes,
    payload: bytes,
    now: int,
) -> SignatureCheck | None:
    """GOOD with the facts gpg would report, when `signature` over `payload` is one plain good signature
    by a signing key of `signing_keys` that is neither revoked nor expired at `now`; otherwise None."""
    binary = _dearmored(signature)
    try:
        packets = list(PacketPile.from_bytes(binary)) if binary else []
    except Exception:  # noqa: BLE001 — whatever Sequoia cannot parse, gpg judges
        return None
    if len(packets) != 1:
        return None
    sig = packets[0]
    digest = next((number for algorithm, number in _STRONG_DIGESTS if sig.hash_algorithm == algorithm), None)
    issuer = (sig.issuer_fingerprint or "").upper()
    key = signing_keys.get(issuer)
    if (
        sig.tag != Tag.Signature
        or sig.signature_version != 4
        or sig.signature_type != SignatureType.Binary
        or sig.signature_expiration_time is not None
        or digest is None
        or key is None
        or not key.quick
        or (key.expires_at is not None and key.expires_at <= now)
    ):
        return None
    try:
        verified = pysequoia.verify(bytes=payload, signature=pysequoia.Sig.from_bytes(binary),
                                    store=certificates.for_key_ids)  # fmt: skip
    except Exception:  # noqa: BLE001 — Sequoia found no good signature: gpg says which failure it is
        return None
    found = [(v.certificate.upper(), v.signing_key.upper()) for v in verified.valid_sigs]
    if found != [(key.primary, issuer)]:
        return None
    return SignatureCheck(
        SignatureStatus.GOOD,
        primary_fingerprint=key.primary,
        signed_at=int(sig.signature_created.timestamp()),
        key_expires_at=key.expires_at,
        hash_algorithm=digest,
        signature_expires_at=None,
    )
