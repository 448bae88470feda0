"""Splitting a raw Git commit object into its signature and the bytes that were signed. Pure.

Fails closed: anything but exactly one OpenPGP signature in a `gpgsig` header is reported as a problem,
so odd objects never reach gpg with a payload that differs from what git would verify.
"""

from __future__ import annotations

from dataclasses import dataclass

_SIG_HEADERS = (b"gpgsig", b"gpgsig-sha256")
NOT_SIGNED = "is not signed; commit with `git commit -S`"
_OPENPGP_ARMOR = b"-----BEGIN PGP SIGNATURE-----"


@dataclass(frozen=True)
class SignedCommit:
    """A commit's signature and payload, or the reason none can be checked."""

    signature: bytes | None
    payload: bytes
    problem: str | None = None


def _header_blocks(raw: bytes) -> tuple[list[tuple[bytes, bytes, list[bytes]]], bytes]:
    """(name, value, raw lines) for each header, continuation lines folded in; then the message part."""
    head, sep, message = raw.partition(b"\n\n")
    blocks: list[tuple[bytes, bytes, list[bytes]]] = []
    for line in head.split(b"\n"):
        if line.startswith(b" ") and blocks:
            name, value, lines = blocks[-1]
            blocks[-1] = (name, value + b"\n" + line[1:], [*lines, line])
        else:
            name, _, value = line.partition(b" ")
            blocks.append((name, value, [line]))
    return blocks, sep + message


def split_signed_commit(raw: bytes) -> SignedCommit:
    """The detached signature in `raw` and the payload it must cover, as `git verify-commit` sees them."""
    blocks, rest = _header_blocks(raw)
    signatures = [value for name, value, _ in blocks if name == b"gpgsig"]
    sha256_signatures = [value for name, value, _ in blocks if name == b"gpgsig-sha256"]
    kept = [b"\n".join(lines) for name, _, lines in blocks if name not in _SIG_HEADERS]
    payload = b"\n".join(kept) + rest
    if len(signatures) > 1 or len(sha256_signatures) > 1:
        return SignedCommit(None, payload, "carries more than one signature header; exactly one is required")
    if signatures and sha256_signatures and signatures != sha256_signatures:
        return SignedCommit(None, payload, "has gpgsig and gpgsig-sha256 signatures that disagree")
    if not signatures:
        return SignedCommit(None, payload, NOT_SIGNED)
    signature = signatures[0] + b"\n"
    if not signature.startswith(_OPENPGP_ARMOR):
        return SignedCommit(None, payload, "is not signed with OpenPGP (SSH and X.509 signatures are not accepted)")
    return SignedCommit(signature, payload)
