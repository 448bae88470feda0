"""The web door, for real: `orgsite authd` on 127.0.0.1, `orgsite login` signing a statement with a
member's own key, invitations, sessions that end with the member's removal, and every bad input."""

from __future__ import annotations

import base64
import io
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import replace

import pytest

from orgsite.access.roster import Roster
from orgsite.access.statements import INVITE, LOGIN, Statement
from orgsite.access.store import DoorStore, clock, new_secret
from orgsite.access.web import DoorApp
from orgsite.gpg import UserKeys
from tests.people import orgsite
from tests.servers import authd, authd_process, free_port

_NO_REDIRECTS = urllib.request.build_opener(
    urllib.request.ProxyHandler({}),
    type("Stay", (urllib.request.HTTPRedirectHandler,), {"redirect_request": lambda *a, **k: None}),
)


def http(url, *, data=None, cookie=None, json_body=None, headers=None, method=None):
    """(status, headers, body) of one request, redirects not followed."""
    headers = dict(headers or {})
    if json_body is not None:
        data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
    if cookie:
        headers["Cookie"] = f"orgsite_session={cookie}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _NO_REDIRECTS.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture
def door(community):
    port = free_port()
    site = f"http://127.0.0.1:{port}/"
    with authd(community.bare, port=port, site=site) as url:
        yield url, site


def session_from(link: str) -> str:
    status, headers, _ = http(link)
    assert status == 303, (status, headers)
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # the door runs on loopback over plain http here; Secure everywhere else
    return re.match(r"orgsite_session=([^;]+);", cookie).group(1)


def member_of(url: str, cookie: str | None) -> tuple[int, str | None]:
    status, headers, _ = http(f"{url}/_orgsite/check", cookie=cookie)
    return status, headers.get("X-Orgsite-Member")


def signed(statement: Statement, fingerprint: str) -> dict:
    text = statement.text()
    return {"statement": text, "signature": b64(UserKeys().sign_detached(fingerprint, text.encode()))}


def nonce(url: str) -> str:
    status, _, body = http(f"{url}/_orgsite/challenge", json_body={}, method="POST")
    assert status == 200, body
    return json.loads(body)["nonce"]


def test_a_stranger_sees_only_the_sign_in_page_with_the_communitys_name(door, community):
    url, site = door
    assert member_of(url, None) == (401, None)
    status, headers, page = http(f"{url}/_orgsite/login", headers={"Accept": "text/html"})
    assert status == 200 and "<title>Sign in · Family</title>" in page
    assert f"orgsite login {site}" in page
    for name in ("alice", "Alice", "bob", "Bob", "carol", "Carol", "example.org"):
        assert name not in page
    assert not re.findall(r"""(?:src|href|action)=["']https?://""", page)  # nothing from another host
    assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["Cache-Control"] == "no-store"


def test_orgsite_login_signs_a_member_in_and_their_removal_ends_it_on_the_next_request(door, community):
    url, site = door
    bob = community.bob
    made = bob.orgsite("login", site, "--print")
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip()
    assert link.startswith(f"{site}_orgsite/session?token=")
    cookie = session_from(link)
    assert member_of(url, cookie) == (204, "bob")
    assert "web door: 1 live session(s)" in orgsite("status", str(community.bare)).stdout
    again = http(link)
    assert again[0] == 403 and "used already or has expired" in again[2]  # single use

    alice = community.alice
    assert alice.orgsite("member", "remove", "bob", "--push").returncode == 0
    assert member_of(url, cookie) == (401, None)  # the very next request


def test_signing_out_ends_the_session_on_the_server(door, community):
    url, site = door
    cookie = session_from(community.carol.orgsite("login", site, "--print").stdout.strip())
    status, headers, _ = http(f"{url}/_orgsite/logout", data=b"", cookie=cookie, method="POST")
    assert status == 303 and "Max-Age=0" in headers["Set-Cookie"]
    assert member_of(url, cookie) == (401, None)


def test_bad_sign_ins_get_a_4xx_and_one_line(door, community, keys):
    url, site = door
    bob = keys["bob"].fingerprint
    now = clock()
    good = Statement(LOGIN, site, bob, nonce(url), now, now + 300)
    cases = [
        (signed(replace(good, site="http://127.0.0.1:1/"), bob), 403, "not for this site"),
        (signed(replace(good, purpose=INVITE, handle="bob"), bob), 403, "not an orgsite-login one"),
        (signed(replace(good, issued_at=now - 900, expires_at=now - 600), bob), 403, "has expired"),
        (signed(replace(good, expires_at=now + 3600), bob), 403, "valid for longer than 5 minutes"),
        (signed(replace(good, token=new_secret()), bob), 403, "used already or has expired"),  # never issued
        (signed(replace(good, token=nonce(url)), keys["mallory"].fingerprint), 403, "not a member's"),
        (signed(replace(good, token=nonce(url), fingerprint=keys["alice"].fingerprint), bob), 403,
         f"names key {keys['alice'].fingerprint} but is signed by {bob}"),
        ({"statement": good.text(), "signature": "!!"}, 400, "not base64url"),
        ({"statement": good.text().replace("site: ", "site:  ")}, 400, "'signature' must be a string"),
        ({"statement": "orgsite-login\nsite: x\n", "signature": "AAAA"}, 400, "exactly the lines"),
    ]  # fmt: skip
    for body, status, why in cases:
        got = http(f"{url}/_orgsite/signin", json_body=body, method="POST")
        assert (got[0], why in got[2], got[2].count("\n")) == (status, True, 1), (why, got)
        assert "Traceback" not in got[2]
    accepted = http(f"{url}/_orgsite/signin", json_body=signed(good, bob), method="POST")
    assert accepted[0] == 200, accepted
    replayed = http(f"{url}/_orgsite/signin", json_body=signed(good, bob), method="POST")
    assert replayed[0] == 403 and "used already" in replayed[2]


def test_malformed_oversized_and_forged_requests_are_turned_away(door):
    url, _ = door
    assert http(f"{url}/_orgsite/signin", data=b"{", headers={"Content-Type": "application/json"})[0] == 400
    assert http(f"{url}/_orgsite/signin", data=b"[]", headers={"Content-Type": "application/json"})[0] == 400
    assert http(f"{url}/_orgsite/signin", data=b"x=1", headers={"Content-Type": "text/plain"})[0] == 415
    big = http(f"{url}/_orgsite/signin", json_body={"statement": "x" * 20_000}, method="POST")
    assert big[0] == 413 and "at most 16384 bytes" in big[2]
    assert member_of(url, "forged-" + "A" * 40) == (401, None)
    assert http(f"{url}/_orgsite/check", headers={"Cookie": 'orgsite_session="\\x"; ;;='})[0] == 401
    assert http(f"{url}/_orgsite/nothing")[0] == 404
    assert http(f"{url}/_orgsite/check", data=b"", method="POST")[0] == 405
    assert http(f"{url}/elsewhere")[0] == 404


def test_an_operators_invitation_lets_the_member_in_once(door, community, keys):
    url, site = door
    made = community.alice.orgsite("member", "invite", "carol", "--site", site, "--hours", "2")
    assert made.returncode == 0, made.stderr
    link = made.stdout.splitlines()[1]
    assert link.startswith(f"{site}_orgsite/invite?s=") and "▄" in made.stdout  # and its QR code
    status, _, page = http(link)
    assert status == 200 and "Alice Example (@alice) invites <strong>Carol Example (@carol)</strong>" in page
    fields = dict(pair.split("=", 1) for pair in link.split("?", 1)[1].split("&"))
    form = f"s={fields['s']}&sig={fields['sig']}".encode()
    status, headers, _ = http(f"{url}/_orgsite/invite", data=form, method="POST")
    assert status == 303
    cookie = re.match(r"orgsite_session=([^;]+);", headers["Set-Cookie"]).group(1)
    assert member_of(url, cookie) == (204, "carol")
    twice = http(f"{url}/_orgsite/invite", data=form, method="POST")
    assert twice[0] == 403 and "used already" in twice[2]


def test_invitations_only_count_from_an_operator_for_a_listed_member(door, community, keys):
    url, site = door
    now = clock()

    def invitation(handle, signer, **changes):
        statement = replace(Statement(INVITE, site, signer, new_secret(), now, now + 3600, handle), **changes)
        text = statement.text().encode()
        return f"s={b64(text)}&sig={b64(UserKeys().sign_detached(signer, text))}".encode()

    alice, bob = keys["alice"].fingerprint, keys["bob"].fingerprint
    refused = {
        "by a member, not an operator": (invitation("carol", bob), "not signed by one of the community's operators"),
        "for a stranger": (invitation("mallory", alice), "'mallory' is not a member"),
        "expired": (invitation("carol", alice, issued_at=now - 7200, expires_at=now - 3600), "has expired"),
        "another site": (invitation("carol", alice, site="https://other.example/"), "not for this site"),
    }
    honest = Statement(INVITE, site, alice, new_secret(), now, now + 3600, "carol").text().encode()
    changed = honest.replace(b"handle: carol", b"handle: bob")  # another member, under carol's invitation
    refused["altered after signing"] = (
        f"s={b64(changed)}&sig={b64(UserKeys().sign_detached(alice, honest))}".encode(),
        "signature is not accepted: signature is bad",
    )
    for what, (form, why) in refused.items():
        status, _, body = http(f"{url}/_orgsite/invite", data=form, method="POST")
        assert status == 403 and why in body, (what, body)
    refusal = community.bob.orgsite("member", "invite", "carol", "--site", site)
    assert refusal.returncode == 1 and "only operators invite" in refusal.stderr


def test_cookies_are_secure_everywhere_but_loopback(community, keys, tmp_path):
    store = DoorStore(tmp_path / "door.sqlite")
    app = DoorApp(Roster(community.bare), store, site="https://family.example.org/", community_name="Family")
    link = store.issue_link(keys["bob"].fingerprint, clock())
    said = {}
    environ = {"PATH_INFO": "/_orgsite/session", "QUERY_STRING": f"token={link}", "REQUEST_METHOD": "GET",
               "wsgi.input": io.BytesIO()}  # fmt: skip
    app(environ, lambda status, headers: said.update(status=status, headers=dict(headers)))
    store.close()
    assert said["status"] == "303 See Other"
    assert said["headers"]["Set-Cookie"].endswith("; HttpOnly; SameSite=Lax; Secure")
    assert said["headers"]["Location"] == "/_orgsite/account?welcome=1"


def test_the_door_also_listens_on_a_unix_socket_for_nginx(community, tmp_path):
    path = tmp_path / "door.sock"

    def ask() -> bytes:
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(path))
            client.sendall(b"GET /_orgsite/check HTTP/1.1\r\nHost: family.example.org\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := client.recv(4096):
                answer += chunk
            return answer

    def answering() -> bool:
        try:
            return ask().startswith(b"HTTP/1.1 ")
        except OSError:
            return False

    options = ("--socket", str(path), "--site", "https://family.example.org/")
    with authd_process(*options, bare=community.bare, ready=answering):
        assert ask().startswith(b"HTTP/1.1 401")
        assert oct(path.stat().st_mode & 0o777) == "0o660"
