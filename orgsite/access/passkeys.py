"""Passkeys for daily sign-in on phones (WebAuthn, through the `webauthn` package): a signed-in member
adds a device; later that device alone signs them in, for as long as they are listed."""

from __future__ import annotations

import base64
import json
import re
import secrets
from urllib.parse import urlsplit

import webauthn
from webauthn.helpers import exceptions as webauthn_errors
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from orgsite.access.store import DoorStore, Passkey
from orgsite.model import Member


class PasskeyError(Exception):
    """A passkey ceremony that failed; the message is one line for the member."""


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*\Z")


def unb64url(value: object) -> bytes | None:
    """The bytes of unpadded base64url text, or None when it is not exactly that."""
    if not isinstance(value, str) or not _BASE64URL.match(value) or len(value) % 4 == 1:
        return None
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _unb64(value: object) -> bytes:
    decoded = unb64url(value) if isinstance(value, str) and len(value) <= 2048 else None
    if decoded is None:
        raise PasskeyError("the passkey's answer is malformed")
    return decoded


class PasskeyDoor:
    """Registration and sign-in ceremonies for one site (its origin is the relying party)."""

    def __init__(self, store: DoorStore, *, site: str, name: str) -> None:
        parts = urlsplit(site)
        self.store = store
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.rp_id = parts.hostname or ""
        self.name = name

    def registration_options(self, member: Member, now: int) -> dict:
        """What the browser needs to make a passkey for `member`, with the handle of its challenge."""
        fingerprint = member.fingerprints[0]
        options = webauthn.generate_registration_options(
            rp_id=self.rp_id,
            rp_name=self.name,
            user_name=member.handle,
            user_id=fingerprint.encode(),
            user_display_name=member.name,
            challenge=secrets.token_bytes(32),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=i) for i in self.store.passkey_ids(fingerprint)],
        )
        handle = self.store.put_challenge(fingerprint, options.challenge, now)
        return {"handle": handle, "options": json.loads(webauthn.options_to_json(options))}

    def register(self, member: Member, data: dict, now: int) -> None:
        """Check the browser's new credential against the challenge and keep it; PasskeyError otherwise."""
        kept = self.store.take_challenge(str(data.get("handle", ""))[:200], now)
        if kept is None or kept[1] != member.fingerprints[0]:
            raise PasskeyError("this passkey request has expired; try again")
        try:
            verified = webauthn.verify_registration_response(
                credential=data.get("credential") or {}, expected_challenge=kept[0], expected_rp_id=self.rp_id,
                expected_origin=self.origin,
            )  # fmt: skip
        except (webauthn_errors.WebAuthnException, ValueError, KeyError, TypeError) as e:
            raise PasskeyError(f"the new passkey could not be checked: {str(e)[:200]}") from None
        key = Passkey(verified.credential_id, kept[1], verified.credential_public_key, verified.sign_count)
        self.store.add_passkey(key, now)

    def authentication_options(self, now: int) -> dict:
        """What the browser needs to sign in with any passkey of this site, with the challenge's handle."""
        options = webauthn.generate_authentication_options(
            rp_id=self.rp_id, challenge=secrets.token_bytes(32), user_verification=UserVerificationRequirement.PREFERRED
        )
        handle = self.store.put_challenge("", options.challenge, now)
        return {"handle": handle, "options": json.loads(webauthn.options_to_json(options))}

    def authenticate(self, data: dict, now: int) -> str:
        """The fingerprint of the member whose passkey answered the challenge; PasskeyError otherwise."""
        kept = self.store.take_challenge(str(data.get("handle", ""))[:200], now)
        if kept is None:
            raise PasskeyError("this sign-in request has expired; try again")
        credential = data.get("credential")
        if not isinstance(credential, dict):
            raise PasskeyError("the passkey's answer is malformed")
        key = self.store.passkey(_unb64(credential.get("rawId")))
        if key is None:
            raise PasskeyError("this passkey is not known here; sign in another way and add this device again")
        try:
            verified = webauthn.verify_authentication_response(
                credential=credential, expected_challenge=kept[0], expected_rp_id=self.rp_id,
                expected_origin=self.origin, credential_public_key=key.public_key,
                credential_current_sign_count=key.sign_count,
            )  # fmt: skip
        except (webauthn_errors.WebAuthnException, ValueError, KeyError, TypeError) as e:
            raise PasskeyError(f"the passkey's answer could not be checked: {str(e)[:200]}") from None
        self.store.count_passkey_use(key.id, verified.new_sign_count)
        return key.fingerprint
