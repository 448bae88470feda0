"""The site's search index (MkDocs' search plugin writes it) in one canonical form: entries grouped by
page in the order of the pages' addresses, so a build that redoes some pages can splice their entries
into the previous index and get the bytes a full build writes. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable

INDEX_PATH = "search/search_index.json"


def _page_of(entry: dict) -> str:
    return str(entry.get("location", "")).split("#", 1)[0]


def canonical(index: dict) -> str:
    """The index as its file holds it: each page's entries in their own order, the pages by address."""
    docs = sorted(index.get("docs", []), key=_page_of)  # stable: a page's sections keep their order
    return json.dumps({"config": index.get("config", {}), "docs": docs}, separators=(",", ":"))


def spliced(previous: dict, partial: dict, redone: Iterable[str]) -> dict:
    """`previous` with the entries of the pages at the addresses `redone` replaced by those in `partial`."""
    dropped = set(redone)
    docs = [entry for entry in previous.get("docs", []) if _page_of(entry) not in dropped]
    docs += [entry for entry in partial.get("docs", []) if _page_of(entry) in dropped]
    return {"config": partial.get("config", previous.get("config", {})), "docs": docs}
