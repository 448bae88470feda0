"""Handles that name the site's own pages are never a member's: refused by `member add`, `join` and
the hook, and no member file can replace a generated page."""

from __future__ import annotations

import pytest

from orgsite.allowlist import RESERVED_HANDLES, handle_problem
from orgsite.site.pages import Page, _first_of_each_path
from tests.test_push_refusals import refused


@pytest.mark.parametrize("handle", ["index", "feed", "page", "tags", "assets", "search", "members", "history"])
def test_generated_page_names_are_reserved(handle):
    assert handle in RESERVED_HANDLES
    assert handle_problem(handle) == f"handle '{handle}' is reserved for the site's own pages; choose another"


def test_member_add_refuses_a_reserved_handle(community, keys, tmp_path):
    alice = community.alice
    (tmp_path / "m.asc").write_bytes(keys["mallory"].export())
    result = alice.orgsite("member", "add", "index", str(tmp_path / "m.asc"))
    assert result.returncode == 1
    assert result.stderr == "error: handle 'index' is reserved for the site's own pages; choose another\n"


def test_join_refuses_a_reserved_handle(community, tmp_path):
    result = community.bob.orgsite("join", "--name", "X", "--email", "x@example.org", "--handle", "feed",
                                   "--no-passphrase", "--out", str(tmp_path / "x.asc"))  # fmt: skip
    assert result.returncode == 1 and "handle 'feed' is reserved" in result.stderr
    assert not (tmp_path / "x.asc").exists()


def test_hook_refuses_an_allowlist_listing_a_reserved_handle(community):
    alice = community.alice
    allowlist = alice.clone / "members/allowlist.toml"
    allowlist.write_text(allowlist.read_text().replace('handle = "bob"', 'handle = "index"'))
    (alice.clone / "members/keys/bob.asc").rename(alice.clone / "members/keys/index.asc")
    commit = alice.commit("rename bob")
    lines = refused(community, alice)
    assert (
        f"orgsite: {commit[:7]} members/allowlist.toml: members/allowlist.toml [[member]] #2: "
        "handle 'index' is reserved for the site's own pages; choose another" in lines
    )


def test_the_sites_own_page_wins_over_a_member_page_of_the_same_name():
    warnings: list[str] = []
    own = Page("members/index.md", "Members", "<p>listing</p>")
    kept = _first_of_each_path([own, Page("members/index.md", "Index", "<p>member</p>")], warnings)
    assert kept == [own]
    assert warnings == ["members/index.md: left out, a page of the site's own has that name"]
