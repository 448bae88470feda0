"""gpg's status lines to a SignatureCheck: the pure parser, on recorded output of each case."""

from __future__ import annotations

import pytest

from orgsite.gpgstatus import signature_check
from orgsite.model import SignatureStatus

PRIMARY = "5259DC657BE9B749B990E813538D2CA9776FCEAC"
SUBKEY = "7EF8124CA97554354BBDAFC20E57E2BD70ADDADB"
KEYS = {
    PRIMARY: {"primary": PRIMARY, "expires": None},
    SUBKEY: {"primary": PRIMARY, "expires": 1_900_000_000},
}
VALID_BY_SUBKEY = f"[GNUPG:] VALIDSIG {SUBKEY} 2026-11-30 1795999728 0 4 0 22 8 00 {PRIMARY}"
VALID = f"[GNUPG:] VALIDSIG {PRIMARY} 2026-11-30 1795999728 0 4 0 22 8 00 {PRIMARY}"


def recorded(*lines: str) -> str:
    return "\n".join(["[GNUPG:] NEWSIG", f"[GNUPG:] KEY_CONSIDERED {PRIMARY} 0", *lines]) + "\n"


@pytest.mark.parametrize(
    ("output", "status", "facts"),
    [
        (
            recorded("[GNUPG:] GOODSIG 0E57E2BD70ADDADB Bob <b@x>", VALID_BY_SUBKEY, "[GNUPG:] TRUST_UNDEFINED 0 pgp"),
            SignatureStatus.GOOD,
            {"primary_fingerprint": PRIMARY, "signed_at": 1795999728, "key_expires_at": 1_900_000_000,
             "hash_algorithm": 8, "signature_count": 1},
        ),
        (
            recorded("[GNUPG:] EXPKEYSIG 538D2CA9776FCEAC Bob <b@x>", VALID),
            SignatureStatus.GOOD_KEY_EXPIRED,
            {"primary_fingerprint": PRIMARY, "signed_at": 1795999728},
        ),
        (
            recorded("[GNUPG:] EXPSIG 538D2CA9776FCEAC Bob <b@x>", VALID.replace(" 0 4 ", " 1795999729 4 ")),
            SignatureStatus.GOOD_SIGNATURE_EXPIRED,
            {"signature_expires_at": 1795999729},
        ),
        (
            recorded("[GNUPG:] REVKEYSIG 538D2CA9776FCEAC Bob <b@x>", VALID),
            SignatureStatus.REVOKED,
            {"primary_fingerprint": PRIMARY},
        ),
        (
            recorded("[GNUPG:] BADSIG 538D2CA9776FCEAC Bob <b@x>"),
            SignatureStatus.BAD,
            {"primary_fingerprint": None},
        ),
        (
            recorded(f"[GNUPG:] ERRSIG 538D2CA9776FCEAC 22 8 00 1795999728 9 {PRIMARY}",
                     "[GNUPG:] NO_PUBKEY 538D2CA9776FCEAC"),
            SignatureStatus.UNKNOWN_KEY,
            {"primary_fingerprint": PRIMARY},
        ),
        (
            recorded("[GNUPG:] ERRSIG 538D2CA9776FCEAC 22 8 00 1795999728 4 -"),
            SignatureStatus.UNCHECKABLE,
            {"primary_fingerprint": "538D2CA9776FCEAC"},
        ),
        (
            recorded("[GNUPG:] GOODSIG 538D2CA9776FCEAC Bob <b@x>", VALID, "[GNUPG:] NEWSIG",
                     "[GNUPG:] GOODSIG 538D2CA9776FCEAC Bob <b@x>", VALID),
            SignatureStatus.GOOD,
            {"signature_count": 2},
        ),
        (
            recorded("[GNUPG:] GOODSIG 538D2CA9776FCEAC Bob <b@x>", VALID.replace(" 22 8 00 ", " 22 2 00 ")),
            SignatureStatus.GOOD,
            {"hash_algorithm": 2},
        ),
        (
            "garbage\ngpg: no valid OpenPGP data found.\n[GNUPG:] NODATA 1\n",
            SignatureStatus.UNCHECKABLE,
            {"detail": "gpg: no valid OpenPGP data found.", "primary_fingerprint": None},
        ),
        ("", SignatureStatus.UNCHECKABLE, {"detail": "no verdict"}),
        ("[GNUPG:] GOODSIG 538D2CA9776FCEAC Bob <b@x>\n", SignatureStatus.UNCHECKABLE, {}),  # no VALIDSIG: fail closed
    ],
)  # fmt: skip
def test_status_output_becomes_the_facts_the_rules_trust(output, status, facts):
    check = signature_check(output, KEYS)
    assert check.status is status
    for name, value in facts.items():
        assert getattr(check, name) == value, name
