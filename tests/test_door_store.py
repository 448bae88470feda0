"""What the web door remembers: single use, expiry, bounds, and only digests of secrets on disk."""

from __future__ import annotations

import pytest

from orgsite.access import store as door_store
from orgsite.access.store import NONCE_SECONDS, SESSION_SECONDS, SIGN_IN_LINK_SECONDS, DoorStore, TooBusy

NOW = 1_800_000_000


@pytest.fixture
def store(tmp_path):
    opened = DoorStore(tmp_path / "door.sqlite")
    yield opened
    opened.close()


def test_nonces_and_sign_in_links_work_once_and_expire(store):
    nonce = store.issue_nonce(NOW)
    assert store.take_nonce(nonce, NOW + 1) and not store.take_nonce(nonce, NOW + 2)
    late = store.issue_nonce(NOW)
    assert not store.take_nonce(late, NOW + NONCE_SECONDS)
    link = store.issue_link("F" * 40, NOW)
    assert store.take_link(link, NOW + 1) == "F" * 40 and store.take_link(link, NOW + 2) is None
    assert store.take_link(store.issue_link("F" * 40, NOW), NOW + SIGN_IN_LINK_SECONDS) is None


def test_sessions_last_until_they_end_or_expire(store):
    session = store.new_session("F" * 40, NOW)
    assert store.session_fingerprint(session, NOW + 10) == "F" * 40
    assert store.session_fingerprint(session, NOW + SESSION_SECONDS) is None
    assert store.live_sessions(NOW) == 1
    store.end_session(session)
    assert store.session_fingerprint(session, NOW) is None and store.live_sessions(NOW) == 0
    assert store.session_fingerprint("made-up", NOW) is None


def test_invitations_are_used_once(store):
    assert store.use_invitation("inv-1", NOW) and not store.use_invitation("inv-1", NOW + 5)


def test_a_copy_of_the_database_opens_nothing(store, tmp_path):
    session = store.new_session("F" * 40, NOW)
    link = store.issue_link("F" * 40, NOW)
    raw = (tmp_path / "door.sqlite").read_bytes() + (tmp_path / "door.sqlite-wal").read_bytes()
    assert session.encode() not in raw and link.encode() not in raw
    assert oct((tmp_path / "door.sqlite").stat().st_mode & 0o777) == "0o600"


def test_strangers_cannot_grow_the_pending_nonces_without_bound(store, monkeypatch):
    monkeypatch.setattr(door_store, "MAX_PENDING", 3)
    for _ in range(3):
        store.issue_nonce(NOW)
    with pytest.raises(TooBusy):
        store.issue_nonce(NOW + 1)
    store.issue_nonce(NOW + NONCE_SECONDS)  # the expired ones make room
