"""Sequoia's in-process check agrees with gpg, the reference, on every kind of signature the rules tell apart.

For each case a real signature is made with real gpg and checked both ways against a keyring built as
the hook builds it: the in-process check either leaves the case to gpg (None) or reports exactly what
gpg reports. It must also take the common case (one good signature by a member's valid key or subkey),
or it would speed nothing up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgsite.commitsig import SignedCommit, split_signed_commit
from orgsite.keyring import Keyring, cached_keyring, key_file_facts, short_temp_home, stop_agents
from orgsite.model import SignatureStatus
from tests.people import Key, run

PAYLOAD = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.org> 1 +0000\n\nhello\n"
DAY = 86400


def sign(key: str, payload: bytes = PAYLOAD, *options: str, home: Path | None = None) -> bytes:
    """A detached armoured signature, made by gpg as git makes it (`key` may force a subkey with '!')."""
    env = {"GNUPGHOME": str(home)} if home else None
    return run("gpg", "--batch", *options, "-u", key, "--detach-sign", "--armor", input=payload, env=env).stdout


def edit_key(fingerprint: str, commands: str, home: Path) -> None:
    run("gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--command-fd", "0",
        "--edit-key", fingerprint, input=commands.encode(), env={"GNUPGHOME": str(home)})  # fmt: skip


def subkey_of(fingerprint: str, home: Path | None = None) -> str:
    env = {"GNUPGHOME": str(home)} if home else None
    listing = run("gpg", "--with-colons", "--list-keys", fingerprint, env=env).stdout.decode().splitlines()
    return [line.split(":")[9] for line in listing if line.startswith("fpr:")][1]


def keyring_of(root: Path, *armoured: bytes) -> Keyring:
    """The keyring the hook would build from these key files."""
    blocks = [(data, key_file_facts(data)) for data in armoured]
    return cached_keyring(root / "keyrings", f"set-{len(list(root.glob('keyrings/*')))}", lambda: blocks)


@dataclass
class Case:
    signature: bytes
    keyring: Keyring
    payload: bytes = PAYLOAD
    takes_fast_path: bool = False


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, keys, key_factory) -> dict[str, Case]:
    """Every kind of signature the hook tells apart, each with the keyring it is checked against."""
    root = tmp_path_factory.mktemp("quick")
    now = int(time.time())
    alice, mallory = keys["alice"], keys["mallory"]
    with_subkey = key_factory("Sub Key", signing_subkey=True)
    lasting = key_factory("Lasting", expire="1y")
    expiring = key_factory("Expiring", expire="2d", faked_time=now - 10 * DAY)
    # A key that signed while valid and whose owner later published an earlier expiry: the key file
    # says it had expired before the signature was made.
    cut_short = key_factory("Cut Short", faked_time=now - 10 * DAY)
    after_expiry = sign(cut_short.fingerprint, PAYLOAD, "--faked-system-time", str(now - 5 * DAY))
    home = short_temp_home()
    try:
        run("gpg", "--batch", "--import", input=_secret(cut_short), env={"GNUPGHOME": str(home)})
        run("gpg", "--batch", "--faked-system-time", str(now - 9 * DAY), "--quick-set-expire", cut_short.fingerprint,
            "1d", env={"GNUPGHOME": str(home)})  # fmt: skip
        cut_short_file = cut_short.export(home)
    finally:
        stop_agents(home)
    members = keyring_of(root, alice.export(), with_subkey.export(), lasting.export(), expiring.export(),
                         cut_short_file)  # fmt: skip
    sha1_capable = key_factory("Old Habits")

    # A revoked key and a key with a revoked subkey, changed in a home of their own.
    # A soft revocation (superseded, retired) leaves earlier signatures valid for Sequoia, not for gpg.
    revoked, revoked_sub = key_factory("Revoked"), key_factory("Revoked Sub", signing_subkey=True)
    superseded = key_factory("Superseded", faked_time=now - 10 * DAY)
    before_revocation = sign(revoked.fingerprint)
    before_superseded = sign(superseded.fingerprint, PAYLOAD, "--faked-system-time", str(now - 5 * DAY))
    sub = subkey_of(revoked_sub.fingerprint)
    by_sub_before = sign(sub + "!")
    home = short_temp_home()
    try:
        run("gpg", "--batch", "--import", input=revoked.export() + revoked_sub.export(), env={"GNUPGHOME": str(home)})
        revocation = Path(run("gpgconf", "--list-dirs", "homedir").stdout.decode().strip(), "openpgp-revocs.d",
                          f"{revoked.fingerprint}.rev").read_text().replace(":-----BEGIN", "-----BEGIN")  # fmt: skip
        run("gpg", "--batch", "--import", input=revocation.encode(), env={"GNUPGHOME": str(home)})
        secrets = _secret(revoked_sub) + _secret(superseded)
        run("gpg", "--batch", "--import", input=secrets, env={"GNUPGHOME": str(home)})
        edit_key(revoked_sub.fingerprint, "key 1\nrevkey\ny\n3\n\ny\nsave\n", home)  # 3: no longer used
        edit_key(superseded.fingerprint, "revkey\ny\n2\n\ny\nsave\n", home)  # 2: superseded
        revoked_keys = keyring_of(root, alice.export(), revoked.export(home), revoked_sub.export(home),
                                  superseded.export(home))  # fmt: skip
    finally:
        stop_agents(home)
    two = run("gpg", "--batch", "-u", alice.fingerprint, "-u", lasting.fingerprint, "--detach-sign", "--armor",
              input=PAYLOAD).stdout  # fmt: skip
    committed = _signed_commit(root / "clone", alice)
    garbage = b"-----BEGIN PGP SIGNATURE-----\n\nbm90IGEgc2lnbmF0dXJl\n-----END PGP SIGNATURE-----\n"
    return {
        "good": Case(sign(alice.fingerprint), members, takes_fast_path=True),
        "good, with the blank line git may keep": Case(sign(alice.fingerprint) + b"\n", members, takes_fast_path=True),
        "good, a real commit's": Case(committed.signature, members, committed.payload, takes_fast_path=True),
        "good, by a subkey": Case(sign(subkey_of(with_subkey.fingerprint) + "!"), members, takes_fast_path=True),
        "good, key expires next year": Case(sign(lasting.fingerprint), members, takes_fast_path=True),
        "good, key expired since": Case(
            sign(expiring.fingerprint, PAYLOAD, "--faked-system-time", str(now - 9 * DAY)), members
        ),
        "key expired at signing time": Case(after_expiry, members),
        "bad: the payload was altered": Case(sign(alice.fingerprint), members, payload=PAYLOAD + b"!"),
        "unknown key": Case(sign(mallory.fingerprint), members),
        "revoked key": Case(before_revocation, revoked_keys),
        "retired subkey": Case(by_sub_before, revoked_keys),
        "superseded key": Case(before_superseded, revoked_keys),
        "sha-1 digest": Case(sign(sha1_capable.fingerprint, PAYLOAD, "--digest-algo", "SHA1"),
                             keyring_of(root, sha1_capable.export())),  # fmt: skip
        "two signatures": Case(two, members),
        "signature that expires": Case(sign(alice.fingerprint, PAYLOAD, "--default-sig-expire", "1y"), members),
        "text-mode signature": Case(sign(alice.fingerprint, PAYLOAD, "--textmode"), members),
        "made in the future": Case(sign(alice.fingerprint, PAYLOAD, "--faked-system-time", str(now + 3 * DAY)),
                                   members),  # fmt: skip
        "garbage": Case(garbage, members),
        "not armoured at all": Case(b"hello", members),
    }


def _signed_commit(clone: Path, key: Key) -> SignedCommit:
    """The signature and payload of a commit signed by real git, as the hook reads them."""
    run("git", "init", "-q", str(clone))
    identity = ["-c", f"user.name={key.name}", "-c", f"user.email={key.email}"]
    identity += ["-c", f"user.signingkey={key.fingerprint}"]
    run("git", *identity, "commit", "-q", "-S", "--allow-empty", "-m", "hello", cwd=clone)
    return split_signed_commit(run("git", "cat-file", "commit", "HEAD", cwd=clone).stdout)


def _secret(key: Key) -> bytes:
    return run("gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--export-secret-keys",
               key.fingerprint).stdout  # fmt: skip


CASES = [
    "good",
    "good, with the blank line git may keep",
    "good, a real commit's",
    "good, by a subkey",
    "good, key expires next year",
    "good, key expired since",
    "key expired at signing time",
    "bad: the payload was altered",
    "unknown key",
    "revoked key",
    "retired subkey",
    "superseded key",
    "sha-1 digest",
    "two signatures",
    "signature that expires",
    "text-mode signature",
    "made in the future",
    "garbage",
    "not armoured at all",
]


@pytest.mark.parametrize("name", CASES)
def test_the_in_process_check_agrees_with_gpg_or_leaves_it_to_gpg(corpus, name):
    case = corpus[name]
    by_gpg = case.keyring.verify(case.signature, case.payload)
    quick = case.keyring.quick_verify(case.signature, case.payload, int(time.time()))
    if case.takes_fast_path:
        assert by_gpg.status == SignatureStatus.GOOD
        assert quick == by_gpg
    else:
        assert quick is None, f"{name}: Sequoia vouched for what gpg calls {by_gpg}"


def test_the_corpus_holds_every_verdict_the_rules_tell_apart(corpus):
    seen = {corpus[name].keyring.verify(corpus[name].signature, corpus[name].payload).status for name in CASES}
    assert seen >= {SignatureStatus.GOOD, SignatureStatus.GOOD_KEY_EXPIRED, SignatureStatus.BAD,
                    SignatureStatus.REVOKED, SignatureStatus.UNKNOWN_KEY, SignatureStatus.UNCHECKABLE}  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), byte=st.integers(min_value=0, max_value=255))
def test_a_damaged_signature_is_never_vouched_for_unless_gpg_agrees(corpus, position, byte):
    case = corpus["good"]
    damaged = bytearray(case.signature)
    damaged[position % len(damaged)] = byte
    quick = case.keyring.quick_verify(bytes(damaged), case.payload, int(time.time()))
    if quick is not None:
        assert quick == case.keyring.verify(bytes(damaged), case.payload)

