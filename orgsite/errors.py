"""The one exception family of orgsite: an error's message is exactly what the user sees."""

from __future__ import annotations


class OrgsiteError(Exception):
    """Something the user must fix; `str(error)` says what, where and how."""


class ConfigError(OrgsiteError):
    """A community file (allowlist, community.toml) is malformed."""


class ContentError(OrgsiteError):
    """A post or other content file breaks the repository contract."""


class RepoError(OrgsiteError):
    """The Git repository cannot be opened, read or written as needed."""


class GpgError(OrgsiteError):
    """gpg could not do what was asked (missing key, unusable key file, gpg failure)."""
