"""One truth about time: a signature's own expiry (and the key's) is judged at push time by the hook,
at the signature's time by `verify` and the site; a cached verdict never disagrees with a fresh one,
and nothing judged during a refused push lets a commit in later."""

from __future__ import annotations

import shutil
import stat
import time

from tests.people import run
from tests.test_push_refusals import refused


def sign_with_expiry(person, tmp_path, seconds: int) -> None:
    """From now on `person`'s signatures carry their own expiry, `seconds` after they are made."""
    wrapper = tmp_path / f"gpg-expiring-{seconds}"
    wrapper.write_text(f'#!/bin/sh\nexec gpg --default-sig-expire seconds={seconds} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    person.git("config", "gpg.program", str(wrapper))


def wait_past(commit_time: float, seconds: int) -> None:
    time.sleep(max(0.0, commit_time + seconds + 1.1 - time.time()))


def test_a_commit_whose_signature_expired_before_the_push_is_refused(community, tmp_path):
    bob = community.bob
    sign_with_expiry(bob, tmp_path, 1)
    made = time.time()
    commit = bob.post("late", "Pushed too late")
    wait_past(made, 1)
    assert refused(community, bob) == [
        f"orgsite: {commit[:7]}: the signature has expired; sign the commit again (`git commit --amend --no-edit -S`)"
    ]


def test_a_signature_valid_when_pushed_stays_valid_for_verify_cached_or_fresh(community, tmp_path):
    bob = community.bob
    sign_with_expiry(bob, tmp_path, 6)  # time enough for the push on a loaded machine
    made = time.time()
    bob.post("timely", "Pushed in time")
    assert bob.push().ok
    wait_past(made, 6)
    assert community.verify().returncode == 0  # the server's cached verdicts
    fresh = tmp_path / "fresh.git"
    run("git", "clone", "-q", "--bare", str(community.bare), str(fresh))
    intro = run("git", "config", "orgsite.introduction", cwd=community.bare).stdout.decode().strip()
    audit = run("python3", "-m", "orgsite", "verify", str(fresh), "--introduction", intro, check=False)
    assert audit.returncode == 0, audit.stdout  # a fresh clone, no cache: the same answer
    shutil.rmtree(fresh)


def test_a_verdict_from_a_refused_push_does_not_let_an_expired_commit_in_later(community, tmp_path):
    bob = community.bob
    sign_with_expiry(bob, tmp_path, 2)
    made = time.time()
    good = bob.post("good", "Fine on its own")
    bob.post("bad", "Unsigned", sign=False)
    assert not bob.push().ok  # refused as a whole, for the unsigned commit
    bob.git("reset", "-q", "--hard", good)
    wait_past(made, 2)
    assert refused(community, bob) == [
        f"orgsite: {good[:7]}: the signature has expired; sign the commit again (`git commit --amend --no-edit -S`)"
    ]
