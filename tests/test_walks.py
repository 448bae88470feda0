"""A build walks only what a push added: the walk of a new tip is the last walk followed by the new
commits exactly when the rule says so, on any history (checked against libgit2's own walk)."""

from __future__ import annotations

import pygit2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgsite import walks
from orgsite.repo import CommunityRepo
from orgsite.walks import extends_walk

#   old tip "t"; new commits n1, n2, ...
PARENTS = {
    "line": {"n1": ["t"], "n2": ["n1"]},
    "merge of two new lines": {"n1": ["t"], "n2": ["t"], "n3": ["n1", "n2"]},
    "merge of an old commit": {"n1": ["t"], "n2": ["n1", "o"]},
    "new root": {"n1": [], "n2": ["t", "n1"]},
    "built on an older commit": {"n1": ["o"]},
}


@pytest.mark.parametrize(
    ("history", "new", "expected"),
    [
        ("line", ["n1", "n2"], True),
        ("merge of two new lines", ["n1", "n2", "n3"], True),
        ("merge of an old commit", ["n1", "n2"], False),  # its side branch can come before older commits
        ("new root", ["n1", "n2"], False),  # an unrelated history merged in
        ("built on an older commit", ["n1"], False),
        ("line", [], False),  # nothing new: the tip is not a descendant
    ],
)
def test_which_pushes_extend_the_last_walk(history, new, expected):
    assert extends_walk(new, PARENTS[history], "t") is expected


def commit(repo: pygit2.Repository, parents: list[pygit2.Oid], n: int) -> pygit2.Oid:
    who = pygit2.Signature("A", "a@example.org", 1_700_000_000 + 60 * (n % 7), 0)  # times repeat, out of order
    tree = repo.TreeBuilder().write()
    return repo.create_commit(None, who, who, f"commit {n}", tree, parents)


# A history: each step makes a commit on one of three lines, with one parent (the line's tip, or an
# earlier commit anywhere), as a merge of two lines' tips, or as a new root.
STEPS = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["on", "merge", "from earlier", "root"]), st.integers(0, 2),
              st.integers(0, 10**6)),  # fmt: skip
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(steps=STEPS, pick=st.integers(0, 10**6))
def test_the_rule_holds_on_any_history_libgit2_walks(tmp_path_factory, steps, pick):
    repo = pygit2.init_repository(str(tmp_path_factory.mktemp("walks")), bare=True)
    root = commit(repo, [], 0)
    made, lines = [root], [root, root, root]
    for n, (line, how, other, earlier) in enumerate(steps, start=1):
        if how == "on":
            parents = [lines[line]]
        elif how == "merge":
            parents = [lines[line], lines[other]] if lines[line] != lines[other] else [lines[line]]
        elif how == "from earlier":
            parents = [made[earlier % len(made)]]
        else:
            parents = []
        lines[line] = commit(repo, parents, n)
        made.append(lines[line])
    tip = str(lines[0])
    ours = CommunityRepo(repo.path)
    order = ours.walk(tip)
    old_tip = order[pick % len(order)]
    new = ours.walk(tip, hide=[old_tip])
    if extends_walk(new, {c: ours.parents(c) for c in new}, old_tip):
        assert order == ours.walk(old_tip) + new


def test_a_build_takes_the_walk_from_its_cache_and_gets_libgit2s(tmp_path):
    repo = pygit2.init_repository(str(tmp_path / "c.git"), bare=True)
    ours = CommunityRepo(repo.path)
    tips = [commit(repo, [], 0)]
    side = tips[0]
    built_on = []
    for n in range(1, 30):
        if n % 10 == 0:  # now and then a merge of a line begun long before
            tips.append(commit(repo, [tips[-1], side], n))
        else:
            tips.append(commit(repo, [tips[-1]], n))
        if n % 4 == 0:
            side = commit(repo, [side], 100 + n)
        walked = walks.walk(ours, str(tips[-1]))
        assert walked.order == ours.walk(str(tips[-1]))
        built_on.append(walked.built_on)
    assert [n for n, old in enumerate(built_on, start=1) if old is None] == [1, 10, 20]  # the first, and merges
    assert built_on[1:4] == [str(tips[1]), str(tips[2]), str(tips[3])]
    assert walks.walk(ours, str(tips[12])) == walks.Walk(ours.walk(str(tips[12])))  # an older tip (a force push)
    assert walks.walk(ours, str(tips[-1])) == walks.Walk(ours.walk(str(tips[-1])))
    assert walks.walk(ours, str(tips[-1])) == walks.Walk(ours.walk(str(tips[-1])), str(tips[-1]))  # the same again
