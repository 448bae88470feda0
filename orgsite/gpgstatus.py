"""What gpg's `[GNUPG:]` status lines say of one signature, as a `SignatureCheck`. Pure.

The most security-critical parser of orgsite: it alone turns gpg's verdict into facts the rules
trust. It reads only machine-readable status lines (never gpg's human messages, except as detail
for an uncheckable signature) and fails closed: anything it does not recognise is uncheckable.
"""

from __future__ import annotations

from orgsite.model import SignatureCheck, SignatureStatus

# A failure status wins over any good one in the same output.
_FAILURES = (
    ("BADSIG", SignatureStatus.BAD),
    ("REVKEYSIG", SignatureStatus.REVOKED),
    ("NO_PUBKEY", SignatureStatus.UNKNOWN_KEY),
    ("ERRSIG", SignatureStatus.UNCHECKABLE),
)


def status_lines(text: str) -> list[tuple[str, list[str]]]:
    """(keyword, arguments) of each `[GNUPG:]` line in gpg's status output."""
    lines = []
    for line in text.splitlines():
        if line.startswith("[GNUPG:] "):
            keyword, *args = line[9:].split() or [""]
            lines.append((keyword, args))
    return lines


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _errsig_key(status: list[tuple[str, list[str]]]) -> str | None:
    """The key a failed signature names (ERRSIG carries the fingerprint since gpg 2.2.7, else the key id)."""
    for keyword, args in status:
        if keyword == "ERRSIG" and args:
            return args[6] if len(args) >= 7 and args[6] != "-" else args[0]
    return None


def signature_check(text: str, signing_keys: dict[str, dict]) -> SignatureCheck:
    """The facts of one verification from gpg's status output.

    `signing_keys` maps each key's fingerprint (primary or subkey) to {"primary": fpr, "expires": ts}
    as the keyring's own key files say (per member's certificate); a signature by a subkey counts
    for its primary.
    """
    status = status_lines(text)
    keywords = {keyword for keyword, _ in status}
    facts: dict = {"signature_count": max(sum(1 for keyword, _ in status if keyword == "NEWSIG"), 1)}
    valid = next((args for keyword, args in status if keyword == "VALIDSIG"), None)
    if valid and len(valid) >= 8:
        known = signing_keys.get(valid[0], {})
        expires = _number(valid[3])
        facts.update(
            primary_fingerprint=valid[9] if len(valid) >= 10 else known.get("primary", valid[0]),
            signed_at=_number(valid[2]),
            key_expires_at=known.get("expires"),
            hash_algorithm=_number(valid[7]),
            signature_expires_at=expires or None,
        )
    for keyword, outcome in _FAILURES:
        if keyword in keywords:
            facts.setdefault("primary_fingerprint", _errsig_key(status))
            return SignatureCheck(outcome, **facts)
    if valid and "EXPSIG" in keywords:
        # gpg judges a signature's own expiry against today; orgsite judges it at push time.
        return SignatureCheck(SignatureStatus.GOOD_SIGNATURE_EXPIRED, **facts)
    if valid and "EXPKEYSIG" in keywords:
        return SignatureCheck(SignatureStatus.GOOD_KEY_EXPIRED, **facts)
    if valid and "GOODSIG" in keywords:
        return SignatureCheck(SignatureStatus.GOOD, **facts)
    said = next((line for line in text.splitlines() if line.startswith("gpg: ")), "no verdict")
    return SignatureCheck(SignatureStatus.UNCHECKABLE, detail=said[:200], **facts)
