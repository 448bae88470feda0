"""The web door as readers meet it: a real nginx with `auth_request` in front of the built site, the
door behind it, a member signing in with `orgsite login`, and passkeys in real headless Chromium
(DevTools' virtual authenticator): register, sign in, and be shut out once removed."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser import Browser
from tests.people import orgsite
from tests.servers import authd, free_port, nginx
from tests.test_site_rebuilds import wait_for
from tests.test_web_door import http


@pytest.fixture
def front(community, tmp_path):
    """The built site behind nginx on http://localhost:PORT (a secure context for passkeys), the door behind it."""
    site_dir = tmp_path / "site"
    built = orgsite("build", str(community.bare), "--out", str(site_dir))
    assert built.returncode == 0, built.stderr
    port, door_port = free_port(), free_port()
    site = f"http://localhost:{port}/"
    with authd(community.bare, port=door_port, site=site), nginx(tmp_path / "nginx", port=port, site_dir=site_dir,
                                                                door_port=door_port) as url:  # fmt: skip
        yield url, site


def cookie_of(link: str) -> str:
    status, headers, _ = http(link)
    assert status == 303, status
    return re.match(r"orgsite_session=([^;]+);", headers["Set-Cookie"]).group(1)


def test_nginx_lets_a_member_read_and_shuts_them_out_with_their_removal(front, community):
    url, site = front
    status, _, page = http(f"{url}/", headers={"Accept": "text/html"})
    assert status == 401 and "Sign in to Family" in page  # a stranger gets the sign-in page, not the site
    assert "Bob" not in page and "posts/" not in page
    assert http(f"{url}/assets/orgsite.css")[0] == 401 and http(f"{url}/posts/")[0] == 401
    assert http(f"{url}/_orgsite/check")[0] == 404  # nginx's own question is not for visitors

    made = community.bob.orgsite("login", site, "--print")  # through nginx, as a member would
    assert made.returncode == 0, made.stderr
    cookie = cookie_of(made.stdout.strip())
    status, _, home = http(f"{url}/", cookie=cookie)
    assert status == 200 and "Family" in home and "Sign in to" not in home
    assert http(f"{url}/members/", cookie=cookie)[0] == 200
    assert http(f"{url}/no/such/page/", cookie=cookie)[0] == 404

    assert community.alice.orgsite("member", "remove", "bob", "--push").returncode == 0
    status, _, page = http(f"{url}/", cookie=cookie)
    assert status == 401 and "Sign in to Family" in page


def text(browser: Browser) -> str:
    """What the page shows (empty while a new page is on its way)."""
    return browser.js("document.readyState === 'complete' && document.body ? document.body.innerText : ''")


def navigate(browser: Browser, url: str, path: str) -> None:
    browser.send("Page.navigate", url=url)
    wait_for(lambda: browser.js("location.pathname") == path and browser.js("document.readyState") == "complete",
             timeout=30, what=f"{path} to load")  # fmt: skip


def test_a_passkey_signs_a_member_in_on_their_phone_until_they_are_removed(front, community, axe_source, tmp_path):
    url, site = front
    link = community.carol.orgsite("login", site, "--print").stdout.strip()
    with Browser() as browser:
        browser.send("WebAuthn.enable")
        browser.send("WebAuthn.addVirtualAuthenticator", options={
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
            "hasUserVerification": True, "isUserVerified": True})  # fmt: skip
        browser.send("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
        navigate(browser, link, "/_orgsite/account")
        assert "Welcome, Carol Example" in text(browser)
        assert browser.axe(axe_source) == []
        browser.screenshot(tmp_path / "account-390.png", width=390)
        browser.js("document.getElementById('passkey-add').click()")
        wait_for(lambda: "can now sign you in" in browser.js("document.getElementById('passkey-status').innerText"),
                 timeout=30, what="the passkey to be added")  # fmt: skip

        browser.send("Network.clearBrowserCookies")  # another day: no session, only the passkey
        navigate(browser, f"{url}/members/", "/members/")
        assert "Sign in to Family" in text(browser)
        assert browser.axe(axe_source) == []
        browser.screenshot(tmp_path / "login-390.png", width=390)
        browser.screenshot(tmp_path / "login-1280.png", width=1280)
        browser.send("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
        browser.js("document.getElementById('passkey-sign-in').click()")
        wait_for(lambda: "Sign in to" not in text(browser) and
                 "Carol Example" in text(browser), timeout=30,
                 what="the members page after signing in with the passkey")  # fmt: skip

        assert community.alice.orgsite("member", "remove", "carol", "--push").returncode == 0
        browser.send("Network.clearBrowserCookies")
        navigate(browser, f"{url}/", "/")
        browser.js("document.getElementById('passkey-sign-in').click()")
        wait_for(lambda: "not a member of this community" in browser.js(
            "document.getElementById('passkey-status').innerText"), timeout=30, what="the refusal")  # fmt: skip
        time.sleep(0.2)
        assert "Sign in to Family" in text(browser)
