"""The git door's pure decisions, table-driven: which lines go into authorized_keys, how they are
spliced among an operator's own lines, which SSH requests get through, and who may come in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgsite.access.authorized_keys import begin_marker, end_marker, key_lines, splice
from orgsite.access.gate import GitRequest, Refused, door_problem, parse_request
from orgsite.errors import ConfigError
from orgsite.model import Allowlist, Member, Peer, Role
from orgsite.sshkeys import parse_ssh_key
from tests.test_sshkeys import ECDSA, ED25519, ED25519_FINGERPRINT

REPO = "/srv/git/family.git"
ALICE = Member("alice", "Alice", "a@x", Role.OPERATOR, ("A" * 40,), (ED25519,))
DANA = Member("dana", "Dana", "d@x", Role.MEMBER, ("D" * 40,), (ECDSA,))
BOB = Member("bob", "Bob", "b@x", Role.MEMBER, ("B" * 40,))  # no SSH key: never in the file


def test_each_listed_key_may_only_run_orgsite_shell_for_its_member():
    lines = key_lines(Allowlist((ALICE, DANA, BOB)), python="/usr/bin/python3", repo=REPO)
    dana_key = parse_ssh_key(ECDSA)
    assert lines == [
        f'restrict,command="/usr/bin/python3 -P -m orgsite shell {REPO} alice --key {ED25519_FINGERPRINT}" '
        f"{parse_ssh_key(ED25519).line} orgsite:alice",
        f'restrict,command="/usr/bin/python3 -P -m orgsite shell {REPO} dana --key {dana_key.fingerprint}" '
        f"{dana_key.line} orgsite:dana",
    ]
    assert "me@" not in "".join(lines)  # a member's own comment never reaches the file


@pytest.mark.parametrize("repo", ["/srv/git/fam ily.git", '/srv/"x".git', "relative.git", "/srv/$(id).git", "/a\nb"])
def test_a_path_that_would_need_quoting_is_refused_not_quoted(repo):
    with pytest.raises(ConfigError, match="must be an absolute path"):
        key_lines(Allowlist((ALICE,)), python="/usr/bin/python3", repo=repo)


OTHER = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherOperatorsOwnLine admin"


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("", f"{begin_marker(REPO)}\nL1\n{end_marker(REPO)}\n"),
        (f"{OTHER}\n", f"{OTHER}\n{begin_marker(REPO)}\nL1\n{end_marker(REPO)}\n"),
        (
            f"{OTHER}\n{begin_marker(REPO)}\nOLD1\nOLD2\n{end_marker(REPO)}\n# after\n",
            f"{OTHER}\n{begin_marker(REPO)}\nL1\n{end_marker(REPO)}\n# after\n",
        ),
        (  # another community's block on the same server account is left alone
            f"{begin_marker('/srv/git/club.git')}\nCLUB\n{end_marker('/srv/git/club.git')}\n",
            f"{begin_marker('/srv/git/club.git')}\nCLUB\n{end_marker('/srv/git/club.git')}\n"
            f"{begin_marker(REPO)}\nL1\n{end_marker(REPO)}\n",
        ),
        (f"{OTHER}", f"{OTHER}\n{begin_marker(REPO)}\nL1\n{end_marker(REPO)}\n"),  # no final newline
    ],
)
def test_the_block_is_replaced_or_appended_and_every_other_line_kept(existing, expected):
    assert splice(existing, REPO, ["L1"]) == expected


@pytest.mark.parametrize(
    "existing",
    [
        f"{begin_marker(REPO)}\nL\n",  # begin without end
        f"L\n{end_marker(REPO)}\n",  # end without begin
        f"{end_marker(REPO)}\n{begin_marker(REPO)}\n",  # reversed
        f"{begin_marker(REPO)}\n{end_marker(REPO)}\n{begin_marker(REPO)}\n{end_marker(REPO)}\n",  # twice
    ],
)
def test_broken_markers_are_refused_rather_than_guessed(existing):
    with pytest.raises(ConfigError, match="markers for /srv/git/family.git are broken near line"):
        splice(existing, REPO, ["L1"])


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                        max_size=30), max_size=8))  # fmt: skip
def test_splicing_keeps_every_foreign_line_in_order(foreign):
    foreign = [line for line in foreign if "orgsite begin" not in line and "orgsite end" not in line]
    text = "\n".join(foreign) + ("\n" if foreign else "")
    once = splice(text, REPO, ["K1", "K2"])
    assert [row for row in once.splitlines() if row not in (begin_marker(REPO), end_marker(REPO), "K1", "K2")] == [
        row for row in foreign if row not in ("K1", "K2")
    ]
    assert splice(once, REPO, ["K1", "K2"]) == once  # syncing twice changes nothing
    assert splice(once, REPO, []).count("K1") == foreign.count("K1")  # a removal takes the member's line out


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("git-upload-pack '/srv/git/family.git'", GitRequest("git-upload-pack", "/srv/git/family.git")),
        ("git-receive-pack 'family.git'", GitRequest("git-receive-pack", "family.git")),
        ("git upload-pack '~/family.git'", GitRequest("git-upload-pack", "~/family.git")),
    ],
)
def test_git_fetches_and_pushes_are_recognised(command, expected):
    assert parse_request(command) == expected


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (None, "there is no shell here"),
        ("", "there is no shell here"),
        ("bash", "'bash' is not allowed"),
        ("git-upload-archive '/srv/git/family.git'", "'git-upload-archive' is not allowed"),
        ("git-upload-pack /srv/git/family.git; id", "is not allowed"),
        ("git-upload-pack 'unterminated", "not a git fetch or push"),
        ("scp -t /tmp", "'scp' is not allowed"),
    ],
)
def test_anything_but_a_git_fetch_or_push_is_refused_in_one_line(command, why):
    with pytest.raises(Refused) as refused:
        parse_request(command)
    assert why in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("path", "resolved"),
    [
        ("family.git", "/home/git/family.git"),
        ("~/family.git", "/home/git/family.git"),
        ("/srv/git/family.git/", "/srv/git/family.git"),
        ("../../srv/git/family.git", "/srv/git/family.git"),
    ],
)
def test_paths_are_resolved_as_the_ssh_session_sees_them(path, resolved):
    assert GitRequest("git-upload-pack", path).resolved("/home/git") == resolved


@pytest.mark.parametrize(
    ("allowlist", "handle", "key", "why"),
    [
        (Allowlist((ALICE, DANA)), "dana", parse_ssh_key(ECDSA).fingerprint, None),
        (Allowlist((ALICE,)), "dana", parse_ssh_key(ECDSA).fingerprint, "'dana' is not a member of this community"),
        (Allowlist((ALICE, DANA)), "dana", ED25519_FINGERPRINT, "no longer listed for 'dana'"),  # alice's key
        (Allowlist((ALICE, BOB)), "bob", ED25519_FINGERPRINT, "no longer listed for 'bob'"),
        (None, "alice", ED25519_FINGERPRINT, "allowlist cannot be read"),
    ],
)
def test_only_a_member_listed_now_with_this_key_comes_in(allowlist, handle, key, why):
    problem = door_problem(allowlist, handle, key, "git-receive-pack")
    assert (problem is None) if why is None else (why in (problem or ""))


SMITHS_KEY = ECDSA


@pytest.mark.parametrize(
    ("peers", "service", "key", "why"),
    [
        ((Peer("smiths", "c" * 40, (SMITHS_KEY,)),), "git-upload-pack", parse_ssh_key(ECDSA).fingerprint, None),
        ((Peer("smiths", "c" * 40, (SMITHS_KEY,)),), "git-receive-pack", parse_ssh_key(ECDSA).fingerprint,
         "may only fetch"),
        ((), "git-upload-pack", parse_ssh_key(ECDSA).fingerprint, "no longer granted read access"),
        ((Peer("smiths", "c" * 40, (SMITHS_KEY,)),), "git-upload-pack", ED25519_FINGERPRINT, "no longer listed"),
    ],
)  # fmt: skip
def test_a_peer_community_may_only_fetch_while_it_is_granted(peers, service, key, why):
    problem = door_problem(Allowlist((ALICE,), peers), "peer:smiths", key, service)
    assert (problem is None) if why is None else (why in (problem or "")), problem


def test_a_peer_gets_its_own_forced_command():
    allowlist = Allowlist((ALICE,), (Peer("smiths", "c" * 40, (SMITHS_KEY,)),))
    lines = key_lines(allowlist, python="/usr/bin/python3", repo=REPO)
    assert lines[1].startswith(f'restrict,command="/usr/bin/python3 -P -m orgsite shell {REPO} peer:smiths --key ')
    assert lines[1].endswith(" orgsite:peer:smiths")
