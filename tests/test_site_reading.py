"""The site as a family member reads it, checked in a real headless Chromium: on a 390 px phone and a
1280 px desktop, light and dark, in two time zones, across two visits; every page type passes
axe-core with no serious or critical violation, and every page's markup balances."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import Browser
from tests.site_privacy import browser_requests, served
from tests.test_site_rebuilds import wait_for

WIDTHS = (390, 1280)
# Elements whose end tag HTML lets a page leave out: closing them implicitly is no stray tag.
_IMPLIED_END = {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "colgroup"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if tag not in self.stack:
            self.problems.append(f"stray </{tag}> at line {self.getpos()[0]}")
            return
        while self.stack[-1] != tag:
            opened = self.stack.pop()
            if opened not in _IMPLIED_END:
                self.problems.append(f"</{tag}> at line {self.getpos()[0]} closes an open <{opened}>")
        self.stack.pop()


def markup_problems(html: str) -> list[str]:
    """Stray or crossing closing tags, and elements never closed."""
    checker = _Balance()
    checker.feed(html)
    checker.close()
    left = [tag for tag in checker.stack if tag not in _IMPLIED_END]
    return checker.problems + [f"<{tag}> is never closed" for tag in left]


def test_the_markup_check_catches_a_stray_closing_tag():
    assert markup_problems("<div><p>x</div></div>") == ["stray </div> at line 1"]
    assert markup_problems("<main><div>x</main>") == ["</main> at line 1 closes an open <div>"]
    assert markup_problems("<ul><li>a<li>b</ul><p>c") == []


def test_every_built_page_balances_its_markup(demo_site):
    pages = sorted(demo_site.rglob("*.html"))
    assert len(pages) > 40
    for path in pages:
        problems = markup_problems(path.read_text(encoding="utf-8"))
        assert not problems, f"{path.relative_to(demo_site)}: {problems[:3]}"


def page_types(site: Path) -> dict[str, str]:
    """One page of each kind the site has, by name."""
    # The introduction: a key file's long lines and a fingerprint in its message, the widest commit there is.
    commit = next(p.stem for p in sorted((site / "commits").iterdir())
                  if "Introduce the community" in p.read_text(encoding="utf-8"))  # fmt: skip
    return {
        "home": "",
        "thread": "posts/bob/hello/",
        "reply": "posts/carol/re-hello/",
        "members": "members/",
        "member": "members/dan/",
        "tags": "tags/",
        "tag": "tags/hello/",
        "history": "history/",
        "commit": f"commits/{commit}.html",
        "membership": "membership/",
        "how it works": "help/",
        "how to post": "help/posting/",
        "signatures": "help/signatures/",
        "404": "404.html",
    }


@pytest.fixture(scope="module")
def browser():
    with Browser() as chromium:
        yield chromium


def test_every_page_type_fits_a_phone_and_passes_axe_at_both_widths(demo_site, browser, axe_source, tmp_path):
    found = {}
    with served(demo_site) as base:
        for name, path in page_types(demo_site).items():
            for width in WIDTHS:
                browser.open(base + path, width=width)
                wide = browser.js("document.documentElement.scrollWidth")
                assert wide <= width, f"{name} at {width} px is {wide} px wide"
                violations = browser.axe(axe_source)
                if violations:
                    found[f"{name} at {width} px"] = violations
        with Browser() as dark:  # a reader whose system is dark (Material remembers a palette per browser)
            for name in ("home", "thread", "history", "commit"):
                dark.open(base + page_types(demo_site)[name], width=390, dark=True)
                assert dark.js("document.body.getAttribute('data-md-color-scheme')") == "slate"
                violations = dark.axe(axe_source)
                if violations:
                    found[f"{name}, dark"] = violations
    assert not found, json.dumps(found, indent=1)


def test_dark_mode_follows_the_system_setting(demo_site):
    scheme = "[document.body.getAttribute('data-md-color-scheme'), getComputedStyle(document.body).backgroundColor]"
    with served(demo_site) as base:
        with Browser() as light:
            light.open(base, width=390, dark=False)
            light_scheme, light_background = light.js(scheme)
        with Browser() as dark:
            dark.open(base, width=390, dark=True)
            dark_scheme, dark_background = dark.js(scheme)
    assert (light_scheme, dark_scheme) == ("default", "slate")
    assert light_background != dark_background


def test_times_are_shown_in_the_readers_own_time_zone(demo_site, browser):
    shown = {}
    with served(demo_site) as base:
        for zone in ("UTC", "Asia/Tokyo"):
            browser.open(base + "history/", width=1280, zone=zone)
            shown[zone] = browser.js(
                "(() => { const t = document.querySelector('time[datetime]'); "
                "return [t.getAttribute('datetime'), t.title, t.textContent]; })()"
            )
    (stamp, utc_title, utc_text), (stamp_again, tokyo_title, _) = shown["UTC"], shown["Asia/Tokyo"]
    assert stamp == stamp_again and stamp.endswith("Z")  # the page itself is the same
    assert utc_title != tokyo_title  # the full local time, on hover, differs by nine hours
    assert utc_text and "UTC" not in utc_text  # the script replaced the UTC fallback ("… ago", or local time)


def test_without_script_the_utc_time_stays(demo_site):
    html = (demo_site / "history/index.html").read_text()
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>', html)


def _serve(bare: Path):
    command = [sys.executable, "-m", "orgsite", "serve", str(bare), "--port", "0"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    server = subprocess.Popen(command, **pipes, text=True, start_new_session=True)
    first = server.stdout.readline()
    if "Serving http://127.0.0.1:" not in first:
        os.killpg(server.pid, signal.SIGKILL)
        raise AssertionError(first + server.stderr.read())
    return server, first.split("Serving ")[1].split()[0]


def _stop(server) -> None:
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.communicate()


def test_new_since_the_last_visit_across_two_visits_with_a_push_between(community, tmp_path):
    bob, carol = community.bob, community.carol
    bob.post("picnic", "Picnic on Sunday")
    bob.post("quiet", "A quiet thread")
    assert bob.push().ok
    profile = tmp_path / "profile"
    profile.mkdir()
    server, base = _serve(community.bare)
    try:
        with Browser(profile) as first_visit:
            first_visit.open(base, width=390)
            assert first_visit.js("document.querySelectorAll('.orgsite-new:not([hidden])').length") == 0
            assert first_visit.js("document.querySelector('.orgsite-newcount').hidden") is True
        time.sleep(1.1)  # commit times have whole seconds
        carol.pull()
        carol.post("re-picnic", "Re: Picnic on Sunday", reply_to="posts/bob/picnic.md")
        assert carol.push().ok
        wait_for(lambda: "re-picnic" in urllib.request.urlopen(base + "posts/bob/picnic/").read().decode(),
                 what="orgsite serve to rebuild after the push")  # fmt: skip
        with Browser(profile) as second_visit:
            second_visit.open(base, width=390)
            assert second_visit.js("document.querySelector('.orgsite-newcount').textContent") == (
                "1 conversation has something new since your last visit"
            )
            marked = second_visit.js(
                "[...document.querySelectorAll('.orgsite-thread-row')].filter(r => !r.querySelector('.orgsite-new')"
                ".hidden).map(r => r.querySelector('h2 a').textContent)"
            )
            assert marked == ["Picnic on Sunday"]
            second_visit.open(base + "posts/bob/picnic/", width=390)
            assert second_visit.js("document.querySelector('.orgsite-jump a').getAttribute('href')") == (
                "#reply-carol-re-picnic"
            )
            assert second_visit.js("document.querySelector('#reply-carol-re-picnic .orgsite-new').hidden") is False
    finally:
        _stop(server)


def test_serve_answers_a_missing_page_with_the_sites_own_404(community, tmp_path):
    server, base = _serve(community.bare)
    try:
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base + "no/such/page/")
        assert missing.value.code == 404
        html = missing.value.read().decode()
        assert "This page does not exist" in html and 'href="/index.html"' in html
        assert "//feed.xml" not in html
        requested, _ = browser_requests(base + "no/such/page/", tmp_path / "b")
        hosts = {urlsplit(u).netloc for u in requested if urlsplit(u).scheme in ("http", "https")}
        assert hosts == {urlsplit(base).netloc}, requested
        assert any(u.endswith("assets/orgsite.js") for u in requested)
    finally:
        _stop(server)


def test_search_indexes_posts_and_replies_only(demo_site):
    index = json.loads((demo_site / "search/search_index.json").read_text())
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert locations and all(loc.startswith("posts/") for loc in locations), locations
    assert "posts/carol/re-hello/" in locations
    assert all(doc["text"].strip() or doc["title"].strip() for doc in index["docs"])


def test_the_home_and_history_pages_name_the_newest_change_and_no_page_the_build_time(demo_site, demo):
    root, _ = demo
    newest = subprocess.run(["git", "rev-parse", "main"], cwd=root / "community.git", capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    for path in ("index.html", "history/index.html"):
        text = (demo_site / path).read_text()
        assert "shows the community's history up to" in text and f"commits/{newest}.html" in text
    # Every other page stays as it is when nothing it shows changed: a push rebuilds only what it changes.
    for path in ("posts/bob/hello/index.html", "404.html", "members/index.html"):
        assert "history up to" not in (demo_site / path).read_text()


def test_a_reply_cycle_made_by_edits_does_not_stop_the_build(community, tmp_path):
    from tests.test_site import build

    bob, carol = community.bob, community.carol
    bob.post("a", "A")
    assert bob.push().ok
    carol.pull()
    carol.post("b", "B", reply_to="posts/bob/a.md")
    assert carol.push().ok
    bob.pull()
    bob.post("a", "A", reply_to="posts/carol/b.md")  # an edit: now each answers the other
    assert bob.push().ok
    built = build(community.bare, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site/posts/bob/a/index.html").exists() and (tmp_path / "site/posts/carol/b/index.html").exists()


def test_with_a_public_url_feeds_are_absolute_and_the_404_works_under_a_sub_path(community, tmp_path):
    import feedparser

    from tests.test_site import build

    alice, bob = community.alice, community.bob
    before = build(community.bare, tmp_path / "before")
    assert before.stderr.count("note: community.toml sets no url") == 1
    toml = alice.clone / "community.toml"
    toml.write_text(
        toml.read_text().replace('branch = "main"\n', 'branch = "main"\nurl = "https://family.example.org/family/"\n')
    )
    alice.commit("the site's address")
    assert alice.push().ok
    bob.pull()
    bob.write("posts/bob/cat.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    bob.post("cat", "Our cat", body="![The cat](cat.png) and [more](other.md)\n")
    assert bob.push().ok
    site = tmp_path / "site"
    built = build(community.bare, site)
    assert built.returncode == 0 and "note:" not in built.stderr, built.stderr
    [entry] = feedparser.parse((site / "feed.xml").read_bytes()).entries
    assert entry.link == "https://family.example.org/family/posts/bob/cat/"
    body = entry.content[0].value
    assert 'src="https://family.example.org/family/posts/bob/cat.png"' in body
    assert 'href="https://family.example.org/family/posts/bob/other/"' in body
    # Each page names its own address as canonical (commit pages are stamped from one built page).
    commit = bob.head()
    canonical = f'<link rel="canonical" href="https://family.example.org/family/commits/{commit}.html">'
    assert canonical in (site / f"commits/{commit}.html").read_text()
    missing = (site / "404.html").read_text()
    assert 'href="/family/index.html"' in missing and 'href="/family/assets/' in missing
    assert not re.search(r'(href|src)="//', missing)
