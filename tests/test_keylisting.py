"""gpg's key listing read per key file, and which files a keyring must leave out: pure, table-driven."""

from __future__ import annotations

import pytest

from orgsite.keylisting import Certificate, KeyFile, KeyPart, files_to_leave_out, parse_key_listing

# `gpg --show-keys --with-colons` of a key with a signing subkey (recorded from gpg 2.2).
LISTING = """\
pub:-:255:22:3B2C6E142FF8D9BF:1795999054:::-:::scSC:::::ed25519:::0:
fpr:::::::::D4AA01404D6EDFF3B85D36EA3B2C6E142FF8D9BF:
uid:-::::1795999054::45C92A88CD59B7ACED9303E36B63ABC7F7746DF5::Test One <one@example.org>::::::::::0:
sub:-:255:22:0E57E2BD70ADDADB:1795999054:1796085454:::::s:::::ed25519::
fpr:::::::::7EF8124CA97554354BBDAFC20E57E2BD70ADDADB:
"""
REVOKED = LISTING.replace("pub:-:", "pub:r:")
SECRET = LISTING.replace("pub:", "sec:")


def test_a_listing_gives_the_certificate_with_its_subkeys():
    [cert] = parse_key_listing(LISTING).certificates
    assert cert.primary == KeyPart("D4AA01404D6EDFF3B85D36EA3B2C6E142FF8D9BF", None, False, True)
    assert cert.subkeys == (KeyPart("7EF8124CA97554354BBDAFC20E57E2BD70ADDADB", 1796085454, False, True),)
    assert cert.user_ids == ("Test One <one@example.org>",)


@pytest.mark.parametrize(
    ("text", "count", "revoked", "secret"),
    [
        (LISTING, 1, False, False),
        (REVOKED, 1, True, False),
        (SECRET, 1, False, True),
        (LISTING + LISTING.replace("D4AA", "AAAA"), 2, False, False),
        ("", 0, False, False),
        ("garbage\nsub:-:255:22:X:1::::::s:\nfpr:::::::::FFFF:\n", 0, False, False),
    ],
)
def test_listings_of_odd_files(text, count, revoked, secret):
    facts = parse_key_listing(text)
    assert len(facts.certificates) == count
    assert facts.has_secret is secret
    if count:
        assert facts.certificates[0].primary.revoked is revoked


def key_file(primary: str, *subkeys: str) -> KeyFile:
    part = lambda fpr: KeyPart(fpr * 40, None, False)  # noqa: E731
    return KeyFile((Certificate(part(primary), tuple(part(s) for s in subkeys), ()),))


@pytest.mark.parametrize(
    ("files", "left_out"),
    [
        ([key_file("A"), key_file("B", "C")], set()),
        ([key_file("A"), key_file("B", "A")], {1}),  # B's file carries A's primary: B's is left out, A signs on
        ([key_file("A", "C"), key_file("B", "C")], {0, 1}),  # one subkey in two files: neither can be trusted
        ([key_file("A"), key_file("A")], {0, 1}),  # the same primary twice
        ([key_file("A"), KeyFile(())], {1}),  # unreadable
    ],
)
def test_keyrings_leave_out_files_that_share_keys(files, left_out):
    assert files_to_leave_out(files) == left_out
