"""Founding a community: a new bare repository with its hooks and a signed introduction commit."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from orgsite.allowlist import ALLOWLIST_PATH, handle_problem, render_allowlist
from orgsite.content import COMMUNITY_PATH, key_path, render_community
from orgsite.errors import OrgsiteError
from orgsite.gitcmd import commit_tree_signed
from orgsite.gpg import KeyInfo, UserKeys
from orgsite.hookfiles import install_hooks
from orgsite.model import Allowlist, Community, Member, Role
from orgsite.repo import FSCK_KEY, INTRODUCTION_KEY, CommunityRepo
from orgsite.verify import Verifier


def _check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OrgsiteError(f"{target} already exists and is not empty; choose a new path for the community")
    if not target.parent.is_dir():
        raise OrgsiteError(f"{target.parent} does not exist; create it first")


def init_community(
    target: Path, *, community: str, handle: str, key: str, branch: str = "main", description: str = ""
) -> str:
    """Create the community at `target` and return its introduction commit id; nothing is left on failure."""
    _check_target(target)
    problem = handle_problem(handle)
    if problem:
        raise OrgsiteError(problem)
    operator_key = UserKeys().secret_key(key)
    name, email = operator_key.name_and_email()
    settings = Community(name=community, description=description, branch=branch)
    operator = Member(handle, name, email, Role.OPERATOR, (operator_key.fingerprint,))
    files = {
        COMMUNITY_PATH: render_community(settings).encode(),
        ALLOWLIST_PATH: render_allowlist(Allowlist((operator,))).encode(),
        key_path(handle): UserKeys().export_public(operator_key.fingerprint),
    }
    message = f"Introduce the community {community!r}\n\nFirst operator: {handle} ({operator_key.fingerprint})\n"
    return found(target, settings, files, operator_key, message)


def found(target: Path, settings: Community, files: dict[str, bytes], signer: KeyInfo, message: str) -> str:
    """Create a bare community at `target` whose introduction commit holds `files`, signed by `signer`
    (one of the operators the allowlist in `files` lists), with orgsite's hooks; returns the
    introduction's id. Nothing is left behind on failure."""
    _check_target(target)
    if signer.revoked or signer.expired:
        raise OrgsiteError(f"key {signer.fingerprint} is revoked or expired; use a valid key")
    name, email = signer.name_and_email()
    branch = settings.branch
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=target.parent))
    try:
        repo = CommunityRepo.create_bare(scratch, branch)
        tree = repo.write_tree(files)
        intro = commit_tree_signed(repo.git_dir, tree, [], message, key=signer.fingerprint, name=name, email=email)
        _check_introduction(repo, intro)
        repo.set_ref(f"refs/heads/{branch}", intro)
        repo.config_set(INTRODUCTION_KEY, intro)
        repo.config_set(FSCK_KEY, "true")
        install_hooks(repo.git_dir, ("pre-receive", "post-receive"))
        if target.exists():
            target.rmdir()
        scratch.rename(target)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    return intro


def _check_introduction(repo: CommunityRepo, intro: str) -> None:
    with Verifier(repo, intro) as verifier:
        verdict = verifier.verdicts([intro])[intro]
    if not verdict.accepted:
        raise OrgsiteError("the introduction commit does not pass the rules: " + "; ".join(map(str, verdict.problems)))
