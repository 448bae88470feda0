"""What the site derives from the history, as pure functions: membership changes between allowlists."""

from __future__ import annotations

import dataclasses

import pytest

from orgsite.model import Allowlist, Member, Role
from orgsite.site.history import MembershipChange, member_changes

ALICE = Member("alice", "Alice", "a@x", Role.OPERATOR, ("A" * 40,))
BOB = Member("bob", "Bob", "b@x", Role.MEMBER, ("B" * 40,))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, Allowlist((ALICE,)), [(MembershipChange.ADDED, "alice", "as operator")]),
        (Allowlist((ALICE,)), Allowlist((ALICE, BOB)), [(MembershipChange.ADDED, "bob", "as member")]),
        (Allowlist((ALICE, BOB)), Allowlist((ALICE,)), [(MembershipChange.REMOVED, "bob", "")]),
        (
            Allowlist((ALICE, BOB)),
            Allowlist((ALICE, dataclasses.replace(BOB, role=Role.OPERATOR))),
            [(MembershipChange.CHANGED, "bob", "role member → operator")],
        ),
        (
            Allowlist((ALICE, BOB)),
            Allowlist((ALICE, dataclasses.replace(BOB, fingerprints=("C" * 40,)))),
            [(MembershipChange.CHANGED, "bob", "keys changed")],
        ),
        (
            Allowlist((ALICE, BOB)),
            Allowlist((ALICE, dataclasses.replace(BOB, name="Robert"))),
            [(MembershipChange.CHANGED, "bob", "name or email changed")],
        ),
        (Allowlist((ALICE, BOB)), Allowlist((BOB, ALICE)), []),  # reordering changes nobody
        # A broken allowlist (None) in between reads as everyone leaving: the rules refuse such a commit,
        # and the site only derives events from accepted ones.
        (Allowlist((ALICE,)), None, [(MembershipChange.REMOVED, "alice", "")]),
    ],
)
def test_membership_changes_between_two_allowlists(before, after, expected):
    assert [(kind, m.handle, detail) for kind, m, detail in member_changes(before, after)] == expected
