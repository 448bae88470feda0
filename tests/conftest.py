"""Shared, expensive fixtures: one GNUPGHOME and its keys per session, one community template copied per test."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from orgsite.keyring import stop_agents
from tests.people import Community, Key, Person, clone_as, generate_key, orgsite, run

PEOPLE = {
    "alice": ("Alice Example", "alice@example.org"),
    "bob": ("Bob Example", "bob@example.org"),
    "carol": ("Carol Example", "carol@example.org"),
    "mallory": ("Mallory Outsider", "mallory@example.net"),
}


@pytest.fixture(scope="session")
def gnupg_home():
    """A private GNUPGHOME for the whole session (short path: gpg-agent's socket path is limited)."""
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="osgpg-"))
    old = os.environ.get("GNUPGHOME")
    os.environ["GNUPGHOME"] = str(home)
    yield home
    stop_agents(home)
    if old is None:
        del os.environ["GNUPGHOME"]
    else:
        os.environ["GNUPGHOME"] = old
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def keys(gnupg_home) -> dict[str, Key]:
    """ed25519 keys for an operator, two members and an outsider, generated once."""
    return {handle: generate_key(name, email) for handle, (name, email) in PEOPLE.items()}


@pytest.fixture(scope="session")
def key_factory(gnupg_home):
    """Make an extra key (expiring, faked-time, with subkey…) in the session's keyring."""
    counter = iter(range(10_000))

    def make(name: str = "Extra Person", **options) -> Key:
        n = next(counter)
        return generate_key(name, f"extra{n}@example.org", **options)

    return make


def _make_template(root: Path, keys: dict[str, Key]) -> None:
    alice = keys["alice"]
    made = orgsite(
        "init",
        str(root / "family.git"),
        "--community",
        "Family",
        "--handle",
        "alice",
        "--key",
        alice.fingerprint,
    )
    assert made.returncode == 0, made.stderr
    operator = clone_as(root / "family.git", root / "alice", "alice", alice)
    for handle in ("bob", "carol"):
        (root / f"{handle}.asc").write_bytes(keys[handle].export())
        added = operator.orgsite("member", "add", handle, str(root / f"{handle}.asc"))
        assert added.returncode == 0, added.stderr
    pushed = operator.push()
    assert pushed.ok, pushed.output
    for handle in ("bob", "carol", "mallory"):
        clone_as(root / "family.git", root / handle, handle, keys[handle])


@pytest.fixture(scope="session")
def community_template(tmp_path_factory, keys) -> Path:
    root = tmp_path_factory.mktemp("template")
    _make_template(root, keys)
    return root


@pytest.fixture
def community(community_template, tmp_path, keys) -> Community:
    """A fresh copy of the template community: alice (operator), bob and carol (members), mallory (outsider)."""
    root = tmp_path / "c"
    shutil.copytree(community_template, root, symlinks=True)
    bare = root / "family.git"
    people = {}
    for handle in PEOPLE:
        run("git", "remote", "set-url", "origin", str(bare), cwd=root / handle)
        people[handle] = Person(handle, keys[handle], root / handle)
    return Community(bare, people)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """`orgsite demo` run once: (its folder, what it printed)."""
    root = tmp_path_factory.mktemp("demo") / "tour"
    made = orgsite("demo", str(root))
    assert made.returncode == 0, made.stderr
    yield root, made.stdout
    stop_agents(root / "gnupg")


@pytest.fixture(scope="session")
def demo_site(demo) -> Path:
    """The site `orgsite demo` built."""
    root, _ = demo
    return root / "site"


@pytest.fixture(scope="session")
def axe_source(tmp_path_factory) -> str:
    """axe-core from the npm registry (installed once into tests/.npm, which git ignores)."""
    prefix = Path(__file__).parent / ".npm"
    script = prefix / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix), "axe-core"],
                       check=True, capture_output=True, timeout=300)  # fmt: skip
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def smiths_template(tmp_path_factory, key_factory):
    """The Smiths: dana (operator) and her clone with one post; built once, copied per test."""
    root = tmp_path_factory.mktemp("smiths")
    dana = key_factory("Dana Smith")
    made = orgsite("init", str(root / "smiths.git"), "--community", "The Smiths", "--handle", "dana", "--key",
                   dana.fingerprint)  # fmt: skip
    assert made.returncode == 0, made.stderr
    intro = made.stdout.split("Introduction commit: ")[1].split()[0]
    person = clone_as(root / "smiths.git", root / "dana", "dana", dana)
    person.post("trip", "Our trip", "We went to the sea.\n")
    assert person.push().ok
    return root, dana, intro


@pytest.fixture
def smiths(smiths_template, tmp_path):
    root, key, intro = smiths_template
    copy = tmp_path / "smiths"
    shutil.copytree(root, copy, symlinks=True)
    run("git", "remote", "set-url", "origin", str(copy / "smiths.git"), cwd=copy / "dana")
    return copy / "smiths.git", Person("dana", key, copy / "dana"), intro
