"""The member's side of the web door: signing in with the key one commits with, and an operator's
invitation link. Statements are signed with the user's own gpg, as git signs their commits."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from orgsite.access.statements import (
    INVITE,
    LOGIN,
    MAX_INVITE_SECONDS,
    MAX_LOGIN_SECONDS,
    Statement,
    StatementError,
    site_url,
)
from orgsite.access.store import clock, new_secret
from orgsite.errors import OrgsiteError
from orgsite.gpg import UserKeys

TIMEOUT_SECONDS = 20


def b64url(data: bytes) -> str:
    """`data` as unpadded base64url (what links and the door's JSON carry)."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _site(url: str) -> str:
    try:
        return site_url(url)
    except StatementError as e:
        raise OrgsiteError(str(e)) from None


def _post_json(url: str, value: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(value).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) only)
            answer = json.loads(response.read(64 * 1024))
    except urllib.error.HTTPError as e:
        reason = e.read(1024).decode("utf-8", errors="replace").strip().splitlines()[:1] or [e.reason]
        raise OrgsiteError(f"{url} refused: {reason[0][:300]}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise OrgsiteError(f"cannot reach {url}: {getattr(e, 'reason', e)}") from None
    except ValueError:
        raise OrgsiteError(f"{url} did not answer as an orgsite door does; is this the community's address?") from None
    if not isinstance(answer, dict):
        raise OrgsiteError(f"{url} did not answer as an orgsite door does; is this the community's address?")
    return answer


def sign_in_link(url: str, fingerprint: str) -> str:
    """A single-use sign-in link for the site at `url`, for the member whose signing key is `fingerprint`."""
    site = _site(url)
    challenge = _post_json(f"{site}_orgsite/challenge", {})
    nonce = challenge.get("nonce")
    if challenge.get("site") != site or challenge.get("purpose") != LOGIN or not isinstance(nonce, str):
        raise OrgsiteError(f"{site} answered for another site ({str(challenge.get('site'))[:100]}); check the address")
    now = clock()
    statement = Statement(LOGIN, site, fingerprint, nonce, now, now + MAX_LOGIN_SECONDS)
    signature = UserKeys().sign_detached(fingerprint, statement.text().encode())
    answer = _post_json(f"{site}_orgsite/signin", {"statement": statement.text(), "signature": b64url(signature)})
    link = answer.get("url")
    if not isinstance(link, str) or not link.startswith(f"{site}_orgsite/session?token="):
        raise OrgsiteError(f"{site} did not give a sign-in link")
    return link


def invitation_link(url: str, operator_fingerprint: str, handle: str, *, hours: int) -> str:
    """A single-use invitation link letting `handle` in at the site `url`, signed by the operator."""
    site = _site(url)
    seconds = hours * 3600
    if not 0 < seconds <= MAX_INVITE_SECONDS:
        raise OrgsiteError(f"--hours must be between 1 and {MAX_INVITE_SECONDS // 3600}")
    now = clock()
    statement = Statement(INVITE, site, operator_fingerprint, new_secret(), now, now + seconds, handle)
    text = statement.text().encode()
    signature = UserKeys().sign_detached(operator_fingerprint, text)
    return f"{site}_orgsite/invite?s={b64url(text)}&sig={b64url(signature)}"
