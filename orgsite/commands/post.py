"""`orgsite post`: write a new post, or edit one's own, as a signed commit pushed right away."""

from __future__ import annotations

from pathlib import Path

from orgsite.posting import Editor, edit_post, new_post
from orgsite.signing_clone import Committed


def post(
    repo_dir: Path,
    *,
    title: str | None,
    body: str | None,
    editor: Editor,
    tags: tuple[str, ...],
    reply_to: str | None,
    slug: str | None,
    edit_path: str | None,
    signing_key: str | None,
    push_now: bool,
) -> Committed | None:
    """The new post's commit (or the edit's; None when the edit changed nothing)."""
    if edit_path:
        return edit_post(repo_dir, edit_path, editor=editor, signing_key=signing_key, push_now=push_now)
    assert title is not None  # the command line asks for one
    return new_post(repo_dir, title, body=body, editor=editor, tags=tags, reply_to=reply_to, slug=slug,
                    signing_key=signing_key, push_now=push_now)  # fmt: skip
