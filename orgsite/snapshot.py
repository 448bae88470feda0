"""The community as of a commit: its allowlist, its settings, its members' key files, its branch and
introduction, and the allowlist's history. Each version of a file is read and parsed once, with one
failure policy: a missing file is absent, a malformed one is absent with the reason kept.

Everyone who needs these files goes through here: the verifier, a signing clone, `orgsite member`,
the site's history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from orgsite.allowlist import ALLOWLIST_PATH, parse_allowlist
from orgsite.content import COMMUNITY_PATH, KEYS_DIR, parse_community
from orgsite.errors import ConfigError, OrgsiteError, RepoError
from orgsite.keylisting import KeyFile
from orgsite.keyring import key_file_facts
from orgsite.model import Allowlist, Community, Parsed
from orgsite.repo import INTRODUCTION_KEY, CommunityRepo

T = TypeVar("T")
NO_KEYS = "no-keys"  # the key set of a commit without members/keys/
DEFAULT_COMMUNITY = Community(name="community")


def parse_file(path: str, data: bytes | None, parse: Callable[[str], T]) -> Parsed[T]:
    """`data` (the file at `path`, None when missing) parsed, or the reason it cannot be."""
    if data is None:
        return Parsed(None, None)
    try:
        return Parsed(parse(data.decode("utf-8")), None)
    except UnicodeDecodeError as e:
        return Parsed(None, f"{path}: not valid UTF-8 (byte {e.start})")
    except OrgsiteError as e:
        return Parsed(None, str(e))


class Snapshots:
    """The community files of one repository as of any of its commits, parsed once per version."""

    def __init__(self, repo: CommunityRepo) -> None:
        self.repo = repo
        self._parsed: dict[str, Parsed[object]] = {}  # blob id -> parsed file
        self._key_files: dict[str, KeyFile] = {}  # blob id -> what gpg reads in it

    def _file(self, commit: str, path: str, parse: Callable[[str], T]) -> Parsed[T]:
        blob = self.repo.blob_id(commit, path)
        if blob is None:
            return Parsed(None, None)
        if blob not in self._parsed:
            self._parsed[blob] = parse_file(path, self.repo.read_blob(blob), parse)
        return self._parsed[blob]  # type: ignore[return-value]

    def allowlist_file(self, commit: str) -> Parsed[Allowlist]:
        """`members/allowlist.toml` as of `commit`."""
        return self._file(commit, ALLOWLIST_PATH, parse_allowlist)

    def allowlist(self, commit: str) -> Allowlist | None:
        """The allowlist as of `commit`, or None when it is missing or malformed."""
        return self.allowlist_file(commit).value

    def community_file(self, commit: str) -> Parsed[Community]:
        """`community.toml` as of `commit`."""
        return self._file(commit, COMMUNITY_PATH, parse_community)

    def community(self, commit: str) -> Community:
        """The community's settings as of `commit` (the defaults when community.toml is missing or malformed)."""
        return self.community_file(commit).value or DEFAULT_COMMUNITY

    def _key_file(self, blob: str) -> KeyFile:
        # gpg reads each version of a key file once, whether to judge a commit or to build a keyring.
        if blob not in self._key_files:
            self._key_files[blob] = key_file_facts(self.repo.read_blob(blob))
        return self._key_files[blob]

    def key_files(self, commit: str) -> dict[str, KeyFile]:
        """What each file in `members/keys/` of `commit` holds, by path."""
        return {f"{KEYS_DIR}/{name}": self._key_file(blob) for name, blob in self.repo.blob_ids_under(commit, KEYS_DIR)}

    def key_blocks(self, commit: str) -> list[tuple[bytes, KeyFile]]:
        """The bytes and contents of every `members/keys/*.asc` of `commit` (what its keyring is built from)."""
        return [
            (self.repo.read_blob(blob), self._key_file(blob))
            for name, blob in self.repo.blob_ids_under(commit, KEYS_DIR)
            if name.endswith(".asc")
        ]

    def key_set(self, commit: str) -> str:
        """An id of the key files of `commit`: equal ids, equal keys."""
        return self.repo.tree_id(commit, KEYS_DIR) or NO_KEYS

    def ever_listed(self, tip: str) -> dict[str, set[str]]:
        """Handle → every fingerprint the allowlist listed for it anywhere in the history of `tip`."""
        listed: dict[str, set[str]] = {}
        for commit in self.repo.walk(tip):
            allowlist = self.allowlist(commit)
            for member in allowlist.members if allowlist else ():
                listed.setdefault(member.handle, set()).update(member.fingerprints)
        return listed

    def branch(self) -> str:
        """The community branch: as community.toml at HEAD names it, else HEAD's branch, else main."""
        head = self.repo.head()
        settings = self.community_file(head).value if head else None
        return settings.branch if settings else self.repo.head_branch() or "main"

    def introduction(self, tip: str | None, given: str | None = None) -> str:
        """The community's introduction: as given, else from git config, else the single root commit of `tip`."""
        for candidate in (given, self.repo.config_get(INTRODUCTION_KEY)):
            if candidate:
                return candidate
        if tip is None:
            raise RepoError(f"{self.repo.git_dir}: no community branch to audit")
        roots = [c for c in self.repo.walk(tip) if not self.repo.parents(c)]
        if len(roots) != 1:
            raise RepoError(
                f"{self.repo.git_dir}: {len(roots)} root commits and no {INTRODUCTION_KEY} in git config; "
                "pass --introduction COMMIT"
            )
        return roots[0]


def required_allowlist(snapshots: Snapshots, commit: str, where: object) -> Allowlist:
    """The allowlist as of `commit`; raises a ConfigError naming `where` when it is missing or malformed."""
    parsed = snapshots.allowlist_file(commit)
    if parsed.value is not None:
        return parsed.value
    if parsed.error:
        raise ConfigError(f"{where}: {parsed.error}; fix it in a commit signed by an operator")
    raise ConfigError(f"{where} has no {ALLOWLIST_PATH}: is this an orgsite community?")
