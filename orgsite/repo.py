"""The only home of pygit2: open community repositories, read commits, trees and blobs, walk history."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import ObjectType, SortMode

from orgsite.errors import RepoError
from orgsite.model import GITLINK_MODE, Version

ZERO_ID = "0" * 40
INTRODUCTION_KEY = "orgsite.introduction"
FSCK_KEY = "receive.fsckObjects"  # git checks every pushed object (duplicate tree entries and worse)
SITE_KEY = "orgsite.site"  # the folder the post-receive hook rebuilds, when the site is enabled
AUTHORIZED_KEYS_KEY = "orgsite.authorizedKeys"  # the file the post-receive hook keeps members' SSH keys in


@dataclass(frozen=True)
class CommitMeta:
    """What git records about a commit besides its tree (the signer is the trust core's business)."""

    author_name: str
    author_email: str
    author_time: int
    commit_time: int
    message: str


@dataclass(frozen=True)
class FilePatch:
    """One file's change in a commit: path, git's status letter (A, M, D…), the unified diff, the new blob."""

    path: str
    status: str
    diff: str | Callable[[], str]  # the unified diff, or what makes it when first asked (see `text`)
    blob: str | None = None  # None when the change deletes the file
    too_large: int = 0  # the file's size in bytes when it was too large to diff (text is then empty)
    old_blob: str | None = None  # the version it replaces; None when the change adds the file
    # Both versions are regular files (mode 100644, or absent): the diff's text can be made from the two
    # blobs alone, which costs far less than diffing the trees (libgit2 reads every entry of both).
    plain: bool = False

    @property
    def text(self) -> str:
        """The unified diff (made on first use: most builds show few of the history's diffs)."""
        return self.diff if isinstance(self.diff, str) else self.diff()


class _CommitDiff:
    """The texts of one commit's diff against its first parent, made once, when first asked for."""

    def __init__(self, repo: pygit2.Repository, commit_id: str, diff: pygit2.Diff | None = None) -> None:
        self._repo = repo
        self._commit_id = commit_id
        self._diff = diff  # the diff when already made (its texts are made from it, once)
        self._texts: dict[str, str] | None = None

    def text(self, path: str) -> str:
        if self._texts is None:
            diff = self._diff
            if diff is None:  # (an empty Diff is falsy: test for None)
                diff = _first_parent_diff(self._repo[pygit2.Oid(hex=self._commit_id)])
            self._texts = {patch_path(patch.delta): patch.text or "" for patch in diff}
            self._diff = None
        return self._texts.get(path, "")


def patch_path(delta: pygit2.DiffDelta) -> str:
    """The path a diff delta is about (the old one for a deletion)."""
    return delta.old_file.path if delta.status_char() == "D" else delta.new_file.path


def _first_parent_diff(commit: pygit2.Commit) -> pygit2.Diff:
    if commit.parents:
        return commit.parents[0].tree.diff_to_tree(commit.tree)
    return commit.tree.diff_to_tree(swap=True)


class CommunityRepo:
    """A community repository (bare or a clone), read through pygit2."""

    def __init__(self, path: str | os.PathLike[str], *, include_quarantine: bool = False) -> None:
        try:
            self._repo = pygit2.Repository(str(path))
        except (pygit2.GitError, KeyError) as e:
            raise RepoError(
                f"{path} is not a Git repository ({e}); run this in a clone of the community or give its path"
            ) from e
        self._kept_diffs: dict[str, pygit2.Diff] | None = None
        # A page asks for a diff's text several times (its size, then its lines): made once.
        self._blob_patch_text = functools.lru_cache(maxsize=64)(self._diff_of_blobs)
        if include_quarantine:
            # In a pre-receive hook the pushed objects sit in a quarantine directory that
            # git names in the environment; libgit2 does not read it by itself.
            for var in ("GIT_OBJECT_DIRECTORY", "GIT_QUARANTINE_PATH"):
                if os.environ.get(var):
                    self._repo.odb.add_disk_alternate(os.environ[var])

    @classmethod
    def create_bare(cls, path: Path, branch: str) -> CommunityRepo:
        """A new, empty bare repository at `path` whose HEAD names `branch`."""
        try:
            pygit2.init_repository(str(path), bare=True, initial_head=branch)
        except pygit2.GitError as e:
            raise RepoError(f"cannot create a repository at {path}: {e}") from e
        return cls(path)

    @property
    def git_dir(self) -> Path:
        """The repository's .git directory (the repository itself when bare)."""
        return Path(self._repo.path)

    @property
    def work_dir(self) -> Path | None:
        """The checkout's top folder, or None for a bare repository."""
        return Path(self._repo.workdir) if self._repo.workdir else None

    @property
    def cache_dir(self) -> Path:
        """Where orgsite keeps keyrings and verdicts for this repository."""
        return self.git_dir / "orgsite-cache"

    def config_get(self, key: str) -> str | None:
        """A value from the repository's git config, or None."""
        try:
            return self._repo.config[key]
        except KeyError:
            return None

    def config_set(self, key: str, value: str) -> None:
        """Write `key = value` into the repository's own git config."""
        self._repo.config[key] = value

    def ref_commit(self, name: str) -> str | None:
        """The commit the ref `name` points at, or None when there is no such ref."""
        try:
            return str(self._repo.lookup_reference(name).peel(pygit2.Commit).id)
        except (KeyError, pygit2.InvalidSpecError):
            return None

    def branch_tip(self, branch: str) -> str | None:
        """The commit id `branch` points at (local, else origin's), or None when it does not exist."""
        return self.ref_commit(f"refs/heads/{branch}") or self.remote_tip(branch)

    def remote_tip(self, branch: str) -> str | None:
        """Where `origin/<branch>` was when last fetched or pushed, or None."""
        return self.ref_commit(f"refs/remotes/origin/{branch}")

    def head(self) -> str | None:
        """The commit HEAD points at, or None in an empty repository."""
        try:
            return str(self._repo.head.peel(pygit2.Commit).id)
        except (pygit2.GitError, KeyError):
            return None

    def head_branch(self) -> str | None:
        """The branch name HEAD refers to (even when that branch has no commit yet)."""
        try:
            target = self._repo.references["HEAD"].target
        except KeyError:
            return None
        return target.removeprefix("refs/heads/") if isinstance(target, str) else None

    def ref_targets(self) -> list[str]:
        """The object ids all current refs point at."""
        targets = []
        for ref in self._repo.references.iterator():
            try:
                targets.append(str(ref.resolve().target))
            except (KeyError, pygit2.GitError):
                continue
        return targets

    def set_ref(self, name: str, target: str) -> None:
        """Point ref `name` at commit `target`, creating it if needed."""
        self._repo.references.create(name, pygit2.Oid(hex=target), force=True)

    def _commit(self, commit_id: str) -> pygit2.Commit:
        try:
            obj = self._repo[commit_id]
        except (KeyError, ValueError) as e:
            raise RepoError(f"commit {commit_id[:12]} is not in the repository") from e
        if not isinstance(obj, pygit2.Commit):
            raise RepoError(f"{commit_id[:12]} is not a commit")
        return obj

    def exists(self, object_id: str) -> bool:
        """True when the object is in the repository (quarantine included)."""
        return pygit2.Oid(hex=object_id) in self._repo.odb

    def is_commit(self, object_id: str) -> bool:
        """True when `object_id` names a commit that is present."""
        return self.exists(object_id) and self._repo[object_id].type == ObjectType.COMMIT

    def raw_commit(self, commit_id: str) -> bytes:
        """The commit object's bytes exactly as stored (headers, signature, message)."""
        _, data = self._repo.odb.read(pygit2.Oid(hex=commit_id))
        return data

    def parents(self, commit_id: str) -> list[str]:
        """The commit's parent ids, first parent first."""
        return [str(p) for p in self._commit(commit_id).parent_ids]

    def _entry(self, commit_id: str, path: str) -> pygit2.Object | None:
        try:
            return self._commit(commit_id).tree[path]
        except KeyError:
            return None

    def read(self, commit_id: str, path: str) -> bytes | None:
        """The bytes of file `path` in the commit's tree, or None when there is no such file."""
        entry = self._entry(commit_id, path)
        if entry is None or entry.type != ObjectType.BLOB:
            return None
        return entry.data

    def tree_id(self, commit_id: str, path: str) -> str | None:
        """The id of directory `path` in the commit's tree, or None when absent."""
        entry = self._entry(commit_id, path)
        return str(entry.id) if entry is not None and entry.type == ObjectType.TREE else None

    def blob_id(self, commit_id: str, path: str) -> str | None:
        """The id of file `path` in the commit's tree, or None when absent."""
        entry = self._entry(commit_id, path)
        return str(entry.id) if entry is not None and entry.type == ObjectType.BLOB else None

    def blob_ids_under(self, commit_id: str, path: str) -> list[tuple[str, str]]:
        """(name, blob id) of each file directly inside directory `path` of the commit, in name order."""
        entry = self._entry(commit_id, path)
        if entry is None or entry.type != ObjectType.TREE:
            return []
        return [(child.name, str(child.id)) for child in entry if child.type == ObjectType.BLOB]

    def read_blob(self, blob_id: str) -> bytes:
        """The bytes of a blob."""
        return self._repo[blob_id].data

    def _blob_size(self, blob_id: pygit2.Oid, mode: int) -> int:
        if mode == GITLINK_MODE:
            return 0
        try:
            return self._repo.odb.read_header(blob_id)[1]
        except (KeyError, pygit2.GitError):
            return 0

    def _version(self, oid: pygit2.Oid, mode: int) -> Version:
        return Version(str(oid), mode, self._blob_size(oid, mode))

    def version(self, commit_id: str, path: str) -> Version | None:
        """The version of file `path` in the commit's tree (blob, mode, size), or None when absent."""
        entry = self._entry(commit_id, path)
        if entry is None or entry.type == ObjectType.TREE:
            return None
        return self._version(entry.id, entry.filemode)

    def all_versions(self, commit_id: str) -> dict[str, Version]:
        """Every file of the commit's tree with its version."""
        return {path: self._version(oid, mode) for path, oid, mode in _walk_tree(self._commit(commit_id).tree, "")}

    def keep_first_parent_diffs(self) -> None:
        """From now on, keep each commit's diff against its first parent made by `diff_versions` until
        `patches` reads it: a build reads each commit's changes twice (to judge it, then to show it)."""
        self._kept_diffs = {}

    def diff_versions(self, old_commit: str, new_commit: str) -> dict[str, Version | None]:
        """The files that differ between two commits, with their version in `new_commit` (None: deleted)."""
        old, new = self._commit(old_commit), self._commit(new_commit)
        keep = self._kept_diffs if self._kept_diffs is not None and new.parent_ids[:1] == [old.id] else None
        diff = keep.get(new_commit) if keep is not None else None
        if diff is None:
            diff = old.tree.diff_to_tree(new.tree)
            if keep is not None:
                keep[new_commit] = diff
        changed: dict[str, Version | None] = {}
        for delta in diff.deltas:
            if delta.status_char() == "D":
                changed[delta.old_file.path] = None
            else:
                changed[delta.new_file.path] = self._version(delta.new_file.id, delta.new_file.mode)
        return changed

    def new_trees(self, commit_id: str) -> Iterator[tuple[str, bytes]]:
        """(folder path, raw object) of each tree in the commit that no parent has at the same place."""
        commit = self._commit(commit_id)
        yield from self._new_trees(commit.tree_id.raw, [p.tree_id.raw for p in commit.parents], "")

    def _new_trees(self, tree: bytes, olds: list[bytes], prefix: str) -> Iterator[tuple[str, bytes]]:
        if tree in olds:
            return
        raw = self._raw_object(tree)
        yield prefix.rstrip("/"), raw
        subtrees = _subtrees(raw)
        if not subtrees:
            return
        old_subtrees = [_subtrees(self._raw_object(old)) for old in olds]
        for name, subtree in subtrees.items():
            below = [old[name] for old in old_subtrees if name in old]
            yield from self._new_trees(subtree, below, f"{prefix}{name.decode('utf-8', 'replace')}/")

    def _raw_object(self, object_id: bytes) -> bytes:
        return self._repo.odb.read(pygit2.Oid(raw=object_id))[1]

    def _walker(self, tip: str, hide: Iterable[str], sort: SortMode) -> pygit2.Walker:
        walker = self._repo.walk(pygit2.Oid(hex=tip), sort)
        for hidden in hide:
            if hidden != ZERO_ID and self.is_commit(hidden):
                walker.hide(pygit2.Oid(hex=hidden))
        return walker

    def walk(self, tip: str, hide: Iterable[str] = ()) -> list[str]:
        """Commits reachable from `tip` but not from `hide`, parents before children."""
        return [str(c.id) for c in self._walker(tip, hide, SortMode.TOPOLOGICAL | SortMode.REVERSE)]

    def count_commits(self, tip: str, hide: Iterable[str] = (), *, stop_after: int) -> int:
        """How many commits `walk` would return, counting no further than `stop_after` + 1."""
        seen = 0
        for seen, _ in enumerate(self._walker(tip, hide, SortMode.NONE), start=1):
            if seen > stop_after:
                break
        return seen

    def commit_meta(self, commit_id: str) -> CommitMeta:
        """Author, times and message of a commit (what `git log` shows)."""
        commit = self._commit(commit_id)
        return CommitMeta(
            author_name=commit.author.name,
            author_email=commit.author.email,
            author_time=commit.author.time,
            commit_time=commit.commit_time,
            message=commit.message,
        )

    def patches(self, commit_id: str, *, max_file_bytes: int) -> list[FilePatch]:
        """Each file's diff against the first parent (against nothing for a root commit), in path order;
        the diffs' text is made when first asked for.

        A file larger than `max_file_bytes` (either version) is not diffed: its patch has only its size.
        """
        diff = self._kept_diffs.pop(commit_id, None) if self._kept_diffs is not None else None
        if diff is None:
            diff = _first_parent_diff(self._commit(commit_id))
        rows = []
        for delta in diff.deltas:
            status = delta.status_char()
            blob = None if status == "D" else str(delta.new_file.id)
            old_blob = None if status == "A" else str(delta.old_file.id)
            size = max(self._blob_size(f.id, f.mode) for f in (delta.old_file, delta.new_file))
            plain = {delta.old_file.mode, delta.new_file.mode} <= {0, _REGULAR_FILE}
            rows.append((patch_path(delta), status, blob, size if size > max_file_bytes else 0, old_blob, plain))
        return self.known_patches(commit_id, sorted(rows), diff)

    def known_patches(
        self,
        commit_id: str,
        rows: Iterable[tuple[str, str, str | None, int, str | None, bool]],
        diff: pygit2.Diff | None = None,
    ) -> list[FilePatch]:
        """The patches of `commit_id` from what `patches` found of them before (FilePatch's fields but the
        text, in path order); the diffs' text is made when first asked for: from the two blobs of a plain
        change, else from `diff` when given, else from the commit's diff against its first parent."""
        rows = list(rows)
        # `diff` is kept (until a text is asked for) only when some change needs it: a build that diffed
        # every commit would otherwise hold fifty thousand of libgit2's diffs at 10,000 posts.
        needed = any(not plain and not too_large for _, _, _, too_large, _, plain in rows)
        texts = _CommitDiff(self._repo, commit_id, diff if needed else None)
        patches = []
        for path, status, blob, too_large, old_blob, plain in rows:
            if too_large:
                text: str | Callable[[], str] = ""
            elif plain:
                text = functools.partial(self._blob_patch_text, path, old_blob, blob)
            else:
                text = functools.partial(texts.text, path)
            patches.append(FilePatch(path, status, text, blob, too_large, old_blob, plain))
        return patches

    def _diff_of_blobs(self, path: str, old_blob: str | None, new_blob: str | None) -> str:
        """git's diff of one regular file between two versions (None: absent), as a tree diff shows it."""
        old = self._repo[old_blob] if old_blob else None
        new = self._repo[new_blob] if new_blob else None
        return pygit2.Patch.create_from(old, new, old_as_path=path, new_as_path=path).text or ""

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """True when `ancestor` is `descendant` or one of its ancestors."""
        if ancestor == descendant:
            return True
        return self._repo.descendant_of(pygit2.Oid(hex=descendant), pygit2.Oid(hex=ancestor))

    def write_tree(self, files: dict[str, bytes]) -> str:
        """Write blobs and trees for `files` (path → bytes) and return the root tree's id."""
        root: dict = {}
        for path, data in files.items():
            node = root
            *dirs, name = path.split("/")
            for d in dirs:
                node = node.setdefault(d, {})
            node[name] = data
        return str(self._write_tree_node(root))

    def _write_tree_node(self, node: dict) -> pygit2.Oid:
        builder = self._repo.TreeBuilder()
        for name, value in sorted(node.items()):
            if isinstance(value, dict):
                builder.insert(name, self._write_tree_node(value), pygit2.enums.FileMode.TREE)
            else:
                builder.insert(name, self._repo.create_blob(value), pygit2.enums.FileMode.BLOB)
        return builder.write()


_REGULAR_FILE = 0o100644
# An entry of a raw tree object: mode, name, 20-byte id. Read in sequence from the start, it finds
# exactly the entries of a well-formed tree; a malformed tree is refused by its own check anyway.
_RAW_ENTRY = re.compile(rb"([0-7]+) ([^\0]*)\0(.{20})", re.DOTALL)


def _subtrees(raw: bytes) -> dict[bytes, bytes]:
    """{name: raw id} of the folders listed in a raw tree object."""
    if b"40000 " not in raw:
        return {}  # no folder here (the common case of a folder of posts): no need to read each entry
    return {name: oid for mode, name, oid in _RAW_ENTRY.findall(raw) if mode == b"40000"}


def _walk_tree(tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, pygit2.Oid, int]]:
    for entry in tree:
        path = f"{prefix}{entry.name}"
        if entry.type == ObjectType.TREE:
            yield from _walk_tree(entry, path + "/")
        else:
            yield path, entry.id, entry.filemode
