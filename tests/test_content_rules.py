"""The repository contract's parsers, table-driven: allowlist, community.toml, paths, posts, signatures."""

from __future__ import annotations

import datetime as dt

import pytest

from orgsite.allowlist import parse_allowlist, render_allowlist
from orgsite.commitsig import split_signed_commit
from orgsite.content import classify_path, parse_community, parse_post, render_community
from orgsite.errors import ConfigError, ContentError
from orgsite.model import Community, Limits

FPR = "0123456789ABCDEF0123456789ABCDEF01234567"
ENTRY = (
    f'[[member]]\nhandle = "alice"\nname = "Alice"\nemail = "a@x.org"\nrole = "operator"\nfingerprints = ["{FPR}"]\n'
)


def test_allowlist_round_trips_through_render():
    allowlist = parse_allowlist(ENTRY)
    assert parse_allowlist(render_allowlist(allowlist)) == allowlist
    assert allowlist.by_fingerprint(FPR.lower()).handle == "alice"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[member]\n", "not valid TOML"),
        (ENTRY.replace('"alice"', '"Alice"'), "handle 'Alice' must be 1-32 of a-z"),
        (ENTRY.replace('"alice"', '"-x"'), "must be 1-32 of a-z"),
        (ENTRY.replace('"alice"', '"' + "a" * 33 + '"'), "must be 1-32 of a-z"),
        (ENTRY.replace('"operator"', '"member"'), "no operator is left"),
        (ENTRY.replace(FPR, "1234"), "is not a 40-hex-digit OpenPGP fingerprint"),
        (ENTRY.replace("fingerprints", "fingerprint"), "unknown field(s) 'fingerprint'"),
        (ENTRY + ENTRY, "handle 'alice' is listed twice"),
        (ENTRY + ENTRY.replace('"alice"', '"bob"'), f"fingerprint {FPR} is listed twice"),
        (ENTRY.replace('name = "Alice"', 'name = "A\\nB"'), "'name' must be a non-empty one-line string"),
        ("", "no operator is left"),
        ('owner = "me"\n' + ENTRY, "unknown top-level key(s) 'owner'"),
    ],
)
def test_malformed_allowlist_is_rejected_with_its_reason(text, message):
    with pytest.raises(ConfigError) as e:
        parse_allowlist(text)
    assert str(e.value).startswith("members/allowlist.toml") and message in str(e.value)


def test_community_round_trips_and_has_generous_defaults():
    community = Community(name='The "Family"', description="Us", limits=Limits(max_file_bytes=5))
    assert parse_community(render_community(community)) == community
    assert parse_community('name = "x"\n').limits == Limits()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", "not valid TOML"),
        ('description = "no name"\n', "'name' must be a non-empty one-line string"),
        ('name = "x"\n[limits]\nmax_file_bytes = -1\n', "limits.max_file_bytes must be a positive whole number"),
        ('name = "x"\n[limits]\nmax_files = 3\n', "unknown limit(s) 'max_files'"),
        ('name = "x"\nbranch = "../x"\n', "is not a safe branch name"),
        ('name = "x"\ncolour = "red"\n', "unknown key(s) 'colour'"),
        # A public url lands in feeds and in the 404 page's links: nothing but an http(s) address.
        ('name = "x"\nurl = "javascript:alert(1)"\n', "must be the site's address"),
        ('name = "x"\nurl = "https://x.example/\\" onload=\\"alert(1)"\n', "must be the site's address"),
        ('name = "x"\nurl = "//evil.example/"\n', "must be the site's address"),
        ('name = "x"\nurl = "https://x.example/' + "a" * 300 + '"\n', "must be the site's address"),
    ],
)
def test_malformed_community_toml_is_rejected(text, message):
    with pytest.raises(ConfigError) as e:
        parse_community(text)
    assert message in str(e.value)


@pytest.mark.parametrize(
    ("path", "kind", "handle"),
    [
        ("community.toml", "community", None),
        ("members/allowlist.toml", "allowlist", None),
        ("members/keys/bob.asc", "key", "bob"),
        ("posts/bob/hello.md", "post", "bob"),
        ("posts/bob/cat.jpeg", "attachment", "bob"),
        ("posts/bob/paper.pdf", "attachment", "bob"),
        ("posts/bob/Hello.md", None, None),
        ("posts/bob/x.exe", None, None),
        ("posts/bob/sub/x.md", None, None),
        ("posts/../x.md", None, None),
        ("members/keys/bob.gpg", None, None),
        ("README.md", None, None),
    ],
)
def test_layout_classifies_paths(path, kind, handle):
    found = classify_path(path)
    assert (found.kind if found else None, found.handle if found else None) == (kind, handle)


def test_post_front_matter_is_parsed_and_author_fields_ignored():
    meta = parse_post(
        b"---\ntitle: ' Hello '\ndate: 2026-05-01\ntags: [a, b]\nreply_to: posts/bob/x.md\nauthor: carol\n---\nBody\n"
    )
    assert (meta.title, meta.date, meta.tags, meta.reply_to, meta.body) == (
        "Hello",
        dt.date(2026, 5, 1),
        ("a", "b"),
        "posts/bob/x.md",
        "Body\n",
    )
    assert not hasattr(meta, "author")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"---\ntitle: |\n  two\n  lines\n---\n", "front matter needs a one-line 'title'"),
        (b"---\n- a list\n---\n", "front matter must be a YAML mapping"),
        (b"---\ntitle: x\ndate: someday\n---\n", "date 'someday' is not a date"),
        (b"---\ntitle: x\nreply_to: ../etc/passwd\n---\n", "must be the path of a post"),
        (b"---\ntitle: x\ntags: [[1]]\n---\n", "'tags' must be a list of one-line strings"),
    ],
)
def test_bad_post_is_rejected_with_its_reason(data, message):
    with pytest.raises(ContentError) as e:
        parse_post(data)
    assert message in str(e.value)


RAW = (
    b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
    b"author A <a@x> 1700000000 +0000\n"
    b"committer A <a@x> 1700000000 +0000\n"
    b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n"
    b"\nmessage\n"
)
PAYLOAD = (
    b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
    b"author A <a@x> 1700000000 +0000\n"
    b"committer A <a@x> 1700000000 +0000\n"
    b"\nmessage\n"
)


def test_signed_commit_splits_into_signature_and_payload():
    signed = split_signed_commit(RAW)
    assert signed.problem is None
    assert signed.signature == b"-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n"
    assert signed.payload == PAYLOAD


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (PAYLOAD, "is not signed"),
        (RAW.replace(b"gpgsig ", b"gpgsig-sha256 "), "is not signed"),
        (RAW.replace(b"\n\nmessage", b"\ngpgsig -----BEGIN PGP SIGNATURE-----\n\nmessage"), "more than one signature"),
        (RAW.replace(b"gpgsig -", b"gpgsig-sha256 -----BEGIN PGP SIGNATURE-----\n x\ngpgsig -"), "disagree"),
        (RAW.replace(b"BEGIN PGP", b"BEGIN SSH"), "is not signed with OpenPGP"),
    ],
)
def test_odd_signature_headers_fail_closed(raw, problem):
    signed = split_signed_commit(raw)
    assert signed.signature is None and problem in signed.problem
