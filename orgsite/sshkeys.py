"""SSH public keys as the allowlist lists them (`ssh = ["ssh-ed25519 AAAA… dana@laptop"]`).

Pure: a line of text in, a checked key or a ConfigError out. Only the key itself (type and base64
blob) is ever written anywhere else: a member's comment never reaches `authorized_keys`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass

from orgsite.errors import ConfigError
from orgsite.textsafe import shown

MAX_KEY_LINE_CHARS = 4096  # an RSA-8192 key line is about 1,400 characters
MIN_RSA_BITS = 2048
# What a current OpenSSH accepts by default, security keys included; DSA and short RSA are not.
ACCEPTED_TYPES = (
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa",
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}\Z")


@dataclass(frozen=True)
class SshKey:
    """One SSH public key: its type and its base64 blob (the comment is not kept)."""

    type: str
    blob: str

    @property
    def line(self) -> str:
        """The key as `authorized_keys` and sshd write it: `<type> <base64>`."""
        return f"{self.type} {self.blob}"

    @property
    def fingerprint(self) -> str:
        """The key's SHA256 fingerprint as `ssh-keygen -l` prints it (`SHA256:…`, no padding)."""
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _strings(blob: bytes) -> list[bytes]:
    """The length-prefixed strings of an SSH wire-format blob (RFC 4251 §5)."""
    parts, at = [], 0
    while at < len(blob):
        if at + 4 > len(blob):
            raise ValueError("truncated length")
        (size,) = struct.unpack(">I", blob[at : at + 4])
        at += 4
        if at + size > len(blob):
            raise ValueError("truncated string")
        parts.append(blob[at : at + size])
        at += size
    return parts


def parse_ssh_key(text: object) -> SshKey:
    """The SSH public key in one `authorized_keys`-style line (`<type> <base64> [comment]`), checked
    to be well-formed and of an accepted type; raises ConfigError saying what is wrong."""
    if not isinstance(text, str) or len(text) > MAX_KEY_LINE_CHARS or not text.isprintable() or not text.strip():
        raise ConfigError(f"ssh key {shown(text)} must be one line: '<type> <base64> [comment]'")
    fields = text.split()
    if len(fields) < 2:
        raise ConfigError(f"ssh key {shown(text)} must be '<type> <base64> [comment]', as in a .pub file")
    key_type, blob_text = fields[0], fields[1]
    if key_type not in ACCEPTED_TYPES:
        raise ConfigError(f"ssh key type {shown(key_type)} is not accepted; use one of {', '.join(ACCEPTED_TYPES)}")
    try:
        if not _BASE64.match(blob_text):
            raise ValueError("not base64")
        parts = _strings(base64.b64decode(blob_text, validate=True))
    except (ValueError, binascii.Error):
        why = f"ssh key {shown(blob_text[:20])}…: the key data is not a well-formed {key_type} key"
        raise ConfigError(why) from None
    if not parts or parts[0] != key_type.encode():
        raise ConfigError(f"ssh key {shown(blob_text[:20])}…: the key data is not a {key_type} key")
    if key_type == "ssh-rsa" and (len(parts) != 3 or int.from_bytes(parts[2], "big").bit_length() < MIN_RSA_BITS):
        raise ConfigError(f"ssh key {shown(blob_text[:20])}…: RSA keys need at least {MIN_RSA_BITS} bits; use ed25519")
    return SshKey(key_type, blob_text)
