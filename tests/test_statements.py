"""Signed statements for the web door, pure: their one exact form, and when they may open it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgsite.access.statements import (
    INVITE,
    LOGIN,
    Statement,
    StatementError,
    parse_statement,
    signature_problem,
    site_url,
    statement_problem,
)
from orgsite.model import SignatureCheck, SignatureStatus

NOW = 1_800_000_000
F = "F" * 40
LOGIN_STATEMENT = Statement(LOGIN, "https://family.example.org/", F, "n" * 43, NOW, NOW + 300)
INVITATION = Statement(INVITE, "https://family.example.org/", F, "i" * 43, NOW, NOW + 86400, "dana")


@pytest.mark.parametrize("statement", [LOGIN_STATEMENT, INVITATION])
def test_a_statement_reads_back_as_written(statement):
    assert parse_statement(statement.text().encode()) == statement


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (LOGIN_STATEMENT.text().replace("\n", "\r\n"), "not an orgsite sign-in or invitation"),
        (LOGIN_STATEMENT.text().replace("Z\n", "Z\r\n"), "must be a UTC time"),
        (LOGIN_STATEMENT.text().replace("site: ", "site:"), "should be 'site: …'"),
        (LOGIN_STATEMENT.text().replace(":00Z", ":0Z"), "exact form"),  # strptime would take it
        (LOGIN_STATEMENT.text().replace(F, F.lower()), "40 upper-case hex digits"),
        (LOGIN_STATEMENT.text().replace("n" * 43, "n" * 5), "nonce or invitation id is malformed"),
        (LOGIN_STATEMENT.text().replace("https://family.example.org/", "https://Family.example.org"), "exact form"),
        (LOGIN_STATEMENT.text() + "extra: 1\n", "exactly the lines"),
        (INVITATION.text().replace("dana", "Dana!"), "not a member's handle"),
        ("hello\n", "not an orgsite sign-in or invitation"),
        ("orgsite-login\n" + "x" * 3000, "over 2048 bytes"),
    ],
)
def test_anything_else_is_refused_saying_why(text, why):
    with pytest.raises(StatementError) as refused:
        parse_statement(text.encode())
    assert why in str(refused.value)


@given(st.binary(max_size=600))
def test_any_bytes_are_a_statement_in_its_exact_form_or_refused(data):
    try:
        statement = parse_statement(data)
    except StatementError as e:
        assert "\n" not in str(e)
    else:
        assert statement.text().encode() == data


@pytest.mark.parametrize(
    ("statement", "purpose", "now", "why"),
    [
        (LOGIN_STATEMENT, LOGIN, NOW + 10, None),
        (LOGIN_STATEMENT, INVITE, NOW, "not an orgsite-invite one"),
        (replace(LOGIN_STATEMENT, site="https://other.example/"), LOGIN, NOW, "for https://other.example/, not for"),
        (LOGIN_STATEMENT, LOGIN, NOW + 300, "has expired"),
        (replace(LOGIN_STATEMENT, expires_at=NOW + 301), LOGIN, NOW, "valid for longer than 5 minutes"),
        (replace(LOGIN_STATEMENT, issued_at=NOW + 120, expires_at=NOW + 300), LOGIN, NOW, "issued in the future"),
        (replace(LOGIN_STATEMENT, issued_at=NOW + 30, expires_at=NOW + 300), LOGIN, NOW, None),  # clock skew
        (INVITATION, INVITE, NOW + 86399, None),
        (replace(INVITATION, expires_at=NOW + 15 * 86400), INVITE, NOW, "valid for longer than"),
    ],
)
def test_when_a_statement_may_open_the_door(statement, purpose, now, why):
    problem = statement_problem(statement, purpose=purpose, site="https://FAMILY.example.org", now=now)
    assert (problem is None) if why is None else (why in (problem or "")), problem


def good(**changes):
    return replace(SignatureCheck(SignatureStatus.GOOD, F, NOW, None, 8), **changes)


@pytest.mark.parametrize(
    ("check", "why"),
    [
        (good(), None),
        (None, "no members yet"),
        (good(status=SignatureStatus.UNKNOWN_KEY), "not a member's"),
        (good(status=SignatureStatus.BAD), "signature is bad"),
        (good(hash_algorithm=2), "SHA-1"),
        (good(primary_fingerprint="E" * 40), "but is signed by"),
        (good(key_expires_at=NOW + 5), "the signing key has expired"),
        (good(status=SignatureStatus.GOOD_KEY_EXPIRED, key_expires_at=NOW + 5), "not accepted"),
        (good(signature_expires_at=NOW + 5), "the signature has expired"),
    ],
)
def test_the_signature_must_be_good_by_the_named_key_and_unexpired(check, why):
    problem = signature_problem(check, LOGIN_STATEMENT, NOW + 10)
    assert (problem is None) if why is None else (why in (problem or "")), problem


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://Family.Example.org", "https://family.example.org/"),
        ("http://localhost:8080/club", "http://localhost:8080/club/"),
        ("https://x.example/a/", "https://x.example/a/"),
    ],
)
def test_site_addresses_have_one_form(url, site):
    assert site_url(url) == site


@pytest.mark.parametrize("url", ["ftp://x.example/", "https://", "https://x.example/?a=1", "family.example.org"])
def test_what_is_not_a_site_address_is_refused(url):
    with pytest.raises(StatementError, match="is not a site address"):
        site_url(url)
