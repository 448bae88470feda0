"""`orgsite login URL`: sign in to the community's site with the key one commits with."""

from __future__ import annotations

from pathlib import Path

from orgsite.access.client import sign_in_link
from orgsite.errors import OrgsiteError
from orgsite.gitcmd import config_value
from orgsite.gpg import UserKeys


def login(url: str, *, signing_key: str | None, repo_dir: Path) -> str:
    """A single-use sign-in link for the site at `url`, made with `signing_key` (else git's user.signingkey)."""
    spec = signing_key or config_value(repo_dir, "user.signingkey")
    if not spec:
        raise OrgsiteError("no signing key: pass --key FINGERPRINT, or run this in your clone of the community")
    return sign_in_link(url, UserKeys().secret_key(spec).fingerprint)
