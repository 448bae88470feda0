"""What the web door remembers, in SQLite beside the repository's cache: single-use nonces and
sign-in links, sessions, used invitations, passkeys and their pending challenges.

Secrets that open something (session ids, sign-in links) are stored only as their SHA-256, so a
copy of the database opens nothing. Expired rows are dropped as new ones are made, and the number
of pending nonces and challenges is bounded: strangers cannot grow the file without limit.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MAX_PENDING = 10_000  # nonces or challenges waiting to be used, at most
SESSION_SECONDS = 30 * 24 * 3600
SIGN_IN_LINK_SECONDS = 120
NONCE_SECONDS = 300

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS links (hash TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (hash TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, created_at INTEGER NOT NULL,
                                     expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS invitations (id TEXT PRIMARY KEY, used_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS passkeys (id BLOB PRIMARY KEY, fingerprint TEXT NOT NULL, public_key BLOB NOT NULL,
                                     sign_count INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS challenges (hash TEXT PRIMARY KEY, challenge BLOB NOT NULL, fingerprint TEXT NOT NULL,
                                       expires_at INTEGER NOT NULL);
"""


class TooBusy(Exception):
    """Too many sign-ins are pending at once; try again in a few minutes."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """A random, URL-safe, unguessable token (256 bits)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Passkey:
    """A member's registered passkey: its credential id, public key, signature counter and owner."""

    id: bytes
    fingerprint: str
    public_key: bytes
    sign_count: int


class DoorStore:
    """The web door's state in one SQLite file; safe to share between a server's threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)
        path.chmod(0o600)

    def close(self) -> None:
        """Release the database."""
        self._db.close()

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _one(self, sql: str, args: tuple = ()) -> tuple | None:
        rows = self._rows(sql, args)
        return rows[0] if rows else None

    def _change(self, sql: str, args: tuple = ()) -> int:
        """Run one change; how many rows it changed."""
        with self._lock:
            return self._db.execute(sql, args).rowcount

    def _pending(self, table: str, now: int) -> None:
        self._change(f"DELETE FROM {table} WHERE expires_at <= ?", (now,))
        [(count,)] = self._rows(f"SELECT COUNT(*) FROM {table}")
        if count >= MAX_PENDING:
            raise TooBusy

    def issue_nonce(self, now: int) -> str:
        """A new single-use nonce for a sign-in statement, valid for NONCE_SECONDS."""
        self._pending("nonces", now)
        nonce = new_secret()
        self._change("INSERT INTO nonces VALUES (?, ?)", (nonce, now + NONCE_SECONDS))
        return nonce

    def take_nonce(self, nonce: str, now: int) -> bool:
        """True (once) when `nonce` was issued and has not expired; it can never be used again."""
        return self._change("DELETE FROM nonces WHERE nonce = ? AND expires_at > ?", (nonce, now)) == 1

    def issue_link(self, fingerprint: str, now: int) -> str:
        """A single-use sign-in secret for `fingerprint`, valid for SIGN_IN_LINK_SECONDS."""
        self._change("DELETE FROM links WHERE expires_at <= ?", (now,))
        secret = new_secret()
        row = (_digest(secret), fingerprint, now + SIGN_IN_LINK_SECONDS)
        self._change("INSERT INTO links VALUES (?, ?, ?)", row)
        return secret

    def take_link(self, secret: str, now: int) -> str | None:
        """The fingerprint a sign-in secret was issued to (once, before it expires), else None."""
        row = self._one(
            "DELETE FROM links WHERE hash = ? AND expires_at > ? RETURNING fingerprint", (_digest(secret), now)
        )
        return row[0] if row else None

    def use_invitation(self, invitation: str, now: int) -> bool:
        """True the first time an invitation id is used, False ever after."""
        return self._change("INSERT OR IGNORE INTO invitations VALUES (?, ?)", (invitation, now)) == 1

    def new_session(self, fingerprint: str, now: int) -> str:
        """A new session for `fingerprint`; returns its id (the cookie's value)."""
        self._change("DELETE FROM sessions WHERE expires_at <= ?", (now,))
        session = new_secret()
        row = (_digest(session), fingerprint, now, now + SESSION_SECONDS)
        self._change("INSERT INTO sessions VALUES (?, ?, ?, ?)", row)
        return session

    def session_fingerprint(self, session: str, now: int) -> str | None:
        """Whose live session `session` is, or None (unknown, ended or expired)."""
        row = self._one(
            "SELECT fingerprint FROM sessions WHERE hash = ? AND expires_at > ?", (_digest(session), now)
        )
        return row[0] if row else None

    def end_session(self, session: str) -> None:
        """Sign out: the session id opens nothing from now on."""
        self._change("DELETE FROM sessions WHERE hash = ?", (_digest(session),))

    def live_sessions(self, now: int) -> int:
        """How many sessions have not ended or expired."""
        [(count,)] = self._rows("SELECT COUNT(*) FROM sessions WHERE expires_at > ?", (now,))
        return count

    def put_challenge(self, fingerprint: str, challenge: bytes, now: int, seconds: int = 300) -> str:
        """Keep a passkey ceremony's challenge (for `fingerprint`, or "" when signing in); returns its handle."""
        self._pending("challenges", now)
        handle = new_secret()
        row = (_digest(handle), challenge, fingerprint, now + seconds)
        self._change("INSERT INTO challenges VALUES (?, ?, ?, ?)", row)
        return handle

    def take_challenge(self, handle: str, now: int) -> tuple[bytes, str] | None:
        """The challenge and fingerprint kept under `handle` (once, before it expires), else None."""
        row = self._one(
            "DELETE FROM challenges WHERE hash = ? AND expires_at > ? RETURNING challenge, fingerprint",
            (_digest(handle), now),
        )
        return (row[0], row[1]) if row else None

    def add_passkey(self, key: Passkey, now: int) -> None:
        """Remember a newly registered passkey."""
        row = (key.id, key.fingerprint, key.public_key, key.sign_count, now)
        self._change("INSERT INTO passkeys VALUES (?, ?, ?, ?, ?)", row)

    def passkey(self, credential_id: bytes) -> Passkey | None:
        """The registered passkey with this credential id, if any."""
        row = self._one(
            "SELECT id, fingerprint, public_key, sign_count FROM passkeys WHERE id = ?", (credential_id,)
        )
        return Passkey(*row) if row else None

    def passkey_ids(self, fingerprint: str) -> list[bytes]:
        """The credential ids of every passkey of `fingerprint`."""
        return [row[0] for row in self._rows("SELECT id FROM passkeys WHERE fingerprint = ?", (fingerprint,))]

    def count_passkey_use(self, credential_id: bytes, sign_count: int) -> None:
        """Record the authenticator's new signature counter after a sign-in."""
        self._change("UPDATE passkeys SET sign_count = ? WHERE id = ?", (sign_count, credential_id))


def clock() -> int:
    """The time every door decision uses, in whole seconds."""
    return int(time.time())
