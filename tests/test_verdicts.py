"""The verdict cache: structured problems survive a round trip, and verdicts stored under other rules,
another introduction or another storage format are never reused."""

from __future__ import annotations

import json
import marshal
import sqlite3

import pytest

from orgsite.keyed_store import KeyedStore
from orgsite.model import Problem, Rule, Verdict
from orgsite.repo import CommitMeta
from orgsite.site import kept_history
from orgsite.site.history import CommitInfo
from orgsite.verdicts import VerdictCache, as_plain, from_plain

COMMIT = "c" * 40
REFUSED = Verdict(
    COMMIT,
    None,
    None,
    1_700_000_000,
    None,
    (
        Problem(Rule.UNAUTHORIZED, "signed by key X, which is not on the allowlist of parent 1111111", COMMIT),
        Problem(Rule.LAYOUT, "symlinks are not allowed", COMMIT, "posts/bob/x.md"),
    ),
)
ACCEPTED = Verdict("d" * 40, "B" * 40, "bob", 1_700_000_000, 1_900_000_000, (), 1_800_000_000)


def test_a_verdict_comes_back_as_it_went_in_rules_and_all(tmp_path):
    with_cache = VerdictCache(tmp_path / "v.sqlite", "4:intro")
    with_cache.put_many([REFUSED, ACCEPTED])
    with_cache.close()
    again = VerdictCache(tmp_path / "v.sqlite", "4:intro")
    found = again.get_many([COMMIT, "d" * 40, "e" * 40])
    assert found == {COMMIT: REFUSED, "d" * 40: ACCEPTED}
    assert [p.rule for p in found[COMMIT].problems] == [Rule.UNAUTHORIZED, Rule.LAYOUT]
    assert str(found[COMMIT].problems[1]) == "ccccccc posts/bob/x.md: symlinks are not allowed"


def test_new_rules_or_another_introduction_judge_afresh(tmp_path):
    cache = VerdictCache(tmp_path / "v.sqlite", "4:intro")
    cache.put_many([REFUSED])
    assert VerdictCache(tmp_path / "v.sqlite", "5:intro").get_many([COMMIT]) == {}
    assert VerdictCache(tmp_path / "v.sqlite", "4:other").get_many([COMMIT]) == {}


def test_verdicts_stored_in_the_old_form_are_not_read(tmp_path):
    """Before problems carried rules, a verdict stored [where, message, path] triples."""
    db = sqlite3.connect(tmp_path / "v.sqlite")
    db.execute("CREATE TABLE verdicts (commit_id TEXT, context TEXT, verdict TEXT, PRIMARY KEY (commit_id, context))")
    old = {"signer": None, "handle": None, "signed_at": 1, "key_expires_at": None, "signature_expires_at": None,
           "problems": [["ccccccc", "symlinks are not allowed", "posts/bob/x.md"]]}  # fmt: skip
    db.execute("INSERT INTO verdicts VALUES (?, ?, ?)", (COMMIT, "4:intro", json.dumps(old)))
    db.commit()
    db.close()
    assert VerdictCache(tmp_path / "v.sqlite", "4:intro").get_many([COMMIT]) == {}


def test_an_unusable_cache_file_only_costs_a_recomputation(tmp_path):
    (tmp_path / "v.sqlite").write_bytes(b"not a database" * 100)
    cache = VerdictCache(tmp_path / "v.sqlite", "4:intro")
    cache.put_many([REFUSED])
    assert cache.get_many([COMMIT]) == {}


def test_a_whole_history_asked_at_once_gets_exactly_what_was_stored_for_it(tmp_path):
    """Thousands of commits at once are read in one pass over the table: still only those asked, in this context."""
    store = KeyedStore(tmp_path / "h.sqlite", "commits", "1")
    stored = {f"{n:040x}": f"text {n}" for n in range(12_000)}
    store.put_many(stored.items())
    KeyedStore(tmp_path / "h.sqlite", "commits", "2").put_many([(f"{1:040x}", "another context")])
    asked = [f"{n:040x}" for n in range(6_000, 20_000)]  # half of them never stored
    assert store.get_many(asked) == {commit: stored[commit] for commit in asked if commit in stored}
    assert store.get_many(asked[:10]) == {commit: stored[commit] for commit in asked[:10]}
    assert store.get_many([f"{n:040x}" for n in range(8_000)])[f"{1:040x}"] == "text 1"


EXPIRED = (Problem(Rule.SIGNATURE, "the key had expired when it signed", "e" * 40),)
EXPIRED_KEY = Verdict("e" * 40, "E" * 40, "eve", 1_900_000_001, 1_900_000_000, EXPIRED, 1_800_000_000)


@pytest.mark.parametrize(("verdict", "accepted"), [(ACCEPTED, True), (REFUSED, False), (EXPIRED_KEY, False)])
def test_a_verdict_kept_as_plain_values_says_what_the_verdict_says(verdict, accepted):
    """What a build keeps of a verdict (and reads acceptance and the signer from, for every writer of a
    post) gives back the verdict, refusals and all; a signed but refused commit is never taken as accepted."""
    plain = as_plain(verdict)
    assert from_plain(plain) == verdict
    assert from_plain(json.loads(json.dumps(plain))) == verdict
    meta = CommitMeta("Eve", "eve@example.org", 1_800_000_000, 1_800_000_001, "A post")
    row = kept_history.row_of(verdict.commit, ("p" * 40,), meta, [], verdict, "digest")
    commit = CommitInfo.kept(marshal.loads(marshal.dumps(row)), 7, lambda commit, changes: [])
    assert commit.accepted is accepted is verdict.accepted
    assert (commit.signer_handle, commit.verdict, commit.meta) == (verdict.handle, verdict, meta)
