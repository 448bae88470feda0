"""The community as of a commit: each file version parsed once, one failure policy, read from a real
repository (unsigned commits: the snapshot reads files, it judges nobody)."""

from __future__ import annotations

import pygit2
import pytest

from orgsite.allowlist import render_allowlist
from orgsite.errors import ConfigError
from orgsite.model import Allowlist, Member, Role
from orgsite.repo import INTRODUCTION_KEY, CommunityRepo
from orgsite.snapshot import DEFAULT_COMMUNITY, Snapshots, required_allowlist

ALICE = Member("alice", "Alice", "a@x", Role.OPERATOR, ("A" * 40,))
BOB = Member("bob", "Bob", "b@x", Role.MEMBER, ("B" * 40,))


class History:
    """A bare repository whose branch `main` gets one commit per `commit(files)` call."""

    def __init__(self, path):
        self.repo = CommunityRepo.create_bare(path, "main")
        self._git = pygit2.Repository(str(path))
        self.tip = None

    def commit(self, files: dict[str, bytes]) -> str:
        tree = self.repo.write_tree(files)
        who = pygit2.Signature("t", "t@x", 1_700_000_000, 0)
        parents = [self.tip] if self.tip else []
        self.tip = str(self._git.create_commit("refs/heads/main", who, who, "c", pygit2.Oid(hex=tree), parents))
        return self.tip


def allowlist(*members: Member) -> bytes:
    return render_allowlist(Allowlist(members)).encode()


@pytest.fixture
def history(tmp_path):
    return History(tmp_path / "community.git")


def test_each_version_is_parsed_once_and_commits_sharing_it_share_the_result(history):
    first = history.commit({"members/allowlist.toml": allowlist(ALICE), "community.toml": b'name = "Fam"\n'})
    second = history.commit({"members/allowlist.toml": allowlist(ALICE), "community.toml": b'name = "Family"\n'})
    snapshots = Snapshots(history.repo)
    assert snapshots.allowlist(first) is snapshots.allowlist(second)
    assert snapshots.allowlist(first).by_handle("alice") == ALICE
    assert (snapshots.community(first).name, snapshots.community(second).name) == ("Fam", "Family")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (None, None),
        (b"[[member]\n", "members/allowlist.toml: not valid TOML"),
        (b"caf\xe9 = 1\n", "members/allowlist.toml: not valid UTF-8 (byte 3)"),
        (allowlist(BOB), 'members/allowlist.toml: no operator is left; at least one member must have role "operator"'),
    ],
)
def test_a_missing_or_malformed_allowlist_is_absent_with_its_reason_kept(history, data, error):
    commit = history.commit({"members/allowlist.toml": data} if data is not None else {"community.toml": b'name="x"'})
    snapshots = Snapshots(history.repo)
    parsed = snapshots.allowlist_file(commit)
    assert parsed.value is None and snapshots.allowlist(commit) is None
    assert parsed.missing == (error is None)
    assert (parsed.error or "").startswith(error or "")
    with pytest.raises(ConfigError) as raised:
        required_allowlist(snapshots, commit, "clone")
    assert str(raised.value).startswith("clone")
    if error:
        assert error in str(raised.value) and "fix it in a commit signed by an operator" in str(raised.value)
    else:
        assert "has no members/allowlist.toml" in str(raised.value)


def test_a_malformed_community_toml_gives_the_defaults_and_its_reason(history):
    commit = history.commit({"community.toml": b"name = \n"})
    snapshots = Snapshots(history.repo)
    assert snapshots.community(commit) == DEFAULT_COMMUNITY
    assert snapshots.community_file(commit).error.startswith("community.toml: not valid TOML")


def test_everyone_ever_listed_with_every_key_they_had_skipping_broken_versions(history):
    history.commit({"members/allowlist.toml": allowlist(ALICE, BOB)})
    history.commit({"members/allowlist.toml": b"broken ="})
    bob_again = Member("bob", "Bob", "b@x", Role.MEMBER, ("C" * 40,))
    tip = history.commit({"members/allowlist.toml": allowlist(ALICE, bob_again)})
    assert Snapshots(history.repo).ever_listed(tip) == {"alice": {"A" * 40}, "bob": {"B" * 40, "C" * 40}}


def test_the_branch_comes_from_community_toml_else_from_head(tmp_path):
    plain = History(tmp_path / "plain.git")
    plain.commit({"community.toml": b'name = "x"\n'})
    assert Snapshots(plain.repo).branch() == "main"
    named = History(tmp_path / "named.git")
    named.commit({"community.toml": b'name = "x"\nbranch = "family"\n'})
    assert Snapshots(named.repo).branch() == "family"
    broken = History(tmp_path / "broken.git")
    broken.commit({"community.toml": b"branch = \n"})
    assert Snapshots(broken.repo).branch() == "main"


def test_the_introduction_is_given_else_configured_else_the_single_root(history):
    root = history.commit({"community.toml": b'name = "x"\n'})
    tip = history.commit({"community.toml": b'name = "y"\n'})
    snapshots = Snapshots(history.repo)
    assert snapshots.introduction(tip) == root
    assert snapshots.introduction(tip, given=tip) == tip
    history.repo.config_set(INTRODUCTION_KEY, tip)
    assert snapshots.introduction(None) == tip
