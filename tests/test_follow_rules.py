"""`[[follow]]` in community.toml, pure: what a neighbour entry must be, hostile URLs above all."""

from __future__ import annotations

import pytest

from orgsite.content import parse_community, render_community
from orgsite.errors import ConfigError
from orgsite.model import Community, Follow

GOOD = Follow("smiths", "ssh://git@smiths.example.org/srv/git/smiths.git", "a" * 40, "B" * 40)


def community_with(*follows: Follow) -> str:
    return render_community(Community("Family", follows=follows))


@pytest.mark.parametrize(
    "url",
    [
        "ssh://git@smiths.example.org/srv/git/smiths.git",
        "https://git.smiths.example.org/smiths.git",
        "file:///srv/git/smiths.git",
        "/srv/git/smiths.git",
        "git@smiths.example.org:smiths.git",
    ],
)
def test_neighbours_are_fetched_over_ssh_https_or_files(url):
    follow = Follow("smiths", url, "a" * 40, "B" * 40)
    assert parse_community(community_with(follow)).follow("smiths") == follow


@pytest.mark.parametrize(
    ("follow", "why"),
    [
        (Follow("smiths", "ext::sh -c touch% /tmp/pwned", "a" * 40, "B" * 40), "url"),
        (Follow("smiths", "-uploadpack=touch /tmp/x", "a" * 40, "B" * 40), "url"),
        (Follow("smiths", "git@host:-oProxyCommand=x", "a" * 40, "B" * 40), "url"),
        (Follow("smiths", "http://plain.example.org/x.git", "a" * 40, "B" * 40), "url"),
        (Follow("smiths", "fd::17", "a" * 40, "B" * 40), "url"),
        (Follow("Smiths!", GOOD.url, "a" * 40, "B" * 40), "name"),
        (Follow("smiths", GOOD.url, "a" * 39, "B" * 40), "introduction must be the neighbour's full introduction"),
        (Follow("smiths", GOOD.url, "a" * 40, "b" * 40), "introducer must be a 40-hex-digit"),
    ],
)
def test_a_bad_neighbour_entry_is_refused_saying_which_field(follow, why):
    with pytest.raises(ConfigError) as refused:
        parse_community(community_with(follow))
    assert why in str(refused.value) and "[[follow]] #1" in str(refused.value)


def test_a_neighbour_is_followed_once():
    twin = Follow("smiths-again", GOOD.url, GOOD.introduction, GOOD.introducer)
    with pytest.raises(ConfigError, match="followed twice"):
        parse_community(community_with(GOOD, twin))


def test_extra_or_missing_fields_are_refused():
    text = community_with(GOOD) + 'extra = "x"\n'
    with pytest.raises(ConfigError, match="needs exactly the fields name, url, introduction, introducer"):
        parse_community(text)


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ('name = "../x"\nintroduction = "' + "a" * 40 + '"\n', "name '../x' must be 1-32 of a-z"),
        ('name = "smiths"\nintroduction = "' + "A" * 40 + '"\n', "introduction must be the outbox's full"),
        ('name = "smiths"\nintroduction = "' + "a" * 40 + '"\nurl = "/srv/x.git"\n', "needs exactly the fields"),
        ('name = ["smiths"]\nintroduction = "' + "a" * 40 + '"\n', "name a list must be 1-32"),
    ],
)
def test_a_bad_outbox_entry_is_refused_saying_which_field(entry, why):
    with pytest.raises(ConfigError) as refused:
        parse_community(community_with() + "\n[[outbox]]\n" + entry)
    assert why in str(refused.value) and "[[outbox]] #1" in str(refused.value)
