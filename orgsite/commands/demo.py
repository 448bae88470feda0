"""`orgsite demo`: a complete throwaway community, made through real keys, signed commits and pushes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orgsite.content import post_path, render_post
from orgsite.errors import OrgsiteError
from orgsite.founding import init_community
from orgsite.gitcmd import git
from orgsite.gpg import UserKeys
from orgsite.keyring import short_temp_home, stop_agents
from orgsite.membership import add_member, remove_member
from orgsite.posting import edit_post, new_post
from orgsite.repo import CommunityRepo
from orgsite.site.build import BuildReport, build_site
from orgsite.verify import AuditReport, audit

PEOPLE = {
    "alice": "Alice Example",
    "bob": "Bob Example",
    "carol": "Carol Example",
    "dan": "Dan Example",
    "erin": "Erin Example",
}

# (who, slug, title, tags, reply_to, body): the story the demo community tells, in order.
POSTS = [
    (
        "alice",
        "welcome",
        "Welcome to our family site",
        ("news",),
        None,
        "This is **our** place: every post is signed, and the whole history is on the site.\n",
    ),
    ("bob", "hello", "Hello from Bob", ("hello",), None, "Hi all! Glad to be here.\n"),
    ("carol", "re-hello", "Re: Hello from Bob", (), "posts/bob/hello.md", "Welcome, Bob!\n"),
    ("bob", "re-re-hello", "Re: Re: Hello from Bob", (), "posts/carol/re-hello.md", "Thanks, Carol :)\n"),
    (
        "carol",
        "summer-plans",
        "Summer plans",
        ("plans", "summer"),
        None,
        "Who is in for the lake house in July?\n\n- week 1: Carol\n- week 2: ?\n",
    ),
    ("dan", "recipe", "Grandma's apple cake", ("recipes",), None, "1. Apples\n2. Flour, butter, sugar\n3. Love\n"),
    ("bob", "re-summer", "Re: Summer plans", ("plans",), "posts/carol/summer-plans.md", "Week 2 for us!\n"),
    (
        "alice",
        "photos",
        "Where to put photos",
        ("news", "howto"),
        None,
        "Attach pictures next to your post, in your own folder. New to git? Read "
        "[the Git book](https://git-scm.com/book).\n",
    ),
    ("dan", "re-recipe", "Re: Grandma's apple cake", ("recipes",), "posts/dan/recipe.md", "Bake 40 minutes.\n"),
    ("carol", "books", "Book club", ("books",), None, "This month: *The Left Hand of Darkness*.\n"),
]
EDIT = ("bob", "hello", "Hello from Bob", ("hello",), None, "Hi all! Glad to be here. (Edited: fixed a typo.)\n")
LATER = [
    ("erin", "hi", "Erin joins", ("hello",), None, "Hello everyone, I just joined.\n"),
    ("carol", "re-books", "Re: Book club", ("books",), "posts/carol/books.md", "Next month: poetry.\n"),
]


@dataclass(frozen=True)
class Demo:
    """Where the demo community is and what its audit found."""

    root: Path
    bare: Path
    report: AuditReport
    site: BuildReport


@contextmanager
def _own_gnupg_home(keep: Path) -> Iterator[None]:
    """Run with a fresh GNUPGHOME (short path for gpg's sockets), kept afterwards under `keep`."""
    home = short_temp_home()
    previous = os.environ.get("GNUPGHOME")
    os.environ["GNUPGHOME"] = str(home)
    try:
        yield
    finally:
        stop_agents(home)
        if previous is None:
            os.environ.pop("GNUPGHOME", None)
        else:
            os.environ["GNUPGHOME"] = previous
        shutil.copytree(home, keep, ignore=shutil.ignore_patterns("S.*"), dirs_exist_ok=True)
        shutil.rmtree(home, ignore_errors=True)


class _Member:
    def __init__(self, root: Path, bare: Path, handle: str, fingerprint: str) -> None:
        self.handle = handle
        self.fingerprint = fingerprint
        self.clone = root / "clones" / handle
        git("clone", "-q", str(bare), str(self.clone), cwd=root)
        for key, value in (
            ("user.name", PEOPLE[handle]),
            ("user.email", f"{handle}@example.org"),
            ("user.signingkey", fingerprint),
        ):
            git("config", key, value, cwd=self.clone)

    def post(self, slug: str, title: str, tags: tuple[str, ...], reply_to: str | None, body: str) -> None:
        """Write (or rewrite) posts/<handle>/<slug>.md through `orgsite post`'s own code, and push."""
        git("pull", "-q", "--ff-only", cwd=self.clone)
        path = post_path(self.handle, slug)
        if (self.clone / path).exists():
            text = render_post(title, body, tags=tags, reply_to=reply_to)
            edit_post(self.clone, path, editor=lambda _before: text)
        else:
            new_post(self.clone, title, body=body, editor=lambda _: None, tags=tags, reply_to=reply_to, slug=slug)

    def change_membership(self, action: Callable[..., object], *args: object) -> None:
        """Run `member add` or `member remove` as this member, pushing the commit."""
        git("pull", "-q", "--ff-only", cwd=self.clone)
        action(self.clone, *args, signing_key=self.fingerprint, push_now=True)


DEMO_MARKER = ".orgsite-demo"  # marks a folder holding a demo: running the demo again may replace it


def make_demo(root: Path) -> Demo:
    """Create the demo community under `root` (new, empty, or holding an earlier demo, which is
    replaced), audit it and build its site. On failure an earlier demo is put back as it was."""
    root = root.absolute()
    previous = None
    if root.exists() and any(root.iterdir()):
        if not (root / DEMO_MARKER).is_file():
            raise OrgsiteError(f"{root} is not empty and holds no demo made by orgsite; give the demo a new folder")
        previous = root.with_name(f".{root.name}.previous-demo")
        shutil.rmtree(previous, ignore_errors=True)
        stop_agents(root / "gnupg")
        root.rename(previous)
    try:
        made = _make_demo(root)
    except BaseException:
        if previous is not None:
            shutil.rmtree(root, ignore_errors=True)
            previous.rename(root)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    return made


def _make_demo(root: Path) -> Demo:
    root.mkdir(parents=True, exist_ok=True)
    (root / DEMO_MARKER).write_text("Made by `orgsite demo`; running it again with this folder replaces it.\n")
    bare = root / "community.git"
    with _own_gnupg_home(root / "gnupg"):
        keys = UserKeys()
        fingerprints = {h: keys.generate(name, f"{h}@example.org") for h, name in PEOPLE.items()}
        (root / "keys").mkdir()
        for handle, fpr in fingerprints.items():
            (root / "keys" / f"{handle}.asc").write_bytes(keys.export_public(fpr))
        init_community(
            bare,
            community="The Example Family",
            handle="alice",
            key=fingerprints["alice"],
            description="A demo community made by `orgsite demo`",
        )
        members = {"alice": _Member(root, bare, "alice", fingerprints["alice"])}
        for handle in ("bob", "carol", "dan"):
            members["alice"].change_membership(add_member, handle, root / "keys" / f"{handle}.asc")
            members[handle] = _Member(root, bare, handle, fingerprints[handle])
        for who, *post in POSTS:
            members[who].post(*post)
        members[EDIT[0]].post(*EDIT[1:])
        members["alice"].change_membership(add_member, "erin", root / "keys" / "erin.asc")
        members["erin"] = _Member(root, bare, "erin", fingerprints["erin"])
        members["alice"].change_membership(remove_member, "dan")
        for who, *post in LATER:
            members[who].post(*post)
    report = audit(CommunityRepo(bare), "main")
    return Demo(root, bare, report, build_site(bare, root / "site"))
