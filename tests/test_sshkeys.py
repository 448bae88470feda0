"""SSH public keys in the allowlist, table-driven and property-tested: pure, no ssh-keygen."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgsite.allowlist import parse_allowlist, render_allowlist
from orgsite.errors import ConfigError
from orgsite.model import Allowlist, Member, Peer, Role
from orgsite.sshkeys import parse_ssh_key

# Real public keys, made once with ssh-keygen (public halves only).
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMs0crBYkpDu1Q06ipgI4navPYEVf3IAopu6vBC0SQVb me@ed25519"
ED25519_FINGERPRINT = "SHA256:zpHBjRoS4WaXhjWFYbLJjMUoxl4v3VuXKqbw2LJW0Xg"
ECDSA = (
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGChPLGt3S0/kuHaqOHpULsyCG4/"
    "Nu2YYGjtFImK1qRTHjM0KWK8YzcimTH+71b5Bhi1Ixabrh5iV6b0ZJyP+NE= me@ecdsab256"
)
RSA_2048 = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCfWBhM2zFf7pFTEyPdUt2JwsTWEuLbAPKsaiymOsf8PJYE8AWHinCKI1G1b7Lt"
    "VfULhgFeK+MDC3wRQl8fYRO+uVzaboCwcpNPCVE5u5t90chw3UzED5tYn99/IPSsKNGdf2nobM5wsElv/pw+b5t9rOb1Tzkk/LX1"
    "nlZcldd4q2h9f0xUGV8NT7//b31DpA5uqpfKKLsA/BEs0Cj8Daz3VzTIqAIKeF2yG6+8z3jcHHpMjJfHvFkulYaWPtcSWM3XN4GG"
    "AnckcQDn80HMIJDl/OQCSKngdVazopdIKpg9utd2RRM3CbVq2eIYbp5sHc3ZCfs6N/2LmKbxAoInq5oT me@rsab2048"
)
RSA_1024 = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCrsm8KRMPzyPkvodZR49/pBAsWMATMjBY5eK5u0JPAIiM/VJT6F8VmaCHmryel"
    "6dQ+iFl2uSeHhSquMPHvQnBv2qlRH+bDmVqBZ3VrVn7Bw7iuvAYEg/30f8vj8xH+tfVFM5uPDhU1Rctptn0cQDjvjR5NbFnCkKk2"
    "54S6RsBohQ== me@rsab1024"
)


@pytest.mark.parametrize("line", [ED25519, ECDSA, RSA_2048, ED25519.rsplit(" ", 1)[0]])
def test_well_formed_keys_of_accepted_types_are_taken_without_their_comment(line):
    key = parse_ssh_key(line)
    assert key.line == " ".join(line.split()[:2])
    assert "me@" not in key.line


def test_the_fingerprint_is_the_one_ssh_keygen_prints():
    assert parse_ssh_key(ED25519).fingerprint == ED25519_FINGERPRINT


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (RSA_1024, "RSA keys need at least 2048 bits"),
        ("ssh-dss AAAAB3NzaC1kc3M=", "ssh key type 'ssh-dss' is not accepted"),
        ("ssh-ed25519", "must be '<type> <base64> [comment]'"),
        ("", "must be one line"),
        (ED25519 + "\nssh-ed25519 AAAA evil", "must be one line"),
        (ED25519.replace("AAAAC3", "AAAA!3"), "not a well-formed ssh-ed25519 key"),
        ("ssh-ed25519 " + ECDSA.split()[1], "the key data is not a ssh-ed25519 key"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMs0", "not a well-formed ssh-ed25519 key"),
        ("ssh-ed25519 " + "A" * 5000, "must be one line"),
        (42, "must be one line"),
    ],
)
def test_malformed_or_weak_keys_are_refused_saying_why(line, why):
    with pytest.raises(ConfigError) as raised:
        parse_ssh_key(line)
    assert why in str(raised.value)
    assert "\n" not in str(raised.value)


@given(st.text(max_size=300))
def test_any_text_is_either_a_key_or_one_clear_line(text):
    try:
        key = parse_ssh_key(text)
    except ConfigError as e:
        assert "\n" not in str(e) and len(str(e)) < 400
    else:
        assert key.line.isprintable() and len(key.line.split()) == 2


def member(handle, fpr, *ssh, role=Role.MEMBER):
    return Member(handle, handle.title(), f"{handle}@x", role, (fpr * 40,), tuple(ssh))


def test_ssh_keys_round_trip_through_the_allowlist_file():
    allowlist = Allowlist((member("alice", "A", ED25519, role=Role.OPERATOR), member("bob", "B", ECDSA, RSA_2048)))
    assert parse_allowlist(render_allowlist(allowlist)) == allowlist
    assert "ssh" not in render_allowlist(Allowlist((member("alice", "A", role=Role.OPERATOR),)))


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ((member("alice", "A", ED25519, role=Role.OPERATOR), member("bob", "B", ED25519 + "-copy")),
         "is listed twice ('alice' and 'bob')"),
        ((member("alice", "A", ED25519, ED25519.rsplit(" ", 1)[0], role=Role.OPERATOR),),
         "is listed twice ('alice' and 'alice')"),
        ((member("alice", "A", RSA_1024, role=Role.OPERATOR),), "member 'alice': ssh key"),
    ],
)  # fmt: skip
def test_an_ssh_key_opens_the_door_for_one_member_only(members, why):
    with pytest.raises(ConfigError) as raised:
        parse_allowlist(render_allowlist(Allowlist(members)))
    assert why in str(raised.value)


def test_ssh_must_be_a_short_list():
    text = render_allowlist(Allowlist((member("alice", "A", role=Role.OPERATOR),))) + 'ssh = "ssh-ed25519 AAAA"\n'
    with pytest.raises(ConfigError, match="'ssh' must be a list"):
        parse_allowlist(text)


def test_peers_round_trip_and_share_no_key_with_a_member():
    alice = member("alice", "A", ED25519, role=Role.OPERATOR)
    allowlist = Allowlist((alice,), (Peer("smiths", "c" * 40, (ECDSA,)),))
    assert parse_allowlist(render_allowlist(allowlist)) == allowlist
    clash = Allowlist((alice,), (Peer("smiths", "c" * 40, (ED25519,)),))
    with pytest.raises(ConfigError, match="is listed twice \\('alice' and 'peer smiths'\\)"):
        parse_allowlist(render_allowlist(clash))


@pytest.mark.parametrize(
    ("peer", "why"),
    [
        (Peer("Smiths!", "c" * 40, (ECDSA,)), "name"),
        (Peer("smiths", "c" * 39, (ECDSA,)), "full introduction commit id"),
        (Peer("smiths", "c" * 40, ()), "the key its server fetches with"),
        (Peer("smiths", "c" * 40, (RSA_1024,)), "RSA keys need at least 2048 bits"),
    ],
)
def test_a_bad_peer_entry_is_refused(peer, why):
    alice = member("alice", "A", role=Role.OPERATOR)
    with pytest.raises(ConfigError) as refused:
        parse_allowlist(render_allowlist(Allowlist((alice,), (peer,))))
    assert why in str(refused.value) and "[[peer]] #1" in str(refused.value)
