"""Posts parsed once per version: what the cache gives back is exactly what parsing the post gives."""

from __future__ import annotations

import datetime as dt

import pygit2
from hypothesis import given, settings
from hypothesis import strategies as st

from orgsite.content import parse_post
from orgsite.errors import OrgsiteError
from orgsite.site.parsed_posts import decode, encode, parsed_posts

line = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x85\u2028\u2029"), max_size=40)
dates = st.one_of(
    st.none(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)).map(dt.date.isoformat),
    st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2199, 12, 30),
                 timezones=st.one_of(st.none(), st.timezones())).map(dt.datetime.isoformat),  # fmt: skip
)


@st.composite
def post_texts(draw) -> str:
    """Post files of every shape parse_post meets, well formed or not: titles, dates, tags, replies, bodies."""
    head = [f"title: {draw(line)!r}" if draw(st.booleans()) else f"title: {draw(line)}"]
    date = draw(dates)
    if date:
        head.append(f"date: {date!r}" if draw(st.booleans()) else f"date: {date}")
    for tag in draw(st.lists(line, max_size=3)):
        head.append(f"tags: [{tag!r}]")
    if draw(st.booleans()):
        head.append(f"reply_to: {draw(st.sampled_from(['posts/bob/hello.md', 'smiths:posts/dana/trip.md', 'x']))}")
    body = draw(st.text(max_size=200))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(["---", *head, "---", body])


@settings(max_examples=300, deadline=None)
@given(post_texts())
def test_a_stored_parse_gives_back_exactly_the_parsed_post(text):
    try:
        parsed = parse_post(text.encode("utf-8", "surrogatepass"))
    except OrgsiteError as e:
        parsed = str(e)
    assert decode(encode(parsed)) == parsed


def test_the_cache_gives_the_same_posts_and_errors_as_parsing_them(tmp_path):
    repo = pygit2.init_repository(str(tmp_path / "r.git"), bare=True)
    texts = [
        b"---\ntitle: Hello\ndate: 2026-05-01T12:00:00+02:00\ntags: [a, b]\n---\nHi *all*\n",
        b"---\ntitle: Plain\ndate: 2026-05-01\nreply_to: posts/bob/hello.md\n---\r\nBody\r\n",
        b"---\ntitle: [not, a, string]\n---\nBroken\n",
        b"\xff not utf-8",
    ]
    blobs = [str(repo.create_blob(text)) for text in texts]
    first = parsed_posts(tmp_path, blobs, lambda blob: repo[blob].data)

    def unread(blob: str) -> bytes:
        raise AssertionError(f"{blob} read again")

    again = parsed_posts(tmp_path, reversed(blobs), unread)  # now every one comes from the cache
    assert first == again
    for blob, text in zip(blobs, texts, strict=True):
        try:
            assert again[blob] == parse_post(text)
        except OrgsiteError as e:
            assert again[blob] == str(e)
    assert isinstance(again[blobs[2]], str) and isinstance(again[blobs[3]], str)
