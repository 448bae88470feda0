"""The lineages of the posts at the last tip a build read (provenance.lineages), kept in the
repository's cache: the next build goes on from them through only the commits a push added on top
(see walks). Only ever an optimisation: what is missing or unreadable is folded again."""

from __future__ import annotations

import json

from orgsite import policy, provenance, repo, verify
from orgsite.keyed_store import KeyedStore, made_by
from orgsite.provenance import Lineage
from orgsite.repo import CommunityRepo

_LAST = "last lineages"  # the store's one entry


def _store(community: CommunityRepo) -> KeyedStore:
    # Read only by the code that made them: the fold, the merge rules, the diffs.
    return KeyedStore(community.cache_dir / "history.sqlite", "lineages", made_by(provenance, policy, verify, repo))


def kept_at(community: CommunityRepo, tip: str) -> dict[str, Lineage] | None:
    """The lineages kept for `tip`, if the last kept are those."""
    store = _store(community)
    try:
        data = json.loads(store.get_many([_LAST]).get(_LAST, "{}"))
        if data.get("tip") != tip:
            return None
        return {path: Lineage(blob, tuple(writers)) for path, (blob, *writers) in data["files"].items()}
    except (ValueError, KeyError, TypeError):
        return None
    finally:
        store.close()


def keep(community: CommunityRepo, tip: str, files: dict[str, Lineage]) -> None:
    """Keep the lineages at `tip` in place of the last kept."""
    store = _store(community)
    try:
        text = json.dumps({"tip": tip, "files": {path: [f.blob, *f.writers] for path, f in files.items()}})
        store.put_many([(_LAST, text)])
    finally:
        store.close()
