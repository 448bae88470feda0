"""The pure rules, table-driven: no git, no gpg."""

from __future__ import annotations

import pytest

from orgsite import policy
from orgsite.allowlist import ALLOWLIST_PATH, parse_allowlist, render_allowlist
from orgsite.content import COMMUNITY_PATH, parse_community
from orgsite.model import Allowlist, Change, Limits, Member, Role, Rule, SignatureCheck, SignatureStatus, Verdict
from orgsite.snapshot import parse_file

ALICE = "A" * 40
BOB = "B" * 40
OPS = Allowlist(
    (Member("alice", "Alice", "a@x", Role.OPERATOR, (ALICE,)), Member("bob", "Bob", "b@x", Role.MEMBER, (BOB,)))
)
NOW = 1_800_000_000


def good(fpr=BOB, **kw):
    return SignatureCheck(SignatureStatus.GOOD, primary_fingerprint=fpr, signed_at=NOW - 10, hash_algorithm=8, **kw)


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (good(), []),
        (good(key_expires_at=NOW), []),
        (good(signature_count=2), ["carries 2 signatures; exactly one is required"]),
        (
            good().__class__(SignatureStatus.GOOD, BOB, NOW, None, 2),
            ["signature uses the broken SHA-1 digest; sign with SHA-256 or better"],
        ),
        (
            SignatureCheck(SignatureStatus.GOOD, BOB, NOW, None, 1),
            ["signature uses the broken MD5 digest; sign with SHA-256 or better"],
        ),
        (good(key_expires_at=NOW - 10), ["was signed with a key that had already expired"]),
        (SignatureCheck(SignatureStatus.GOOD_KEY_EXPIRED, BOB, NOW - 10, NOW - 5, 8), []),
        (
            SignatureCheck(SignatureStatus.GOOD_KEY_EXPIRED, BOB, NOW - 10, None, 8),
            ["was signed with a key that had already expired"],
        ),
        (SignatureCheck(SignatureStatus.BAD), ["signature is " + SignatureStatus.BAD.value]),
        (SignatureCheck(SignatureStatus.REVOKED), ["signature is made by a revoked key"]),
        # A signature that expired after it was made is judged at push time, not here.
        (
            SignatureCheck(
                SignatureStatus.GOOD_SIGNATURE_EXPIRED, BOB, NOW - 10, None, 8, signature_expires_at=NOW - 5
            ),
            [],
        ),
    ],
)
def test_signature_problems_judge_at_signature_time(check, expected):
    assert policy.signature_problems(check) == expected


@pytest.mark.parametrize(
    ("key_expires", "signature_expires", "message"),
    [
        (None, None, None),
        (NOW + 1, NOW + 1, None),
        (NOW, None, "ccccccc: the signing key has expired; extend it or use a new key"),
        (None, NOW, "ccccccc: the signature has expired; sign the commit again (`git commit --amend --no-edit -S`)"),
    ],
)
def test_expiry_is_judged_at_push_time_from_what_the_verdict_recorded(key_expires, signature_expires, message):
    verdict = Verdict("c" * 40, BOB, "bob", NOW - 100, key_expires, (), signature_expires)
    problem = policy.expiry_problem(verdict, NOW)
    assert (str(problem) if problem else None) == message


def facts(changes=(), check=None, allowlists=(OPS,), *, files=None, is_root=False, is_introduction=False):
    files = files or {}
    views = tuple(policy.ParentView(f"{i}" * 40, a, check or good()) for i, a in enumerate(allowlists))
    return policy.CommitFacts(
        commit="f" * 40,
        is_root=is_root,
        is_introduction=is_introduction,
        signature_problem=None,
        views=views,
        changes=tuple(changes),
        limits=Limits(max_file_bytes=100),
        read=files.get,
        own=own_files(files),
    )


def own_files(files):
    """The commit's allowlist and community.toml parsed as the snapshot parses them."""
    return policy.CommunityFiles(
        parse_file(ALLOWLIST_PATH, files.get(ALLOWLIST_PATH), parse_allowlist),
        parse_file(COMMUNITY_PATH, files.get(COMMUNITY_PATH), parse_community),
    )


POST = b"---\ntitle: Hi\n---\nbody\n"
ALLOWLIST_TEXT = render_allowlist(OPS).encode()


@pytest.mark.parametrize(
    ("signer", "path", "allowed"),
    [
        (BOB, "posts/bob/x.md", True),
        (BOB, "posts/alice/x.md", False),
        (BOB, "posts/bobby/x.md", False),
        (BOB, "community.toml", False),
        (ALICE, "posts/bob/x.md", True),
    ],
)
def test_roles_members_touch_only_their_own_posts(signer, path, allowed):
    files = {path: POST if path.endswith(".md") else b'name = "x"\n'}
    member, problems = policy.judge_commit(facts([Change(path, False, 0o100644, 10)], good(signer), files=files))
    role_problems = [p for p in problems if p.rule is Rule.ROLE]
    assert (not role_problems) == allowed
    assert member is not None


def test_merge_role_is_the_least_of_the_parents():
    demoted = Allowlist(
        (
            Member("alice", "Alice", "a@x", Role.MEMBER, (ALICE,)),
            Member("carol", "C", "c@x", Role.OPERATOR, ("C" * 40,)),
        )
    )
    files = {"community.toml": b'name = "x"\n'}
    change = [Change("community.toml", False, 0o100644, 10)]
    _, problems = policy.judge_commit(facts(change, good(ALICE), (OPS, demoted), files=files))
    assert [p.message for p in problems] == ["members may only change files under posts/alice/"]


def test_merge_signer_must_be_on_every_parents_allowlist():
    without_bob = Allowlist((OPS.members[0],))
    member, problems = policy.judge_commit(facts((), good(BOB), (OPS, without_bob)))
    assert member is None
    assert [str(p) for p in problems] == [
        f"fffffff: signed by key {BOB}, which is not on the allowlist of parent 1111111"
    ]


@pytest.mark.parametrize(
    ("change", "files", "broken"),
    [
        (Change("posts/bob/x.md", False, 0o120000, 5), {}, (Rule.LAYOUT, "symlinks are not allowed")),
        (Change("posts/bob/x", False, 0o160000, 0), {}, (Rule.LAYOUT, "submodules are not allowed")),
        (Change("README.md", False, 0o100644, 5), {}, (Rule.LAYOUT, "no file may live here")),
        (Change("posts/bob/x.png", False, 0o100644, 101), {}, (Rule.SIZE, "is 101 bytes, over the limit of 100")),
        (Change("members/allowlist.toml", True), {}, (Rule.LAYOUT, "cannot be deleted: the community needs it")),
        (Change("posts/bob/x.md", True), {}, None),
        (
            Change("members/keys/bob.asc", True),
            {"members/allowlist.toml": ALLOWLIST_TEXT},
            (Rule.CONTENT, "'bob' is still on the allowlist; remove the member too"),
        ),
        (Change("members/keys/zed.asc", True), {"members/allowlist.toml": ALLOWLIST_TEXT}, None),
        (
            Change("posts/bob/x.md", False, 0o100644, 30),
            {"posts/bob/x.md": b"---\ntitle: x\nreply_to: posts/a/b.md\n---\n"},
            (Rule.CONTENT, "reply_to names posts/a/b.md, which does not exist"),
        ),
        (
            Change("members/keys/bob.asc", False, 0o100644, 9),
            {"members/keys/bob.asc": b"not a key"},
            (Rule.CONTENT, "is not an ASCII-armoured OpenPGP public key block"),
        ),
        (
            Change("members/allowlist.toml", False, 0o100644, 9),
            {"members/allowlist.toml": b"[[member]\n"},
            (Rule.CONTENT, "not valid TOML"),
        ),
        (
            Change("members/allowlist.toml", False, 0o100644, 9),
            {"members/allowlist.toml": b"caf\xe9 = 1\n"},
            (Rule.CONTENT, "not valid UTF-8 (byte 3)"),
        ),
        (
            Change("members/allowlist.toml", False, 0o100644, 9),
            {"members/allowlist.toml": ALLOWLIST_TEXT, "members/keys/alice.asc": b"k"},
            (Rule.CONTENT, "member 'bob' has no key file members/keys/bob.asc"),
        ),
        (
            Change("community.toml", False, 0o100644, 9),
            {"community.toml": b'name = ""\n'},
            (Rule.CONTENT, "'name' must be a non-empty one-line string"),
        ),
        (Change("community.toml", False, 0o100644, 9), {"community.toml": b'name = "x"\n'}, None),
        (  # a shared reply names the post it answers by that community's introduction: a pointer only
            Change("posts/bob/x.md", False, 0o100644, 30),
            {"posts/bob/x.md": b"---\ntitle: x\nreply_to: " + b"a" * 40 + b":posts/dana/trip.md\n---\n"},
            None,
        ),
        (
            Change("posts/bob/x.md", False, 0o100644, 30),
            {"posts/bob/x.md": b"---\ntitle: x\nreply_to: " + b"a" * 39 + b":posts/dana/trip.md\n---\n"},
            (Rule.CONTENT, "reply_to"),
        ),
        (
            Change("posts/bob/x.md", False, 0o100644, 30),
            {"posts/bob/x.md": b"---\ntitle: x\nreply_to: smiths:../../members/allowlist.toml\n---\n"},
            (Rule.CONTENT, "reply_to"),
        ),
        (
            Change("posts/bob/x.md", False, 0o100644, 30),
            {"posts/bob/x.md": b"---\ntitle: x\nreply_to: smiths:posts/dana/trip.md\n---\n"},
            (Rule.CONTENT, "reply_to names neighbour 'smiths', which this community does not follow"),
        ),
    ],
)
def test_file_problems(change, files, broken):
    problems = policy.file_problems("f" * 40, change, Limits(max_file_bytes=100), files.get, own_files(files))
    if broken is None:
        assert problems == []
    else:
        rule, message = broken
        assert len(problems) == 1 and problems[0].rule is rule and problems[0].message.startswith(message), problems
        assert problems[0].commit == "f" * 40 and problems[0].path == change.path


def test_root_commit_other_than_introduction_is_a_problem():
    _, problems = policy.judge_commit(facts(is_root=True))
    assert any("root commit other than the introduction" in p.message for p in problems)


Z = "0" * 40


@pytest.mark.parametrize(
    ("ref", "old", "new", "ff", "descends", "message"),
    [
        ("refs/heads/main", "1" * 40, "2" * 40, True, True, None),
        ("refs/heads/main", Z, "2" * 40, False, True, None),
        ("refs/heads/main", "1" * 40, "2" * 40, False, True, "non-fast-forward"),
        ("refs/heads/main", "1" * 40, Z, False, False, "deleting the community branch"),
        ("refs/heads/main", "1" * 40, "2" * 40, True, False, "does not descend from the community's introduction"),
        ("refs/heads/dev", "1" * 40, "2" * 40, True, True, "other refs are not accepted"),
        ("refs/tags/v1", Z, "2" * 40, False, False, "tags are not accepted"),
    ],
)
def test_ref_update_rules(ref, old, new, ff, descends, message):
    problems = policy.ref_update_problems(
        ref, old, new, branch="main", zero=Z, fast_forward=ff, descends_from_introduction=descends
    )
    if message is None:
        assert problems == []
    else:
        assert len(problems) == 1 and message in problems[0].message


def test_push_size_bounds():
    limits = Limits(max_push_commits=2, max_push_bytes=10)
    assert policy.push_size_problems(2, 10, limits) == []
    assert [p.message for p in policy.push_size_problems(3, 11, limits)] == [
        "has more than 2 new commits (limits.max_push_commits)",
        "adds 11 bytes, over 10 (limits.max_push_bytes)",
    ]


def test_content_of_a_commit_nobody_authorized_is_never_read():
    def explode(path):
        raise AssertionError(f"read {path} of an unauthorized commit")

    unknown = SignatureCheck(SignatureStatus.GOOD, primary_fingerprint="C" * 40, signed_at=NOW, hash_algorithm=8)
    change = Change("posts/bob/x.md", False, 0o100644, 10)
    unauthorized = policy.CommitFacts(**{**facts([change], unknown).__dict__, "read": explode})
    member, problems = policy.judge_commit(unauthorized)
    assert member is None
    assert [p.message for p in problems] == [
        f"signed by key {'C' * 40}, which is not on the allowlist of parent {'0' * 7}"
    ]


def test_a_branch_moved_by_another_push_meanwhile_is_refused_before_any_signature_is_checked():
    moved = policy.ref_update_problems(
        "refs/heads/main", "1" * 40, "2" * 40, branch="main", zero=Z, fast_forward=True,
        descends_from_introduction=True, moved_meanwhile=True,
    )  # fmt: skip
    assert [p.message for p in moved] == [
        "someone else pushed first; fetch, rebase and push again (orgsite post does it for you)"
    ]
