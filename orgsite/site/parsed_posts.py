"""Posts parsed once per version: what `parse_post` made of a blob, kept by blob id in the repository's
cache with its body, so a build neither parses every post's YAML again (at 10,000 posts that was
seconds a push) nor reads every post's text."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from orgsite import content
from orgsite.content import PostMeta, parse_post
from orgsite.errors import OrgsiteError
from orgsite.keyed_store import KeyedStore, made_by


def encode(meta: PostMeta) -> str:
    """The stored form of `meta`."""
    date = meta.date
    return json.dumps({
        "title": meta.title,
        "date": date.isoformat() if date else None,
        "datetime": isinstance(date, dt.datetime),
        "tags": meta.tags,
        "reply_to": meta.reply_to,
        "body": meta.body,
    })  # fmt: skip


def decode(stored: str) -> PostMeta:
    """The PostMeta `encode` stored."""
    return _meta_of(json.loads(stored))


def _meta_of(data: dict) -> PostMeta:
    date = data["date"] and (dt.datetime if data["datetime"] else dt.date).fromisoformat(data["date"])
    return PostMeta(data["title"], date or None, tuple(data["tags"]), data["reply_to"], data["body"])


def parsed_posts(cache_dir: Path, blobs: Iterable[str], read: Callable[[str], bytes]) -> dict[str, PostMeta | str]:
    """For each blob id, what `parse_post` makes of it: the PostMeta, or the error's message."""
    # (Read only by the code that parsed and stored them.)
    context = made_by(content, sys.modules[__name__], versions=[yaml.__version__])
    store = KeyedStore(cache_dir / "history.sqlite", "posts", context)
    try:
        blobs = list(dict.fromkeys(blobs))
        known = store.get_many(blobs)
        found: dict[str, PostMeta | str] = {}
        fresh = []
        for blob in blobs:
            if blob in known:
                stored = json.loads(known[blob])
                found[blob] = stored["error"] if "error" in stored else _meta_of(stored)
                continue
            data = read(blob)
            try:
                meta = parse_post(data)
            except OrgsiteError as e:
                found[blob] = str(e)
                fresh.append((blob, json.dumps({"error": str(e)})))
                continue
            found[blob] = meta
            fresh.append((blob, encode(meta)))
        store.put_many(fresh)
    finally:
        store.close()
    return found
