"""The walk-through: two families following each other's outboxes. Each shares one post with the
other, signed by its author; each site shows the other's shared post, read-only and labelled, and
nothing else of the other family. Screenshots at 390 and 1280 px go to the test's folder."""

from __future__ import annotations

from tests.browser import Browser
from tests.people import clone_as, orgsite, run
from tests.site_privacy import served


def test_two_families_follow_each_others_outboxes(community, smiths, keys, tmp_path):
    alice, bob = community.alice, community.bob
    smiths_bare, dana, _ = smiths

    def outbox(operator, name, path):
        made = operator.orgsite("outbox", "create", str(path), "--name", name, "--push")
        assert made.returncode == 0, made.stderr
        return made.stdout.split("Introduction commit: ")[1].split()[0]

    family_out, smiths_out = tmp_path / "family-for-smiths.git", tmp_path / "smiths-for-family.git"
    family_out_intro = outbox(alice, "smiths", family_out)
    smiths_out_intro = outbox(dana, "the-family", smiths_out)
    alice_out = clone_as(family_out, tmp_path / "alice-out", "alice", keys["alice"])
    joined = alice_out.orgsite("member", "add", "bob", str(alice.clone / "members/keys/bob.asc"), "--push")
    assert joined.returncode == 0, joined.stderr
    bob_out = clone_as(family_out, tmp_path / "bob-out", "bob", keys["bob"])
    dana_out = clone_as(smiths_out, tmp_path / "dana-out", "dana", dana.key)

    bob.pull()
    bob.post("summer", "Our summer", "Three weeks at the lake.\n")
    bob.post("private", "Family only", "Not for the neighbours.\n")
    assert bob.push().ok
    assert bob.orgsite("share", "posts/bob/summer.md", "--to", str(bob_out.clone)).returncode == 0
    assert dana.orgsite("share", "posts/dana/trip.md", "--to", str(dana_out.clone)).returncode == 0

    follows = [
        (alice, "smiths", smiths_out, smiths_out_intro, dana.key.fingerprint, community.bare),
        (dana, "family", family_out, family_out_intro, keys["alice"].fingerprint, smiths_bare),
    ]
    for operator, name, url, intro, introducer, home in follows:
        operator.pull()
        added = operator.orgsite("follow", "add", name, f"file://{url}", "--introduction", intro,
                                 "--introducer", introducer, "--push")  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert orgsite("follow", "sync", str(home)).returncode == 0

    # Bob answers Dana's post in the Family, and shares his answer with the Smiths.
    bob.pull()
    bob.post("re-trip", "Re: Our trip", "The sea looks lovely!\n", reply_to="smiths:posts/dana/trip.md")
    assert bob.push().ok
    shared = bob.orgsite("share", "posts/bob/re-trip.md", "--to", str(bob_out.clone))
    assert shared.returncode == 0, shared.stderr
    assert orgsite("follow", "sync", str(smiths_bare)).returncode == 0

    sites = {"family": tmp_path / "family-site", "smiths": tmp_path / "smiths-site"}
    assert orgsite("build", str(community.bare), "--out", str(sites["family"])).returncode == 0
    assert orgsite("build", str(smiths_bare), "--out", str(sites["smiths"])).returncode == 0
    seen_by_family = (sites["family"] / "neighbours/smiths/posts/dana/trip/index.html").read_text()
    assert "Signed by Dana Smith · The Smiths: shared with the-family" in seen_by_family
    seen_by_smiths = (sites["smiths"] / "neighbours/family/posts/bob/summer/index.html").read_text()
    assert "Three weeks at the lake." in seen_by_smiths
    assert "Signed by Bob Example · Family: shared with smiths" in seen_by_smiths
    assert not list((sites["smiths"] / "neighbours/family").rglob("private*"))  # only what Bob shared
    private = run("git", "rev-parse", "main:posts/bob/private.md", cwd=community.bare).stdout.decode().strip()
    store = smiths_bare.parent / "smiths.neighbours/family.git"
    assert run("git", "cat-file", "-e", private, cwd=store, check=False).returncode != 0  # never even fetched

    their_own = (sites["smiths"] / "posts/dana/trip/index.html").read_text()  # the Smiths' own post
    assert "Replies from neighbours" in their_own and "The sea looks lovely!" in their_own
    assert "Signed by Bob Example · Family: shared with smiths" in their_own
    ours = (sites["family"] / "neighbours/smiths/posts/dana/trip/index.html").read_text()
    assert "Replies from Family" in ours and "The sea looks lovely!" in ours

    pages = {"family": ["neighbours/", "neighbours/smiths/posts/dana/trip/", "posts/bob/re-trip/"],
             "smiths": ["neighbours/family/", "neighbours/family/posts/bob/summer/", "posts/dana/trip/"]}  # fmt: skip
    with Browser() as browser:
        for owner, site in sites.items():
            with served(site) as base:
                for page in pages[owner]:
                    for width in (390, 1280):
                        browser.open(base + page, width=width)
                        assert browser.js("document.documentElement.scrollWidth") <= width
                        name = f"{owner}-{page.strip('/').replace('/', '_')}-{width}.png"
                        browser.screenshot(tmp_path / name, width=width)
