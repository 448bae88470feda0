"""`orgsite verify --site`: check that a site serves exactly what the signed history builds to."""

from __future__ import annotations

import hashlib
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from orgsite import __version__
from orgsite.errors import OrgsiteError
from orgsite.repo import CommunityRepo
from orgsite.site.build import build_site
from orgsite.site.manifest import MANIFEST_NAME, differences, digests, parse_manifest

NOT_CHECKED = "neighbours/"  # other communities' verified states: the member's clone does not hold them


@dataclass(frozen=True)
class SiteCheck:
    """What comparing a served site with a local rebuild of its commit found."""

    commit: str
    checked: int
    differences: tuple[str, ...]
    notes: tuple[str, ...]


def _fetch(url: str, cookie: str | None) -> bytes:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http(s) given by the user)
            return response.read()
    except urllib.error.HTTPError as e:
        if e.code == 401:
            raise OrgsiteError(f"{url} asks to sign in; pass --cookie 'orgsite_session=…' from your browser") from None
        raise OrgsiteError(f"{url}: {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise OrgsiteError(f"cannot reach {url}: {getattr(e, 'reason', e)}") from None


def check_site(repo_path: Path, site: str, *, cookie: str | None = None) -> SiteCheck:
    """Rebuild the commit the site at `site` (a folder or an http(s) address) says it renders, from the
    clone `repo_path`, and compare every file."""
    is_url = site.startswith(("http://", "https://"))
    base = site.rstrip("/") + "/"
    where = f"{base}{MANIFEST_NAME}" if is_url else str(Path(site) / MANIFEST_NAME)
    try:
        text = _fetch(where, cookie).decode("utf-8") if is_url else Path(where).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise OrgsiteError(f"{where} cannot be read; is {site} a site built by orgsite?") from None
    manifest = parse_manifest(text, where)
    repo = CommunityRepo(repo_path)
    if not repo.is_commit(manifest.commit):
        why = f"the site renders commit {manifest.commit[:7]}, which {repo_path} does not have; git fetch first"
        raise OrgsiteError(why)
    notes = []
    if manifest.orgsite != __version__:
        notes.append(f"the site was built by orgsite {manifest.orgsite}, this is {__version__}: "
                     "files may differ for that reason alone")  # fmt: skip
    if is_url:
        served = {path: hashlib.sha256(_fetch(base + path, cookie)).hexdigest()
                  for path in manifest.files if not path.startswith(NOT_CHECKED)}  # fmt: skip
    else:
        served = digests(Path(site))
    with tempfile.TemporaryDirectory(prefix="orgsite-check-") as scratch:
        build_site(repo_path, Path(scratch) / "site", tip=manifest.commit)
        expected = digests(Path(scratch) / "site")
    skipped = {path for path in {*served, *expected} if path.startswith(NOT_CHECKED)}
    if skipped:
        notes.append(f"{len(skipped)} file(s) under {NOT_CHECKED} not checked: they render other communities")
    expected = {p: d for p, d in expected.items() if p not in skipped}
    served = {p: d for p, d in served.items() if p not in skipped}
    return SiteCheck(manifest.commit, len(expected), tuple(differences(expected, served)), tuple(notes))
