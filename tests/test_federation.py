"""Two communities on one machine: the Family follows the Smiths over file://, and sees their posts
only as far as the Smiths' own rules, from their own pinned introduction, vouch for them."""

from __future__ import annotations

import pytest

from tests.people import Community, Person, clone_as, orgsite, run


@pytest.fixture(scope="session")
def smiths_template(tmp_path_factory, key_factory):
    """The Smiths: dana (operator) and her clone with one post; built once, copied per test."""
    root = tmp_path_factory.mktemp("smiths")
    dana = key_factory("Dana Smith")
    made = orgsite("init", str(root / "smiths.git"), "--community", "The Smiths", "--handle", "dana", "--key",
                   dana.fingerprint)  # fmt: skip
    assert made.returncode == 0, made.stderr
    intro = made.stdout.split("Introduction commit: ")[1].split()[0]
    person = clone_as(root / "smiths.git", root / "dana", "dana", dana)
    person.post("trip", "Our trip", "We went to the sea.\n")
    assert person.push().ok
    return root, dana, intro


@pytest.fixture
def smiths(smiths_template, tmp_path):
    import shutil

    root, key, intro = smiths_template
    copy = tmp_path / "smiths"
    shutil.copytree(root, copy, symlinks=True)
    run("git", "remote", "set-url", "origin", str(copy / "smiths.git"), cwd=copy / "dana")
    return copy / "smiths.git", Person("dana", key, copy / "dana"), intro


def follow(community: Community, name: str, bare, intro: str, introducer: str):
    done = community.alice.orgsite("follow", "add", name, f"file://{bare}", "--introduction", intro,
                                   "--introducer", introducer, "--push")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return orgsite("follow", "sync", str(community.bare))


def test_following_checks_the_neighbour_and_keeps_its_objects_out_of_our_repository(community, smiths):
    bare, dana, intro = smiths
    synced = follow(community, "smiths", bare, intro, dana.key.fingerprint)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert synced.stdout.startswith(f"smiths: verified {dana.head()[:7]} at ")
    store = community.bare.parent / "family.neighbours" / "smiths.git"
    verified = run("git", "rev-parse", "refs/orgsite/follow/smiths/verified", cwd=store).stdout.decode().strip()
    assert verified == dana.head()
    ours = run("git", "cat-file", "-e", dana.head(), cwd=community.bare, check=False)
    assert ours.returncode != 0  # the Family's own repository never holds the Smiths' objects
    assert orgsite("follow", "list", str(community.bare)).stdout == synced.stdout


def test_a_rewritten_history_is_refused_and_the_last_verified_state_stays(community, smiths):
    bare, dana, intro = smiths
    follow(community, "smiths", bare, intro, dana.key.fingerprint)
    verified = dana.head()
    dana.git("reset", "-q", "--hard", "HEAD~1")
    dana.post("other", "Another story")
    run("git", "fetch", "-q", "--force", str(dana.clone), "main:refs/heads/main", cwd=bare)  # rewritten by hand
    synced = orgsite("follow", "sync", str(community.bare), "smiths")
    assert synced.returncode == 1
    assert f"smiths: verified {verified[:7]}" in synced.stdout
    assert "newer changes refused: their history was rewritten" in synced.stdout


def test_a_commit_outside_their_allowlist_is_refused(community, smiths, keys):
    bare, dana, intro = smiths
    follow(community, "smiths", bare, intro, dana.key.fingerprint)
    verified = dana.head()
    mallory = clone_as(bare, dana.clone.parent / "mallory", "mallory", keys["mallory"])
    bad = mallory.post("spam", "Buy now", handle="dana")
    run("git", "fetch", "-q", str(mallory.clone), "main:refs/heads/main", cwd=bare)  # behind their hook's back
    synced = orgsite("follow", "sync", str(community.bare))
    assert synced.returncode == 1
    assert f"smiths: verified {verified[:7]}" in synced.stdout
    assert f"newer changes refused: commit {bad[:7]} breaks their rules: {bad[:7]}: signed by key" in synced.stdout


@pytest.mark.parametrize("pinned", ["introduction", "introducer"])
def test_a_wrong_pinned_root_is_refused(community, smiths, keys, pinned):
    bare, dana, intro = smiths
    family_intro = run("git", "rev-list", "--max-parents=0", "main", cwd=community.bare).stdout.decode().strip()
    wrong = {"introduction": (family_intro, dana.key.fingerprint), "introducer": (intro, keys["alice"].fingerprint)}
    synced = follow(community, "smiths", bare, *wrong[pinned])
    assert synced.returncode == 1 and "nothing verified yet" in synced.stdout
    why = {"introduction": f"does not contain the pinned introduction {family_intro[:7]}",
           "introducer": f"the introduction is signed by {dana.key.fingerprint}, not by the pinned introducer"}
    assert why[pinned] in synced.stdout, synced.stdout
