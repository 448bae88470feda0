"""`orgsite init`, `member add/remove` and `verify` as an operator runs them: real gpg, real git."""

from __future__ import annotations

import os
import sys

import pytest

from tests.people import orgsite, run


def git_out(*args, cwd):
    return run("git", *args, cwd=cwd).stdout.decode().strip()


def test_init_makes_bare_repo_with_hook_and_signed_introduction(tmp_path, keys):
    alice = keys["alice"]
    made = orgsite(
        "init", str(tmp_path / "c.git"), "--community", "Club", "--handle", "alice", "--key", alice.fingerprint
    )
    assert made.returncode == 0, made.stderr
    bare = tmp_path / "c.git"
    assert git_out("rev-parse", "--is-bare-repository", cwd=bare) == "true"
    intro = git_out("rev-parse", "main", cwd=bare)
    assert git_out("config", "orgsite.introduction", cwd=bare) == intro
    assert intro in made.stdout
    hook = bare / "hooks" / "pre-receive"
    assert os.access(hook, os.X_OK) and sys.executable in hook.read_text()
    assert git_out("log", "--format=%G? %GF %an <%ae>", "main", cwd=bare) == (
        f"G {alice.fingerprint} Alice Example <alice@example.org>"
    )
    assert git_out("ls-tree", "-r", "--name-only", "main", cwd=bare).split() == [
        "community.toml",
        "members/allowlist.toml",
        "members/keys/alice.asc",
    ]
    allowlist = git_out("show", "main:members/allowlist.toml", cwd=bare)
    assert 'handle = "alice"' in allowlist and 'role = "operator"' in allowlist and alice.fingerprint in allowlist
    assert 'name = "Club"' in git_out("show", "main:community.toml", cwd=bare)
    assert [p.name for p in tmp_path.iterdir()] == ["c.git"]  # no scratch left behind


@pytest.mark.parametrize(
    ("setup", "key", "message"),
    [
        ("nonempty", "alice", "already exists and is not empty"),
        (None, "NOSUCHKEY", "no key 'NOSUCHKEY' in your gpg keyring"),
        (None, "public-only", "has no secret part in your keyring"),
    ],
)
def test_init_refuses_bad_target_or_key_and_leaves_nothing(tmp_path, keys, key_factory, setup, key, message):
    target = tmp_path / "c.git"
    if setup == "nonempty":
        target.mkdir()
        (target / "something").write_text("mine")
    if key == "public-only":
        stranger = key_factory("Public Only")
        run("gpg", "--batch", "--yes", "--delete-secret-keys", stranger.fingerprint)
        key = stranger.fingerprint
    elif key in keys:
        key = keys[key].fingerprint
    made = orgsite("init", str(target), "--community", "Club", "--handle", "alice", "--key", key)
    assert made.returncode == 1
    assert made.stderr.startswith("error: ") and message in made.stderr, made.stderr
    assert len(made.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == (["c.git"] if setup else [])
    if setup:
        assert [p.name for p in target.iterdir()] == ["something"]


def test_member_add_writes_key_and_entry_as_signed_commit(community, key_factory, tmp_path):
    alice = community.alice
    dana = key_factory("Dana Example")
    (tmp_path / "dana.asc").write_bytes(dana.export())
    added = alice.orgsite("member", "add", "dana", str(tmp_path / "dana.asc"), "--role", "operator")
    assert added.returncode == 0, added.stderr
    assert "Next: git push" in added.stdout
    assert (
        alice.git("log", "-1", "--format=%G? %GF %s") == f"G {alice.key.fingerprint} Add operator dana (Dana Example)"
    )
    assert alice.git("show", "--stat", "--format=", "HEAD").count("|") == 2
    allowlist = (alice.clone / "members/allowlist.toml").read_text()
    assert f'handle = "dana"\nname = "Dana Example"\nemail = "{dana.email}"\nrole = "operator"' in allowlist
    assert (alice.clone / "members/keys/dana.asc").read_bytes() == dana.export()
    assert alice.git("status", "--porcelain") == ""
    assert alice.push().ok


def _key_file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("expired", "has expired; ask the member to extend it"),
        ("listed", "carries key {bob}, which members/keys/bob.asc holds; each key file holds one member's own key"),
        ("taken", "handle 'carol' is already on the allowlist"),
        ("badhandle", "handle 'Dana!' must be 1-32 of a-z"),
        ("twokeys", "must hold exactly one public key; it holds 2"),
        ("secret", "holds a secret key: only public keys belong in the repository"),
        ("missing", "cannot read key file"),
    ],
)
def test_member_add_refuses_bad_keys_and_handles(community, keys, key_factory, tmp_path, case, message):
    import time

    alice = community.alice
    handle = {"taken": "carol", "badhandle": "Dana!"}.get(case, "dana")
    if case == "expired":
        data = key_factory("Old Key", expire="1d", faked_time=int(time.time()) - 5 * 86400).export()
    elif case == "listed":
        data = keys["bob"].export()
    elif case == "twokeys":
        data = run("gpg", "--armor", "--export", keys["mallory"].fingerprint, keys["carol"].fingerprint).stdout
    elif case == "secret":
        data = run("gpg", "--armor", "--export-secret-keys", keys["mallory"].fingerprint).stdout
    else:
        data = keys["mallory"].export()
    key_file = _key_file(tmp_path, "k.asc", data) if case != "missing" else str(tmp_path / "nope.asc")
    before = alice.head()
    result = alice.orgsite("member", "add", handle, key_file)
    assert result.returncode == 1, result.stdout
    message = message.format(bob=keys["bob"].fingerprint)
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert alice.head() == before and alice.git("status", "--porcelain") == ""


def test_member_add_refuses_revoked_key(community, key_factory, tmp_path):
    from pathlib import Path

    dana = key_factory("Dana Revoked")
    home = run("gpgconf", "--list-dirs", "homedir").stdout.decode().strip()
    cert = Path(home, "openpgp-revocs.d", f"{dana.fingerprint}.rev").read_text().replace(":-----BEGIN", "-----BEGIN")
    run("gpg", "--batch", "--import", input=cert.encode())
    result = community.alice.orgsite("member", "add", "dana", _key_file(tmp_path, "d.asc", dana.export()))
    assert result.returncode == 1 and "is revoked" in result.stderr, result.stderr


def test_member_add_by_a_member_is_refused_before_any_commit(community, keys, tmp_path):
    bob = community.bob
    result = bob.orgsite("member", "add", "dana", _key_file(tmp_path, "m.asc", keys["mallory"].export()))
    assert result.returncode == 1
    assert f"key {bob.key.fingerprint} is not an operator's key" in result.stderr


def test_member_handles_are_never_reused_but_the_same_person_may_return(community, keys, tmp_path):
    alice = community.alice
    assert alice.orgsite("member", "remove", "bob").returncode == 0
    reuse = alice.orgsite("member", "add", "bob", _key_file(tmp_path, "m.asc", keys["mallory"].export()))
    assert reuse.returncode == 1 and "belonged to a former member" in reuse.stderr
    back = alice.orgsite("member", "add", "bob", _key_file(tmp_path, "b.asc", keys["bob"].export()))
    assert back.returncode == 0, back.stderr


def test_member_remove_keeps_past_posts_and_refuses_last_operator(community):
    alice, bob = community.alice, community.bob
    bob.post("hello")
    assert bob.push().ok
    alice.pull()
    last = alice.orgsite("member", "remove", "alice")
    assert last.returncode == 1 and "is the last operator" in last.stderr
    removed = alice.orgsite("member", "remove", "bob", "--push")
    assert removed.returncode == 0, removed.stderr
    assert 'handle = "bob"' not in (alice.clone / "members/allowlist.toml").read_text()
    assert not (alice.clone / "members/keys/bob.asc").exists()
    assert (alice.clone / "posts/bob/hello.md").exists()
    gone = alice.orgsite("member", "remove", "bob")
    assert gone.returncode == 1 and "'bob' is not on the allowlist" in gone.stderr


def test_verify_passes_a_clean_history_in_bare_repo_and_clone(community):
    community.bob.post("hello")
    assert community.bob.push().ok
    community.alice.pull()
    for where in (str(community.bare), str(community.alice.clone)):
        audit = orgsite("verify", where)
        assert (audit.returncode, audit.stdout) == (0, "4 commits checked, 0 refused\n"), audit.stderr


def test_verify_reports_each_bad_commit_that_bypassed_the_hook(community):
    bob = community.bob
    good = bob.post("good", "Good")
    unsigned = bob.post("unsigned", "No signature", sign=False)
    bob.write("members/allowlist.toml", "")
    sneaky = bob.commit("drop everyone")
    run("git", "fetch", "-q", "--update-head-ok", str(bob.clone), "main:main", cwd=community.bare)
    audit = community.verify()
    assert audit.returncode == 1
    lines = audit.stdout.splitlines()
    assert lines[-1] == "6 commits checked, 2 refused"
    assert f"{unsigned[:7]}: is not signed; commit with `git commit -S`" in lines
    assert any(line.startswith(f"{sneaky[:7]} members/allowlist.toml: members may only change") for line in lines)
    assert not any(line.startswith(good[:7]) for line in lines)


def test_hook_refuses_everything_in_a_repository_without_introduction(community):
    run("git", "config", "--unset", "orgsite.introduction", cwd=community.bare)
    community.bob.post("hello")
    pushed = community.bob.push()
    assert not pushed.ok
    assert pushed.refusals() == [
        "orgsite: push: this repository has no valid orgsite.introduction; create it with `orgsite init`"
    ]


def test_usage_errors_exit_2_and_help_works():
    assert orgsite("init").returncode == 2
    assert orgsite("frobnicate").returncode == 2
    helped = orgsite("member", "add", "--help")
    assert helped.returncode == 0 and "Add HANDLE with the public key in KEY_FILE" in helped.stdout


def test_commands_outside_a_repository_say_what_to_do(tmp_path):
    for args in (("verify", str(tmp_path)), ("build", str(tmp_path), "--out", str(tmp_path / "site"))):
        result = orgsite(*args)
        assert result.returncode == 1
        assert result.stderr.startswith(f"error: {tmp_path} is not a Git repository")
        assert "run this in a clone of the community or give its path" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "site").exists()
