"""Two communities on one machine: the Family follows the Smiths over file://, and sees their posts
only as far as the Smiths' own rules, from their own pinned introduction, vouch for them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.browser import Browser
from tests.people import Community, clone_as, orgsite, run
from tests.site_privacy import served


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


def test_two_syncs_at_once_both_end_verified(community, smiths):
    # The post-receive's sync and a person's (or a cron's) may meet: the second waits for the first.
    bare, dana, intro = smiths
    follow(community, "smiths", bare, intro, dana.key.fingerprint)
    dana.post("more", "More news")
    assert dana.push().ok
    command = [sys.executable, "-m", "orgsite", "follow", "sync", str(community.bare)]
    both = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outcomes = [(p.wait(timeout=120), p.stdout.read().decode()) for p in both]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    assert all(said.startswith(f"smiths: verified {dana.head()[:7]} at ") for _, said in outcomes), outcomes


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


def test_the_site_shows_the_verified_neighbour_read_only_and_labelled(community, smiths, tmp_path):
    bare, dana, intro = smiths
    follow(community, "smiths", bare, intro, dana.key.fingerprint)
    site = tmp_path / "site"
    built = orgsite("build", str(community.bare), "--out", str(site))
    assert built.returncode == 0, built.stderr
    index = (site / "neighbours/index.html").read_text()
    assert "The Smiths" in index and "last verified" in index
    trip = (site / "neighbours/smiths/posts/dana/trip/index.html").read_text()
    assert "We went to the sea." in trip and "Signed by Dana Smith · The Smiths <a class=\"orgsite-key\"" in trip
    assert dana.key.fingerprint[-4:] in trip
    assert "Neighbours" in (site / "index.html").read_text()  # in the navigation
    feed = (site / "neighbours/smiths/feed.xml").read_text()
    assert "<title>Our trip</title>" in feed
    with served(site) as base, Browser() as browser:
        for page in ("neighbours/", "neighbours/smiths/", "neighbours/smiths/posts/dana/trip/"):
            for width in (390, 1280):
                browser.open(base + page, width=width)
                assert browser.js("document.documentElement.scrollWidth") <= width, (page, width)
                browser.screenshot(tmp_path / f"{page.strip('/').replace('/', '_')}-{width}.png", width=width)

    dana.git("rm", "-q", "posts/dana/trip.md")
    dana.commit("Take the trip down")
    assert dana.push().ok
    assert orgsite("follow", "sync", str(community.bare)).returncode == 0
    assert orgsite("build", str(community.bare), "--out", str(site)).returncode == 0
    assert not (site / "neighbours/smiths/posts/dana/trip/index.html").exists()  # gone after the next sync


def test_a_reply_to_a_neighbours_post_is_threaded_under_it_and_checked_at_push(community, smiths, tmp_path):
    bare, dana, intro = smiths
    follow(community, "smiths", bare, intro, dana.key.fingerprint)
    bob = community.bob
    bob.pull()
    bob.post("re-trip", "Re: Our trip", "Lovely!\n", reply_to="smiths:posts/dana/trip.md")
    pushed = bob.push()
    assert pushed.ok, pushed.output

    bob.post("re-nothing", "Re: ?", "Hm.\n", reply_to="smiths:posts/dana/nothing.md")
    refused = bob.push()
    assert not refused.ok
    assert any("reply_to names smiths:posts/dana/nothing.md, but smiths's verified state has no "
               "posts/dana/nothing.md" in line for line in refused.refusals()), refused.output  # fmt: skip
    bob.git("reset", "-q", "--hard", "HEAD~1")
    bob.post("re-jones", "Re: ?", "Hm.\n", reply_to="jones:posts/x/y.md")
    refused = bob.push()
    assert any("reply_to names neighbour 'jones', which this community does not follow" in line
               for line in refused.refusals()), refused.output  # fmt: skip
    bob.git("reset", "-q", "--hard", "HEAD~1")
    client = bob.orgsite("post", "Re: ?", "--reply-to", "jones:posts/x/y.md", "--file", "-")
    assert client.returncode == 1 and "this community does not follow 'jones'" in client.stderr

    site = tmp_path / "site"
    assert orgsite("build", str(community.bare), "--out", str(site)).returncode == 0
    ours = (site / "posts/bob/re-trip/index.html").read_text()
    assert 'A reply to <a href="../../../neighbours/smiths/posts/dana/trip/">Our trip</a> in The Smiths' in ours
    theirs = (site / "neighbours/smiths/posts/dana/trip/index.html").read_text()
    assert "Replies from Family" in theirs and "Lovely!" in theirs


def test_a_peer_fetches_over_the_ssh_door_until_its_grant_is_removed(community, smiths, keys, tmp_path):
    """The Smiths follow the Family over a real sshd: the Family grants them read access as a peer."""
    from tests.servers import ssh_key, sshd

    smiths_bare, dana, _ = smiths
    folder = tmp_path / "ssh"
    folder.mkdir(mode=0o700)
    authorized = folder / "authorized_keys"
    assert orgsite("access", "enable", str(authorized), "--repo", str(community.bare)).returncode == 0
    server_key = ssh_key(folder, "smiths-server")
    alice = community.alice
    family_intro = run("git", "config", "orgsite.introduction", cwd=community.bare).stdout.decode().strip()
    allowlist = (alice.clone / "members/allowlist.toml").read_text()
    grant = (f'\n[[peer]]\nname = "smiths"\nintroduction = "{"0" * 40}"\n'
             f'ssh = ["{(folder / "smiths-server.pub").read_text().strip()}"]\n')  # fmt: skip
    alice.write("members/allowlist.toml", allowlist + grant)
    alice.commit("Share with the Smiths")
    assert alice.push().ok
    assert "orgsite:peer:smiths" in authorized.read_text()

    with sshd(folder, authorized) as server:
        env = {"GIT_SSH_COMMAND": server.ssh_command(server_key)}
        dana.pull()
        added = dana.orgsite("follow", "add", "family", server.url(community.bare), "--introduction", family_intro,
                             "--introducer", keys["alice"].fingerprint, "--push")  # fmt: skip
        assert added.returncode == 0, added.stderr
        synced = run(sys.executable, "-m", "orgsite", "follow", "sync", str(smiths_bare), env=env, check=False)
        assert synced.returncode == 0 and "family: verified" in synced.stdout.decode(), synced.stderr

        pushed = run("git", "push", server.url(community.bare), "HEAD:main", cwd=dana.clone, env=env, check=False)
        assert pushed.returncode != 0 and "the peer 'smiths' may only fetch" in pushed.stderr.decode()

        alice.write("members/allowlist.toml", allowlist)
        alice.commit("Stop sharing with the Smiths")
        assert alice.push().ok
        again = run(sys.executable, "-m", "orgsite", "follow", "sync", str(smiths_bare), env=env, check=False)
        said = again.stdout.decode()
        assert again.returncode == 1 and "family: verified" in said
        assert "newer changes refused: they no longer share with this community" in said


def test_a_pushed_follow_is_synced_by_the_server_on_its_own(community, smiths):
    from tests.test_site_rebuilds import wait_for

    bare, dana, intro = smiths
    done = community.alice.orgsite("follow", "add", "smiths", f"file://{bare}", "--introduction", intro,
                                   "--introducer", dana.key.fingerprint, "--push")  # fmt: skip
    assert done.returncode == 0 and "fetching and checking the neighbours it now follows" in done.stdout
    wait_for(lambda: "smiths: verified" in orgsite("follow", "list", str(community.bare)).stdout, timeout=60,
             what="the post-receive sync")  # fmt: skip
    assert f"neighbour smiths: verified {dana.head()[:7]}" in orgsite("status", str(community.bare)).stdout
