"""Signed statements that open the web door: a member's sign-in ("I, key F, sign in to site S with
nonce N") and an operator's invitation ("let member H in at site S, once"). Pure: text in, a
statement or the one-line reason it is refused out; the signature is checked elsewhere.

A statement is a few `name: value` lines under a first line naming its purpose, so a signature made
for one purpose or one site can never be taken for another.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from orgsite.model import SignatureCheck, SignatureStatus
from orgsite.policy import signature_problems

LOGIN = "orgsite-login"
INVITE = "orgsite-invite"
MAX_LOGIN_SECONDS = 5 * 60
MAX_INVITE_SECONDS = 14 * 24 * 3600
MAX_STATEMENT_BYTES = 2048
CLOCK_SKEW_SECONDS = 60  # a member's clock may run this far ahead of the server's
_FIELDS = {
    LOGIN: ("site", "fingerprint", "nonce", "issued-at", "expires-at"),
    INVITE: ("site", "fingerprint", "handle", "invitation", "issued-at", "expires-at"),
}
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}\Z")
_FINGERPRINT = re.compile(r"[0-9A-F]{40}\Z")
_HANDLE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}\Z")


class StatementError(ValueError):
    """Why a statement is refused: one line, safe to show to whoever sent it."""


@dataclass(frozen=True)
class Statement:
    """What a signed statement says: its purpose, the site, the signer's fingerprint, its lifetime,
    and the single-use token (a login's nonce, an invitation's id) with the invited handle."""

    purpose: str
    site: str
    fingerprint: str
    token: str
    issued_at: int
    expires_at: int
    handle: str = ""

    def text(self) -> str:
        """The exact bytes that are signed (UTF-8), one field a line."""
        values = {
            "site": self.site,
            "fingerprint": self.fingerprint,
            "nonce": self.token,
            "invitation": self.token,
            "handle": self.handle,
            "issued-at": _stamp(self.issued_at),
            "expires-at": _stamp(self.expires_at),
        }
        return "\n".join([self.purpose, *(f"{name}: {values[name]}" for name in _FIELDS[self.purpose])]) + "\n"


def site_url(url: str) -> str:
    """A site's address in the one form statements carry: scheme, lower-case host, port, path ending in /."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise StatementError(f"{url[:200]!r} is not a site address like https://family.example.org/")
    port = f":{parts.port}" if parts.port else ""
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.hostname.lower()}{port}{path}"


def _stamp(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(text: str, name: str) -> int:
    try:
        when = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise StatementError(f"'{name}' must be a UTC time like 2026-01-31T12:00:00Z") from None
    return int(when.timestamp())


def parse_statement(data: bytes) -> Statement:
    """The statement in `data`, exactly as `Statement.text` writes it; raises StatementError otherwise."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise StatementError(f"the statement is over {MAX_STATEMENT_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise StatementError("the statement is not UTF-8 text") from None
    lines = text.split("\n")
    purpose = lines[0]
    if purpose not in _FIELDS:
        raise StatementError("the statement is not an orgsite sign-in or invitation")
    names = _FIELDS[purpose]
    if len(lines) != len(names) + 2 or lines[-1] != "":
        raise StatementError(f"the statement must have exactly the lines {', '.join(names)}")
    fields = {}
    for name, line in zip(names, lines[1:-1], strict=True):
        key, sep, value = line.partition(": ")
        if key != name or not sep:
            raise StatementError(f"line '{line[:40]}' should be '{name}: …'")
        fields[name] = value
    if not _FINGERPRINT.match(fields["fingerprint"]):
        raise StatementError("'fingerprint' must be 40 upper-case hex digits")
    token = fields.get("nonce") or fields.get("invitation") or ""
    if not _TOKEN.match(token):
        raise StatementError("the statement's nonce or invitation id is malformed")
    handle = fields.get("handle", "")
    if purpose == INVITE and not _HANDLE.match(handle):
        raise StatementError("'handle' is not a member's handle")
    statement = Statement(purpose, site_url(fields["site"]), fields["fingerprint"], token,
                          _seconds(fields["issued-at"], "issued-at"), _seconds(fields["expires-at"], "expires-at"),
                          handle)  # fmt: skip
    if statement.text() != text:  # one spelling only: what is signed is what is read
        raise StatementError("the statement is not in orgsite's exact form")
    return statement


def statement_problem(statement: Statement, *, purpose: str, site: str, now: int) -> str | None:
    """Why this statement cannot open the door of `site` at `now` for `purpose` (None when it can)."""
    if statement.purpose != purpose:
        return f"this is an {statement.purpose} statement, not an {purpose} one"
    if statement.site != site_url(site):
        return f"this statement is for {statement.site}, not for this site ({site_url(site)})"
    longest = MAX_LOGIN_SECONDS if purpose == LOGIN else MAX_INVITE_SECONDS
    if statement.expires_at - statement.issued_at > longest:
        return f"this statement is valid for longer than {longest // 60} minutes; make a new one"
    if statement.issued_at > now + CLOCK_SKEW_SECONDS:
        return "this statement was issued in the future; check the clock of the computer that signed it"
    if now >= statement.expires_at:
        return "this statement has expired; make a new one"
    return None


def signature_problem(check: SignatureCheck | None, statement: Statement, now: int) -> str | None:
    """Why a statement's signature does not speak for the key it names, at `now` (None when it does):
    a good signature, by that very key, listed in the community's keys, neither key nor signature expired."""
    if check is None:
        return "this community has no members yet"
    if check.status is SignatureStatus.UNKNOWN_KEY:
        return "the statement is signed by a key that is not a member's"
    problems = signature_problems(check)
    if check.status is not SignatureStatus.GOOD or problems:
        return f"the statement's signature is not accepted: {problems[0] if problems else check.status.value}"
    if check.primary_fingerprint != statement.fingerprint:
        return f"the statement names key {statement.fingerprint} but is signed by {check.primary_fingerprint}"
    if check.key_expires_at is not None and now >= check.key_expires_at:
        return "the signing key has expired; extend it or use a new key"
    if check.signature_expires_at is not None and now >= check.signature_expires_at:
        return "the signature has expired; make a new one"
    return None
