"""Authorship by provenance, as scenarios written as data (in the manner of Guix's authentication
tests): each history is a list of commits, oldest first; the fold says who wrote what is at the tip."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orgsite.provenance import CommitWrites, lineages
from orgsite.walks import extends_walk


def commit(name, parents=(), written=None, taken=None):
    return CommitWrites(name, tuple(parents), dict(written or {}), dict(taken or {}))


INTRO = commit("intro")


def writers(history, path="posts/bob/x.md"):
    found = lineages(history).get(path)
    return found.writers if found else None


def test_a_post_and_its_edit():
    history = [INTRO, commit("B1", ["intro"], {"posts/bob/x.md": "v1"}), commit("B2", ["B1"], {"posts/bob/x.md": "v2"})]
    assert writers(history) == ("B1", "B2")


def test_an_everyday_pull_merge_keeps_the_author():
    # Carol pulls (merge, her commit first) after Bob posted: the post is still Bob's.
    history = [
        INTRO,
        commit("B", ["intro"], {"posts/bob/x.md": "v1"}),
        commit("C", ["intro"], {"posts/carol/y.md": "c1"}),
        commit("M", ["C", "B"], taken={"posts/bob/x.md": "v1"}),
    ]
    assert writers(history) == ("B",)
    assert writers(history, "posts/carol/y.md") == ("C",)


def test_a_merge_whose_first_parent_predates_the_post_does_not_take_it_over():
    history = [
        INTRO,
        commit("B", ["intro"], {"posts/bob/x.md": "v1"}),
        commit("M", ["intro", "B"], taken={"posts/bob/x.md": "v1"}),  # Mallory's merge, old first parent
    ]
    assert writers(history) == ("B",)


def test_refused_text_behind_a_merge_stays_in_the_lineage():
    # R (refused by the rules) rewrote Bob's post; a merge with Bob's next commit hides R from the
    # first-parent chain, whichever side it is on.
    base = [INTRO, commit("B1", ["intro"], {"posts/bob/x.md": "v1"}), commit("R", ["B1"], {"posts/bob/x.md": "evil"})]
    base.append(commit("B2", ["B1"], {"posts/bob/other.md": "o"}))
    assert writers([*base, commit("M", ["B2", "R"], taken={"posts/bob/x.md": "evil"})]) == ("B1", "R")
    assert writers([*base, commit("M", ["R", "B2"], taken={"posts/bob/other.md": "o"})]) == ("B1", "R")


def test_the_same_version_on_both_sides_keeps_both_lineages():
    history = [
        INTRO,
        commit("A", ["intro"], {"posts/bob/x.md": "v"}),
        commit("R", ["intro"], {"posts/bob/x.md": "v"}),  # the same bytes, written again elsewhere
        commit("M", ["A", "R"]),
    ]
    assert writers(history) == ("A", "R")


def test_a_merge_that_writes_a_path_joins_both_sides_and_itself():
    history = [
        INTRO,
        commit("B1", ["intro"], {"posts/bob/x.md": "v1"}),
        commit("B2", ["B1"], {"posts/bob/x.md": "v2"}),
        commit("B3", ["B1"], {"posts/bob/x.md": "v3"}),
        commit("M", ["B2", "B3"], {"posts/bob/x.md": "v4"}),
    ]
    assert writers(history) == ("B1", "B2", "B3", "M")


def test_a_deleted_then_recreated_file_starts_a_new_life():
    history = [
        INTRO,
        commit("B1", ["intro"], {"posts/bob/x.md": "v1"}),
        commit("B2", ["B1"], {"posts/bob/x.md": None}),
        commit("B3", ["B2"], {"posts/bob/x.md": "v3"}),
    ]
    assert writers(history) == ("B3",)


def test_a_clean_merge_that_deletes_takes_the_deletion():
    history = [
        INTRO,
        commit("B1", ["intro"], {"posts/bob/x.md": "v1"}),
        commit("B2", ["B1"], {"posts/bob/x.md": None}),
        commit("C", ["B1"], {"posts/carol/y.md": "c"}),
        commit("M", ["C", "B2"], taken={"posts/bob/x.md": None}),
    ]
    assert writers(history) is None


def test_a_side_branch_shared_by_two_children_is_not_disturbed():
    history = [
        INTRO,
        commit("B1", ["intro"], {"posts/bob/x.md": "v1"}),
        commit("B2", ["B1"], {"posts/bob/x.md": "v2"}),
        commit("C1", ["B1"], {"posts/carol/y.md": "c"}),  # B1 has two children: its map must be copied
        commit("M", ["B2", "C1"], taken={"posts/carol/y.md": "c"}),
    ]
    assert writers(history) == ("B1", "B2")
    assert writers(history, "posts/carol/y.md") == ("C1",)


PATHS = ["posts/bob/x.md", "posts/bob/y.md", "posts/carol/z.md"]
WRITES = st.dictionaries(st.sampled_from(PATHS), st.sampled_from(["v1", "v2", "v3", None]), max_size=2)


@st.composite
def histories(draw):
    """Commits oldest first, each on one or two earlier commits, writing and (merges) taking files."""
    history = [INTRO]
    for n in range(draw(st.integers(1, 12))):
        earlier = [c.commit for c in history]
        parents = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique=True))
        taken = draw(WRITES) if len(parents) == 2 else {}
        history.append(commit(f"c{n}", parents, draw(WRITES), taken))
    return history


@settings(max_examples=300, deadline=None)
@given(history=histories())
def test_the_fold_goes_on_from_a_kept_state_as_if_it_had_never_stopped(history):
    """A build keeps the lineages at its tip; the next folds only the commits a push added on top."""
    everything = lineages(history)
    position = {c.commit: n for n, c in enumerate(history)}
    for split in range(1, len(history)):
        head, tail = history[:split], history[split:]
        old_tip = head[-1].commit
        if extends_walk([c.commit for c in tail], {c.commit: c.parents for c in tail}, old_tip):
            kept = lineages(head)
            assert lineages(tail, start={old_tip: kept}, position=position) == everything
            assert kept == lineages(head)  # the kept state is read, never changed
