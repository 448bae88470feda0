"""The web door: a small WSGI application that nginx asks on every request (`auth_request`), and the
sign-in pages behind `/_orgsite/`. Membership is the allowlist at the branch tip, read again on every
request; a session only says which key signed in.

Every refusal is a 4xx with one line of reason; nothing about the members is shown to strangers
(the sign-in page shows the community's name only); no page asks another host for anything.
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

import jinja2

from orgsite.access.passkeys import PasskeyDoor, PasskeyError, unb64url
from orgsite.access.roster import Roster
from orgsite.access.statements import (
    INVITE,
    LOGIN,
    MAX_LOGIN_SECONDS,
    StatementError,
    parse_statement,
    signature_problem,
    site_url,
    statement_problem,
)
from orgsite.access.store import NONCE_SECONDS, DoorStore, TooBusy, clock
from orgsite.model import Member
from orgsite.resources import TEMPLATE_DIR

PREFIX = "/_orgsite/"
COOKIE = "orgsite_session"
MAX_BODY_BYTES = 16 * 1024
MAX_SIGNATURE_BYTES = 4096
_HEADERS = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),  # invitation links carry their secret in the address
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
]
StartResponse = Callable[[str, list[tuple[str, str]]], object]


class Refusal(Exception):
    """A request the door turns away: an HTTP status and one line saying why."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Request:
    """What the door reads of one HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    cookies: dict[str, str]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict:
        """The body as a JSON object; a Refusal when it is not one."""
        if not self.headers.get("content-type", "").startswith("application/json"):
            raise Refusal(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send application/json")
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise Refusal(HTTPStatus.BAD_REQUEST, "the request body is not JSON") from None
        if not isinstance(value, dict):
            raise Refusal(HTTPStatus.BAD_REQUEST, "the request body must be a JSON object")
        return value

    def form(self) -> dict[str, str]:
        """The body as an HTML form's fields (the last value of each)."""
        try:
            fields = parse_qs(self.body.decode("ascii"), strict_parsing=False, max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            raise Refusal(HTTPStatus.BAD_REQUEST, "the form is malformed") from None
        return {name: values[-1] for name, values in fields.items()}


@dataclass
class Response:
    """What the door answers."""

    status: HTTPStatus
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def _text(field_value: object, name: str, limit: int) -> str:
    if not isinstance(field_value, str) or not field_value or len(field_value) > limit:
        raise Refusal(HTTPStatus.BAD_REQUEST, f"'{name}' must be a string of at most {limit} characters")
    return field_value


def _unb64(value: str, name: str) -> bytes:
    decoded = unb64url(value)
    if decoded is None:
        raise Refusal(HTTPStatus.BAD_REQUEST, f"'{name}' is not base64url")
    return decoded


class DoorApp:
    """The WSGI application: `/_orgsite/check` for nginx, and the sign-in pages and calls."""

    def __init__(self, roster: Roster, store: DoorStore, *, site: str, community_name: str) -> None:
        self.roster = roster
        self.store = store
        self.site = site_url(site)
        self.community_name = community_name
        parts = urlsplit(self.site)
        self.secure_cookies = not (parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1"))
        self.root_path = parts.path
        self.passkeys = PasskeyDoor(store, site=self.site, name=community_name)
        self.pages = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATE_DIR / "authd"), autoescape=True, undefined=jinja2.StrictUndefined
        )
        self.routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "check"): self.check,
            ("GET", "login"): self.login_page,
            ("POST", "challenge"): self.challenge,
            ("POST", "signin"): self.signin,
            ("GET", "session"): self.session,
            ("GET", "account"): self.account,
            ("POST", "logout"): self.logout,
            ("GET", "invite"): self.invite_page,
            ("POST", "invite"): self.accept_invitation,
            ("POST", "passkey/register/begin"): self.passkey_register_begin,
            ("POST", "passkey/register/finish"): self.passkey_register_finish,
            ("POST", "passkey/login/begin"): self.passkey_login_begin,
            ("POST", "passkey/login/finish"): self.passkey_login_finish,
        }

    # -- WSGI --------------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        try:
            response = self.handle(self._request(environ))
        except Refusal as refusal:
            response = self._refused(refusal, environ)
        except TooBusy:
            reason = "too many sign-ins are pending; try again in a few minutes"
            response = self._refused(Refusal(HTTPStatus.SERVICE_UNAVAILABLE, reason), environ)
        except Exception:  # noqa: BLE001 (a bug must answer 500 without a trace to the visitor)
            traceback.print_exc(file=sys.stderr)
            response = Response(HTTPStatus.INTERNAL_SERVER_ERROR, b"internal error\n")
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body))),
                   *_HEADERS, *response.headers]  # fmt: skip
        start_response(f"{response.status.value} {response.status.phrase}", headers)
        return [response.body]

    def _request(self, environ: dict) -> Request:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            raise Refusal(HTTPStatus.NOT_FOUND, "not found")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise Refusal(HTTPStatus.BAD_REQUEST, "bad Content-Length") from None
        if length > MAX_BODY_BYTES:
            raise Refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"requests are at most {MAX_BODY_BYTES} bytes")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            fields = parse_qs(environ.get("QUERY_STRING", ""), max_num_fields=20)
        except ValueError:
            raise Refusal(HTTPStatus.BAD_REQUEST, "too many query fields") from None
        query = {name: values[-1] for name, values in fields.items()}
        cookies: dict[str, str] = {}
        with contextlib.suppress(CookieError):  # a mangled cookie is no session
            cookies = {name: morsel.value for name, morsel in SimpleCookie(environ.get("HTTP_COOKIE", "")).items()}
        headers = {"content-type": environ.get("CONTENT_TYPE", "")}
        return Request(environ.get("REQUEST_METHOD", "GET"), path[len(PREFIX) :], query, cookies, body, headers)

    def handle(self, request: Request) -> Response:
        """The response to one request (a Refusal for any request the door turns away)."""
        route = self.routes.get((request.method, request.path))
        if route is None:
            known = any(path == request.path for _, path in self.routes)
            raise Refusal(HTTPStatus.METHOD_NOT_ALLOWED if known else HTTPStatus.NOT_FOUND,
                          "method not allowed" if known else "not found")  # fmt: skip
        return route(request)

    def _refused(self, refusal: Refusal, environ: dict) -> Response:
        reason = str(refusal)
        if environ.get("REQUEST_METHOD") == "GET" and "text/html" in environ.get("HTTP_ACCEPT", ""):
            return self._page(refusal.status, "message.html", title="This did not work", message=reason)
        return Response(refusal.status, (reason + "\n").encode())

    # -- helpers -----------------------------------------------------------------------------------

    def _page(self, status: HTTPStatus, template: str, **context: object) -> Response:
        html = self.pages.get_template(template).render(community=self.community_name, root=self.root_path,
                                                       **context)  # fmt: skip
        return Response(status, html.encode(), "text/html; charset=utf-8")

    def _json(self, value: object, status: HTTPStatus = HTTPStatus.OK) -> Response:
        return Response(status, json.dumps(value).encode(), "application/json")

    def _cookie(self, value: str, max_age: int) -> tuple[str, str]:
        secure = "; Secure" if self.secure_cookies else ""
        return ("Set-Cookie", f"{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")

    def _signed_in(self, member_fingerprint: str, to: str) -> Response:
        session = self.store.new_session(member_fingerprint, clock())
        return Response(HTTPStatus.SEE_OTHER, b"", headers=[self._cookie(session, 30 * 24 * 3600), ("Location", to)])

    def member_of(self, request: Request) -> Member | None:
        """The member whose live session this request carries, if they are listed at the tip now."""
        session = request.cookies.get(COOKIE)
        fingerprint = self.store.session_fingerprint(session, clock()) if session else None
        return self.roster.member(fingerprint) if fingerprint else None

    def _member(self, request: Request) -> Member:
        member = self.member_of(request)
        if member is None:
            raise Refusal(HTTPStatus.UNAUTHORIZED, "sign in first")
        return member

    # -- nginx's question --------------------------------------------------------------------------

    def check(self, request: Request) -> Response:
        """204 with the member's handle when the session's key is on the allowlist now, else 401."""
        member = self.member_of(request)
        if member is None:
            return Response(HTTPStatus.UNAUTHORIZED)
        return Response(HTTPStatus.NO_CONTENT, headers=[("X-Orgsite-Member", member.handle)])

    # -- signing in with the key one commits with (orgsite login) ---------------------------------

    def login_page(self, request: Request) -> Response:
        """The sign-in page: the community's name and the ways in, nothing about its members."""
        return self._page(HTTPStatus.OK, "login.html", site=self.site)

    def challenge(self, request: Request) -> Response:
        """A single-use nonce for a sign-in statement."""
        nonce = self.store.issue_nonce(clock())
        return self._json({"purpose": LOGIN, "site": self.site, "nonce": nonce, "expires_in": NONCE_SECONDS,
                           "max_lifetime": MAX_LOGIN_SECONDS})  # fmt: skip

    def signin(self, request: Request) -> Response:
        """A signed sign-in statement in, a single-use sign-in link out."""
        data = request.json()
        statement_text = _text(data.get("statement"), "statement", 2048).encode()
        signature = _unb64(_text(data.get("signature"), "signature", MAX_SIGNATURE_BYTES), "signature")
        now = clock()
        try:
            statement = parse_statement(statement_text)
        except StatementError as e:
            raise Refusal(HTTPStatus.BAD_REQUEST, str(e)) from None
        problem = statement_problem(statement, purpose=LOGIN, site=self.site, now=now)
        if problem:
            raise Refusal(HTTPStatus.FORBIDDEN, problem)
        # The nonce is used up before gpg runs: a replay, even a simultaneous one, never gets that far,
        # and a stranger makes gpg run only once per nonce the door handed out.
        if not self.store.take_nonce(statement.token, now):
            raise Refusal(HTTPStatus.FORBIDDEN, "this sign-in was used already or has expired; run orgsite login again")
        problem = signature_problem(self.roster.check_signature(signature, statement_text), statement, now)
        if problem is None and self.roster.member(statement.fingerprint) is None:
            problem = "this key is not on the community's allowlist"
        if problem:
            raise Refusal(HTTPStatus.FORBIDDEN, problem)
        link = self.store.issue_link(statement.fingerprint, now)
        return self._json({"url": f"{self.site}_orgsite/session?token={link}"})

    def session(self, request: Request) -> Response:
        """A sign-in link opened in the browser: a session cookie, then the account page."""
        fingerprint = self.store.take_link(request.query.get("token", ""), clock())
        if fingerprint is None or self.roster.member(fingerprint) is None:
            raise Refusal(HTTPStatus.FORBIDDEN, "this sign-in link was used already or has expired; sign in again")
        return self._signed_in(fingerprint, f"{self.root_path}_orgsite/account?welcome=1")

    def account(self, request: Request) -> Response:
        """Who is signed in, with "add this device" (a passkey) and "sign out"."""
        member = self.member_of(request)
        if member is None:
            return self.login_page(request)
        return self._page(HTTPStatus.OK, "account.html", member=member, welcome="welcome" in request.query)

    def logout(self, request: Request) -> Response:
        """Sign out: the session ends on the server, the cookie is cleared."""
        session = request.cookies.get(COOKIE)
        if session:
            self.store.end_session(session)
        to_login = ("Location", f"{self.root_path}_orgsite/login")
        return Response(HTTPStatus.SEE_OTHER, headers=[self._cookie("", 0), to_login])

    # -- an operator's invitation ------------------------------------------------------------------

    def _invitation(self, fields: dict[str, str]) -> tuple[Member, Member, str]:
        """(invitee, inviting operator, invitation id) of a valid invitation; a Refusal otherwise."""
        statement_text = _unb64(_text(fields.get("s"), "s", 4096), "s")
        signature = _unb64(_text(fields.get("sig"), "sig", MAX_SIGNATURE_BYTES), "sig")
        now = clock()
        try:
            statement = parse_statement(statement_text)
        except StatementError as e:
            raise Refusal(HTTPStatus.BAD_REQUEST, f"this invitation link is damaged: {e}") from None
        problem = statement_problem(statement, purpose=INVITE, site=self.site, now=now)
        problem = problem or signature_problem(self.roster.check_signature(signature, statement_text), statement, now)
        if problem:
            raise Refusal(HTTPStatus.FORBIDDEN, f"this invitation cannot be used: {problem}")
        operator = self.roster.member(statement.fingerprint)
        if operator is None or not operator.is_operator:
            raise Refusal(HTTPStatus.FORBIDDEN, "this invitation was not signed by one of the community's operators")
        allowlist = self.roster.allowlist()
        invitee = allowlist.by_handle(statement.handle) if allowlist else None
        if invitee is None:
            raise Refusal(HTTPStatus.FORBIDDEN, f"'{statement.handle}' is not a member of this community (any more)")
        return invitee, operator, statement.token

    def invite_page(self, request: Request) -> Response:
        """An invitation link, opened: who it lets in, and one button (link previews must not use it up)."""
        invitee, operator, _ = self._invitation(request.query)
        return self._page(HTTPStatus.OK, "invite.html", invitee=invitee, operator=operator,
                          s=request.query["s"], sig=request.query["sig"])  # fmt: skip

    def accept_invitation(self, request: Request) -> Response:
        """The invitation's button: the invitation is used up, the browser signed in as the invitee."""
        invitee, _, invitation = self._invitation(request.form())
        if not self.store.use_invitation(invitation, clock()):
            raise Refusal(HTTPStatus.FORBIDDEN, "this invitation was used already; ask an operator for a new one")
        return self._signed_in(invitee.fingerprints[0], f"{self.root_path}_orgsite/account?welcome=1")

    # -- passkeys ----------------------------------------------------------------------------------

    def passkey_register_begin(self, request: Request) -> Response:
        """Options for registering a passkey on this device, for the signed-in member."""
        member = self._member(request)
        request.json()
        return self._json(self.passkeys.registration_options(member, clock()))

    def passkey_register_finish(self, request: Request) -> Response:
        """The new passkey, checked and kept."""
        member = self._member(request)
        data = request.json()
        try:
            self.passkeys.register(member, data, clock())
        except PasskeyError as e:
            raise Refusal(HTTPStatus.BAD_REQUEST, str(e)) from None
        return self._json({"ok": True})

    def passkey_login_begin(self, request: Request) -> Response:
        """Options for signing in with a passkey."""
        request.json()
        return self._json(self.passkeys.authentication_options(clock()))

    def passkey_login_finish(self, request: Request) -> Response:
        """A passkey's answer: a session, when its owner is on the allowlist now."""
        try:
            fingerprint = self.passkeys.authenticate(request.json(), clock())
        except PasskeyError as e:
            raise Refusal(HTTPStatus.FORBIDDEN, str(e)) from None
        if self.roster.member(fingerprint) is None:
            raise Refusal(HTTPStatus.FORBIDDEN, "this passkey's owner is not a member of this community (any more)")
        session = self.store.new_session(fingerprint, clock())
        return Response(HTTPStatus.OK, b'{"ok": true}', "application/json", [self._cookie(session, 30 * 24 * 3600)])
