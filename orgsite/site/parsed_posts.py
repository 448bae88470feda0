"""Posts parsed once per version: what `parse_post` made of a blob, kept by blob id in the repository's
cache, so a build does not read every post's YAML again (at 10,000 posts that is seconds a push)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from orgsite import content
from orgsite.content import PostMeta, parse_post
from orgsite.errors import OrgsiteError
from orgsite.keyed_store import KeyedStore, made_by


def encode(meta: PostMeta, text_length: int) -> str:
    """The stored form of `meta`, parsed from a post of `text_length` characters (its body is the end of
    the post's text, not stored again)."""
    date = meta.date
    return json.dumps({
        "title": meta.title,
        "date": date.isoformat() if date else None,
        "datetime": isinstance(date, dt.datetime),
        "tags": meta.tags,
        "reply_to": meta.reply_to,
        "body_at": text_length - len(meta.body),
    })  # fmt: skip


def decode(stored: str, text: str) -> PostMeta:
    """The PostMeta `encode` stored, for the post whose text is `text`."""
    return _decoded(json.loads(stored), text)


def _decoded(data: dict, text: str) -> PostMeta:
    date = data["date"] and (dt.datetime if data["datetime"] else dt.date).fromisoformat(data["date"])
    return PostMeta(data["title"], date or None, tuple(data["tags"]), data["reply_to"], text[data["body_at"] :])


def parsed_posts(cache_dir: Path, blobs: Iterable[str], read: Callable[[str], bytes]) -> dict[str, PostMeta | str]:
    """For each blob id, what `parse_post` makes of it: the PostMeta, or the error's message."""
    store = KeyedStore(cache_dir / "history.sqlite", "posts", made_by(content, versions=[yaml.__version__]))
    try:
        blobs = list(dict.fromkeys(blobs))
        known = store.get_many(blobs)
        found: dict[str, PostMeta | str] = {}
        fresh = []
        for blob in blobs:
            stored = json.loads(known[blob]) if blob in known else None
            if stored is not None and "error" in stored:
                found[blob] = stored["error"]
                continue
            data = read(blob)
            if stored is not None:
                found[blob] = _decoded(stored, data.decode("utf-8"))
                continue
            try:
                meta = parse_post(data)
            except OrgsiteError as e:
                found[blob] = str(e)
                fresh.append((blob, json.dumps({"error": str(e)})))
                continue
            found[blob] = meta
            fresh.append((blob, encode(meta, len(data.decode("utf-8")))))
        store.put_many(fresh)
    finally:
        store.close()
    return found
