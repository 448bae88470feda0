"""A member's everyday workflow as they would live it: join, post, reply, edit, check before pushing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from orgsite.commitsig import NOT_SIGNED
from tests.people import Key, orgsite, run


@pytest.fixture
def editor(tmp_path):
    """$EDITOR as a script: writes the given text into the file git or orgsite asks to edit."""

    def make(text: str, *, append: bool = False) -> dict[str, str]:
        script = tmp_path / f"editor-{abs(hash(text))}"
        body = tmp_path / f"editor-{abs(hash(text))}.txt"
        body.write_text(text)
        script.write_text(f'#!/bin/sh\ncat "{body}" {">>" if append else ">"} "$1"\n')
        script.chmod(0o755)
        return {"EDITOR": str(script), "VISUAL": str(script)}

    return make


def orgsite_in(person, *args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "orgsite", *args], cwd=person.clone, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, input=stdin, check=False)  # fmt: skip


def test_join_with_fresh_gnupg_home_makes_a_key_and_reuses_it(tmp_path):
    home = Path(tempfile.mkdtemp(prefix="osgpg-"))
    try:
        env = {**os.environ, "GNUPGHOME": str(home)}
        first = subprocess.run([sys.executable, "-m", "orgsite", "join", "--name", "Dana Example", "--email",
                                "dana@example.org", "--no-passphrase"], cwd=tmp_path, env=env, capture_output=True,
                               text=True, check=False)  # fmt: skip
        assert first.returncode == 0, first.stderr
        fingerprint = first.stdout.split("Generated a new signing key (no passphrase): ")[1].split()[0]
        assert len(fingerprint) == 40
        assert " ".join(fingerprint[i : i + 4] for i in range(0, 40, 4)) in first.stdout
        assert "orgsite member add dana dana.asc --push" in first.stdout
        shown = run("gpg", "--with-colons", "--show-keys", str(tmp_path / "dana.asc")).stdout.decode()
        assert f"fpr:::::::::{fingerprint}:" in shown and "sec:" not in shown  # public key only
        again = subprocess.run([sys.executable, "-m", "orgsite", "join", "--name", "Dana Example", "--email",
                                "dana@example.org", "--no-passphrase"], cwd=tmp_path, env=env, capture_output=True,
                               text=True, check=False)  # fmt: skip
        assert again.returncode == 0 and f"Reusing your existing key: {fingerprint}" in again.stdout
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def dana(community, tmp_path):
    """Dana joins with `orgsite join`, the operator adds her with `member add`, she clones."""
    made = orgsite("join", "--name", "Dana Example", "--email", f"dana{id(tmp_path)}@example.org", "--handle", "dana",
                   "--out", str(tmp_path / "dana.asc"), "--no-passphrase")  # fmt: skip
    assert made.returncode == 0, made.stderr
    fingerprint = made.stdout.split(": ")[1].split()[0]
    added = community.alice.orgsite("member", "add", "dana", str(tmp_path / "dana.asc"), "--push")
    assert added.returncode == 0, added.stderr
    return community.join("dana", Key("Dana Example", "dana@example.org", fingerprint), tmp_path / "dana")


def test_post_from_editor_is_committed_signed_and_pushed(community, dana, editor):
    posted = orgsite_in(dana, "post", "Hello, everyone!", "--tag", "hello", "--tag", "intro",
                        env=editor("I am **Dana**.\n"))  # fmt: skip
    assert posted.returncode == 0, posted.stderr
    assert "and pushed" in posted.stdout
    text = run("git", "show", "main:posts/dana/hello-everyone.md", cwd=community.bare).stdout.decode()
    assert text == "---\ntitle: Hello, everyone!\ntags:\n- hello\n- intro\n---\nI am **Dana**.\n"
    assert dana.git("log", "-1", "--format=%G? %GF") == f"G {dana.key.fingerprint}"


def test_reply_and_edit_and_body_from_stdin(community, dana, editor):
    bob = community.bob
    bob.pull()
    bob.post("hello", "Hello")
    assert bob.push().ok
    dana.pull()
    replied = orgsite_in(dana, "post", "Re: Hello", "--reply-to", "posts/bob/hello.md", "--file", "-",
                         stdin="Welcome back!\n")  # fmt: skip
    assert replied.returncode == 0, replied.stderr
    assert "reply_to: posts/bob/hello.md" in (dana.clone / "posts/dana/re-hello.md").read_text()
    edited = orgsite_in(dana, "post", "--edit", "posts/dana/re-hello.md", env=editor("P.S. edited\n", append=True))
    assert edited.returncode == 0, edited.stderr
    shown = run("git", "show", "main:posts/dana/re-hello.md", cwd=community.bare).stdout.decode()
    assert shown.endswith("Welcome back!\nP.S. edited\n")
    refused = orgsite_in(dana, "post", "--edit", "posts/bob/hello.md", env=editor("mine now\n"))
    assert refused.returncode == 1 and "belongs to @bob; members may only edit their own posts" in refused.stderr


def test_post_breaking_a_rule_is_stopped_before_any_commit(community, dana, tmp_path):
    before = dana.head()
    big = tmp_path / "big.md"
    big.write_text("x" * (1024 * 1024 + 1))
    too_big = orgsite_in(dana, "post", "Huge", "--file", str(big))
    assert too_big.returncode == 1
    assert "posts/dana/huge.md: is 10" in too_big.stderr and "nothing was committed" in too_big.stderr
    missing = orgsite_in(dana, "post", "Re: nothing", "--reply-to", "posts/bob/nope.md", "--file", "-", stdin="x")
    assert missing.returncode == 1 and "no such post here" in missing.stderr
    empty = orgsite_in(dana, "post", "Empty", "--file", "-", stdin="  \n")
    assert empty.returncode == 1 and "the post is empty" in empty.stderr
    assert dana.head() == before and dana.git("status", "--porcelain") == ""


def test_post_by_someone_not_on_the_allowlist_is_refused_with_next_steps(community):
    result = orgsite_in(community.mallory, "post", "Let me in", "--file", "-", stdin="hi\n")
    assert result.returncode == 1
    assert f"your key {community.mallory.key.fingerprint} is not on the allowlist" in result.stderr


def test_check_says_what_the_server_would_refuse(community):
    bob = community.bob
    clean = bob.orgsite("check")
    assert (clean.returncode, clean.stdout) == (0, "0 commit(s) not pushed yet; all keep the community's rules\n")
    bob.post("fine", "Fine")
    assert bob.orgsite("check").returncode == 0
    unsigned = bob.post("unsigned", "Unsigned", sign=False)
    checked = bob.orgsite("check")
    assert checked.returncode == 1
    assert f"orgsite: {unsigned[:7]}: {NOT_SIGNED}" in checked.stderr  # its parent is not on the server yet
    assert "2 commit(s) not pushed yet; the server would refuse the push" in checked.stderr


def test_check_catches_a_bad_post_before_the_push(community):
    bob = community.bob
    bob.write("posts/bob/oops.md", "---\ntags: [no title]\n---\nForgot the title.\n")
    commit = bob.commit("a post without a title")
    checked = bob.orgsite("check")
    assert checked.returncode == 1
    assert f"orgsite: {commit[:7]} posts/bob/oops.md: front matter needs a one-line 'title'" in checked.stderr


def test_pre_push_hook_stops_a_bad_push_before_it_leaves(community):
    bob = community.bob
    assert bob.orgsite("check", "--install-pre-push").returncode == 0
    bob.write("community.toml", 'name = "Bob\'s"\n')
    commit = bob.commit("take over")
    before = community.refs()
    pushed = bob.push()
    assert not pushed.ok
    assert f"orgsite: {commit[:7]} community.toml: members may only change files under posts/bob/" in pushed.output
    assert "remote:" not in pushed.output  # refused locally, nothing was sent
    assert community.refs() == before


def test_post_with_a_chosen_slug_and_no_push(community, dana):
    before = community.refs()
    made = orgsite_in(dana, "post", "My first day", "--slug", "first-day", "--no-push", "--file", "-", stdin="Hi\n")
    assert made.returncode == 0, made.stderr
    assert "committed" in made.stdout and "Next: git push" in made.stdout
    assert (dana.clone / "posts/dana/first-day.md").exists() and community.refs() == before
    again = orgsite_in(dana, "post", "Another", "--slug", "first-day", "--file", "-", stdin="Hi\n")
    assert again.returncode == 1 and "posts/dana/first-day.md already exists" in again.stderr


def test_join_also_shows_the_ssh_key_to_send_when_there_is_one(tmp_path):
    home = Path(tempfile.mkdtemp(prefix="osgpg-"))
    user_home = tmp_path / "home"
    (user_home / ".ssh").mkdir(parents=True)
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "erin@phone", "-f", str(user_home / ".ssh/id_ed25519"))
    line = (user_home / ".ssh/id_ed25519.pub").read_text().strip()
    try:
        env = {**os.environ, "GNUPGHOME": str(home), "HOME": str(user_home)}
        joined = subprocess.run([sys.executable, "-m", "orgsite", "join", "--name", "Erin", "--email",
                                 "erin@example.org", "--no-passphrase"], cwd=tmp_path, capture_output=True, text=True,
                                check=False, env=env)  # fmt: skip
        assert joined.returncode == 0, joined.stderr
        assert f"also send your SSH public key {user_home / '.ssh/id_ed25519.pub'}" in joined.stdout
        assert f"    {line}\n" in joined.stdout and "--ssh-key id_ed25519.pub" in joined.stdout
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def test_member_add_refuses_a_bad_ssh_key_file_before_committing(community, tmp_path, keys):
    (tmp_path / "erin.pub").write_text("ssh-dss AAAAB3NzaC1kc3M= old@box\n")
    (tmp_path / "erin.asc").write_bytes(keys["mallory"].export())
    head = community.alice.head()
    added = community.alice.orgsite("member", "add", "erin", str(tmp_path / "erin.asc"), "--ssh-key",
                                    str(tmp_path / "erin.pub"))  # fmt: skip
    assert added.returncode == 1
    assert added.stderr == f"error: {tmp_path / 'erin.pub'} line 1: ssh key type 'ssh-dss' is not accepted; use one " \
        "of ssh-ed25519, sk-ssh-ed25519@openssh.com, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, " \
        "sk-ecdsa-sha2-nistp256@openssh.com, ssh-rsa\n"  # fmt: skip
    assert community.alice.head() == head and not community.alice.git("status", "--porcelain")
