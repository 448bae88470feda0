"""Merges judged three-way, as pure table tests: for each path, (merge bases, the two sides, the result)
in, "did the merger write this?" out. No git, no gpg."""

from __future__ import annotations

import pytest

from orgsite import policy
from orgsite.model import Change, MergePath, Version

OLD = Version("1" * 40, 0o100644, 10)
NEW = Version("2" * 40, 0o100644, 12)
OTHER = Version("3" * 40, 0o100644, 14)
EXEC = Version("1" * 40, 0o100755, 10)  # the same bytes as OLD, another mode


@pytest.mark.parametrize(
    ("bases", "ours", "theirs", "result", "merger_wrote"),
    [
        # Git's clean outcomes: nothing of the merger's own.
        ((OLD,), OLD, OLD, OLD, False),  # neither side changed it
        ((OLD,), NEW, OLD, NEW, False),  # ours changed it, taken
        ((OLD,), OLD, NEW, NEW, False),  # theirs changed it, taken
        ((OLD,), NEW, NEW, NEW, False),  # both made the same change
        ((None,), None, NEW, NEW, False),  # theirs added it
        ((OLD,), OLD, None, None, False),  # theirs deleted it
        ((OLD,), None, None, None, False),  # both deleted it
        # The merger's own change.
        ((OLD,), NEW, OLD, OLD, True),  # ours' change reverted
        ((OLD,), OLD, NEW, OLD, True),  # theirs' change reverted
        ((OLD,), OLD, None, OLD, True),  # a deleted file resurrected
        ((None,), None, NEW, None, True),  # an addition dropped
        ((OLD,), NEW, OTHER, NEW, True),  # a conflict, resolved by taking one side
        ((OLD,), NEW, OTHER, OTHER, True),
        ((OLD,), NEW, OTHER, OLD, True),  # a conflict, resolved by taking the base
        ((OLD,), OLD, OLD, NEW, True),  # something neither side had ("evil merge")
        ((OLD,), OLD, OLD, EXEC, True),  # a mode nobody asked for
        # Merging an old commit already in the history (it changed nothing since the base, which is
        # itself): every path that differs from the current side is a rollback, the merger's own.
        ((OLD,), NEW, OLD, OLD, True),  # an allowlist rolled back to re-list a removed member
        ((None,), NEW, None, None, True),  # another member's newer post deleted
        # Criss-cross: clean only when clean against every base.
        ((OLD, NEW), NEW, NEW, NEW, False),
        ((OLD, NEW), NEW, OLD, NEW, True),  # against base NEW, the result reverts theirs
        ((OLD, OLD), NEW, OLD, NEW, False),
        # No common base at all (refused elsewhere as a second root): both sides' versions are additions.
        ((), NEW, None, NEW, False),
        ((), NEW, OTHER, NEW, True),
    ],
)
def test_merge_path_is_the_mergers_own_unless_it_is_the_clean_outcome(bases, ours, theirs, result, merger_wrote):
    assert policy.merge_wrote(MergePath("posts/bob/x.md", bases, (ours, theirs), result)) is merger_wrote


def test_merge_changes_are_the_written_paths_with_their_result():
    paths = [
        MergePath("posts/carol/gone.md", (OLD,), (OLD, OLD), None),
        MergePath("members/allowlist.toml", (OLD,), (NEW, OLD), OLD),
        MergePath("posts/bob/taken.md", (OLD,), (OLD, NEW), NEW),
    ]
    assert policy.merge_changes(paths) == [
        Change("members/allowlist.toml", False, OLD.mode, OLD.size, OLD.blob),
        Change("posts/carol/gone.md", deleted=True),
    ]


def test_octopus_merges_are_refused():
    from tests.test_policy import facts

    base = facts()
    octopus = policy.CommitFacts(**{**base.__dict__, "parent_count": 3})
    _, problems = policy.judge_commit(octopus)
    assert [p.message for p in problems] == ["merges 3 parents; octopus merges are refused, merge one at a time"]
