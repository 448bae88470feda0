"""Changing whom a community follows: `[[follow]]` in community.toml, as one commit signed by an operator."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from orgsite.content import COMMUNITY_PATH, parse_community, render_community
from orgsite.errors import ConfigError, OrgsiteError
from orgsite.model import Community, Follow
from orgsite.signing_clone import Committed, SigningClone


class OperatorClone(SigningClone):
    """A clone whose key is an operator's, with a readable community.toml at HEAD."""

    def __init__(self, repo_dir: Path, signing_key: str | None) -> None:
        super().__init__(repo_dir, signing_key)
        if self.member is None or not self.member.is_operator:
            raise OrgsiteError(f"key {self.key.fingerprint} is not an operator's key; only operators change "
                               "community.toml (whom it follows, its outboxes)")  # fmt: skip
        parsed = self.snapshots.community_file(self.head)
        if parsed.value is None:
            raise OrgsiteError(f"{self.work}/{COMMUNITY_PATH} {parsed.error or 'is missing'}; fix it first")
        self.settings: Community = parsed.value

    def commit_settings(self, settings: Community, message: str, *, push_now: bool) -> Committed:
        text = render_community(settings)
        try:
            parse_community(text)  # the hook's own check, before anything is written
        except ConfigError as e:
            raise OrgsiteError(f"{e}; nothing was committed") from None
        (self.work / COMMUNITY_PATH).write_text(text)
        return self.commit([COMMUNITY_PATH], message, push_now=push_now)


def add_follow(repo_dir: Path, follow: Follow, *, signing_key: str | None, push_now: bool) -> Committed:
    """Follow the neighbour `follow`, as one operator-signed commit of community.toml."""
    clone = OperatorClone(repo_dir, signing_key)
    if clone.settings.follow(follow.name):
        raise OrgsiteError(f"'{follow.name}' is followed already; remove it first to change it")
    settings = dataclasses.replace(clone.settings, follows=(*clone.settings.follows, follow))
    return clone.commit_settings(settings, f"Follow {follow.name} ({follow.url})", push_now=push_now)


def remove_follow(repo_dir: Path, name: str, *, signing_key: str | None, push_now: bool) -> Committed:
    """Stop following `name`, as one operator-signed commit (what was fetched stays in the server's store)."""
    clone = OperatorClone(repo_dir, signing_key)
    if clone.settings.follow(name) is None:
        raise OrgsiteError(f"'{name}' is not followed; see [[follow]] in {COMMUNITY_PATH}")
    settings = dataclasses.replace(clone.settings, follows=tuple(f for f in clone.settings.follows if f.name != name))
    return clone.commit_settings(settings, f"Stop following {name}", push_now=push_now)
