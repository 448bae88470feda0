"""The site's manifest: the commit it renders, the orgsite that built it, and the SHA-256 of every
file. With reproducible builds, anyone with a clone can rebuild that commit and compare
(`orgsite verify --site`): an operator cannot serve anything the signed history does not say."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orgsite import __version__
from orgsite.errors import OrgsiteError

MANIFEST_NAME = "orgsite-manifest.json"
# The manifest itself, the marker swap_in writes, and the build state (build_state.STATE_NAME).
NOT_LISTED = (MANIFEST_NAME, ".orgsite-site", ".orgsite-build")


@dataclass(frozen=True)
class Manifest:
    """What a built site says of itself."""

    commit: str
    orgsite: str
    files: dict[str, str]  # path (with /) -> SHA-256 hex


def digests(site: Path, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """The SHA-256 of every file under `site` but the manifest and marker, by relative path (those in
    `known` as given there: the build that wrote them hashed what it wrote)."""
    known = known or {}
    found = {}
    for folder, _, names in os.walk(site):
        prefix = Path(folder).relative_to(site).as_posix() + "/"
        for name in names:
            relative = name if prefix == "./" else prefix + name
            if relative in known:
                found[relative] = known[relative]
            elif relative not in NOT_LISTED and os.path.isfile(path := os.path.join(folder, name)):
                found[relative] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return dict(sorted(found.items()))


def write_manifest(site: Path, tip: str, files: dict[str, str]) -> None:
    """Write the manifest of the site built in `site` from `tip`, whose files have the digests `files`."""
    manifest = {"commit": tip, "orgsite": __version__, "files": files}
    # A file a line, as with indent=1, but made by json's C encoder (indenting is not: seconds at 60,000 files).
    text = json.dumps(manifest, sort_keys=True, separators=(",\n ", ": "))
    (site / MANIFEST_NAME).write_text(text + "\n", encoding="utf-8")


def parse_manifest(text: str, where: str) -> Manifest:
    """The manifest in `text` (from `where`); an OrgsiteError saying what is wrong otherwise."""
    try:
        data = json.loads(text)
        manifest = Manifest(data["commit"], data["orgsite"], dict(data["files"]))
    except (ValueError, KeyError, TypeError):
        raise OrgsiteError(f"{where} is not an orgsite site manifest; was the site built by orgsite?") from None
    if not (isinstance(manifest.commit, str) and len(manifest.commit) == 40):
        raise OrgsiteError(f"{where}: the manifest names no commit")
    return manifest


def differences(expected: dict[str, str], served: dict[str, str]) -> list[str]:
    """One line per file where what is served is not what the signed history builds to."""
    lines = [f"differs: {path}" for path in sorted(expected) if path in served and served[path] != expected[path]]
    lines += [f"missing from the site: {path}" for path in sorted(set(expected) - set(served))]
    lines += [f"only on the site: {path}" for path in sorted(set(served) - set(expected))]
    return lines
