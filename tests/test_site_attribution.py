"""Who the site says wrote a post: always the signer of the commit that created it, through every
parent; refused text never comes out under a member's name, whatever merges surround it."""

from __future__ import annotations

from tests.html_scan import article_text, page
from tests.people import run
from tests.test_push_merges import craft_merge
from tests.test_site import _bypass_hook, build


def byline(site, path):
    """Who the post page says signed it ("Name key XXXX XXXX XXXX XXXX"), and the page's text."""
    text = article_text(page(site, path))
    return text[text.index("Signed by ") + len("Signed by ") :].split(" · ")[0], text


def signed(person) -> str:
    fpr = person.key.fingerprint
    return f"{person.key.name} key " + " ".join(fpr[i : i + 4] for i in range(24, 40, 4))


def test_an_everyday_pull_merge_keeps_each_author(community, tmp_path):
    bob, carol = community.bob, community.carol
    bob.post("hello", "Hello from Bob")
    assert bob.push().ok
    carol.post("hi", "Hi from Carol")
    carol.git("pull", "-q", "--no-rebase", "--no-edit", "-S")  # her commit is the merge's first parent
    assert carol.push().ok
    site = tmp_path / "site"
    assert build(community.bare, site).returncode == 0
    who, text = byline(site, "posts/bob/hello")
    assert who == signed(bob)
    assert byline(site, "posts/carol/hi")[0] == signed(carol)


def test_a_merge_with_an_old_first_parent_cannot_take_over_a_post(community, tmp_path):
    bob, carol = community.bob, community.carol
    old = carol.head()
    bob.post("hello", "Hello from Bob")
    assert bob.push().ok
    carol.pull()
    # Carol's merge: first parent from before Bob's post, second parent Bob's post, Bob's tree.
    merge = craft_merge(carol, [old, bob.head()], {"posts/bob/hello.md": bob.head()})
    assert carol.push().ok, "a clean merge changes nothing of its own and is accepted"
    site = tmp_path / "site"
    assert build(community.bare, site).returncode == 0
    who, text = byline(site, "posts/bob/hello")
    assert who == signed(bob)
    assert merge[:7] not in text.split("Never edited")[0]


def test_refused_text_behind_a_merge_is_not_published_under_the_authors_name(community, tmp_path):
    bob, carol = community.bob, community.carol
    bob.post("b", "Bob's words", body="What Bob wrote.\n")
    assert bob.push().ok
    carol.pull()
    base = carol.head()
    carol.write("posts/bob/b.md", '---\ntitle: "Bob\'s words"\n---\nWhat Carol wants Bob to have said.\n')
    refused = carol.commit("rewrite bob's post")  # refused: a member writing in another's folder
    bob.post("other", "Something else")  # Bob's real commit on the other side
    carol.git("fetch", "-q", str(bob.clone), "main")
    bobs = carol.git("rev-parse", "FETCH_HEAD")
    craft_merge(carol, [bobs, refused], {"posts/bob/b.md": refused})
    assert base in carol.git("log", "--format=%H")
    _bypass_hook(community, carol)
    site = tmp_path / "site"
    built = build(community.bare, site)
    assert built.returncode == 0, built.stderr
    assert f"warning: posts/bob/b.md: not published: commit {refused[:7]}, which wrote a version of it" in built.stderr
    assert not (site / "posts/bob/b").exists()
    assert (site / "posts/bob/other/index.html").exists()
    audit = run("python3", "-m", "orgsite", "verify", str(community.bare), check=False).stdout.decode()
    assert f"posts/bob/b.md: left off the site: commit {refused[:7]}" in audit
