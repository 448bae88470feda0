"""Finding every reference a built site makes to another host: statically, and in a real browser."""

from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tests.html_scan import parse

ABSOLUTE = re.compile(r"""https?://[^\s"'`)<>\\]+""")
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"]?)\s*(https?://[^'")\s]+)""", re.I)
REQUEST_ATTRIBUTES = ("src", "href", "srcset", "action", "formaction", "poster", "data", "background")

# Absolute URLs inside the JavaScript that Material for MkDocs and lunr ship, reviewed one by one.
# None is fetched by this site: each sits in a comment, an error message, or a code path orgsite
# never switches on. A new one fails the scan until someone reviews it.
INERT_JS_URLS = {
    "https://unpkg.com/resize-observer-polyfill": "only when the browser lacks ResizeObserver (none current)",
    "https://unpkg.com/mermaid@": "only for .mermaid elements; post HTML keeps no class attributes",
    "https://api.github.com/": "repository facts, only with repo_url set; orgsite sets none",
    "https://${": "GitLab repository facts (https://${host}/api/v4/…), only with repo_url set",
    "https://github.com/": "licence and source comments",
    "https://bit.ly/": "a link inside a console warning of the search worker",
    "https://t.ly/": "a link inside a console warning",
    "https://rxjs.dev/": "links inside RxJS error messages",
    "http://www.mozilla.org/": "licence comments (MPL)",
    "https://developer.mozilla.org/": "comments",
    "http://snowball.tartarus.org/": "stemmer licence comments",
    "http://tartarus.org/": "stemmer licence comments",
    "http://code.google.com/": "comments",
    "http://lunrjs.com": "licence comments",
    "https://lunrjs.com": "licence comments",
    "https://fontawesome.com": "icon licence comments",
    "https://clipboardjs.com": "licence comments",
    "http://en.wikipedia.org/": "comments",
    "https://www.npmjs.com/": "comments",
    "https://benediktmeurer.de/": "comments",
    "http://wiki.ecmascript.org/": "comments",
    "http://wiki.commonjs.org/": "comments",
    "http://underscorejs.org": "licence comments",
    "http://people.mozilla.org/": "comments",
    "http://narwhaljs.org": "comments",
    "http://msdn.microsoft.com/": "comments",
    "http://docs.python.org/": "comments",
    "http://chasen.org/": "comments",
    "http://www.w3.org/": "XML namespace names, not requests",
}


def _is_member_link(element) -> bool:
    rel = set(element.attrs.get("rel", "").split())
    in_post = any("orgsite-body" in classes.split() for classes in element.classes_above)
    return element.tag == "a" and in_post and {"noopener", "noreferrer"} <= rel


def html_references(html: str) -> list[str]:
    """Absolute URLs in attributes, styles and inline scripts of one page that could reach another host.

    Members' links inside post bodies are allowed when they carry rel="noopener noreferrer"."""
    found = []
    document = parse(html)
    for element in document.elements:
        for name, value in element.attrs.items():
            if (
                name in REQUEST_ATTRIBUTES
                and ABSOLUTE.search(value)
                and not (name == "href" and _is_member_link(element))
            ):
                found.append(f"<{element.tag} {name}={value!r}>")
            if name == "style":
                found += CSS_URL.findall(value)
            if element.tag == "meta" and name == "content" and re.search(r"url\s*=\s*https?://", value, re.I):
                found.append(f"<meta content={value!r}>")
        if element.tag in ("style", "script") and "src" not in element.attrs:
            found += [u for u in ABSOLUTE.findall("".join(element.text)) if not u.startswith("http://www.w3.org/")]
    return found


def site_references(site: Path) -> list[str]:
    """Every reference to another host in the built site's HTML, CSS and JavaScript, as 'file: url'."""
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix == ".html":
            found += [f"{path.relative_to(site)}: {ref}" for ref in html_references(path.read_text("utf-8"))]
        elif path.suffix == ".css":
            found += [f"{path.relative_to(site)}: {u}" for u in CSS_URL.findall(path.read_text("utf-8"))]
        elif path.suffix == ".js":
            for url in ABSOLUTE.findall(path.read_text("utf-8", errors="replace")):
                if not any(url.startswith(prefix) for prefix in INERT_JS_URLS):
                    found.append(f"{path.relative_to(site)}: {url}")
    return found


@contextmanager
def served(site: Path) -> Iterator[str]:
    """Serve `site` on 127.0.0.1 for the duration; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the standard library's signature)
        pass


def browser_requests(url: str, workdir: Path) -> tuple[list[str], str]:
    """Load `url` in headless Chromium; the URLs the page itself asked for, and the DOM it ended with.

    Chromium is pointed at a dead proxy on 127.0.0.1, so nothing can leave the machine whatever
    the page tries; the net log still records each attempt with the origin that made it."""
    net_log = workdir / "net.json"
    dom = subprocess.run(
        [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--proxy-server=http://127.0.0.1:9", f"--user-data-dir={workdir / 'profile'}",
            f"--log-net-log={net_log}", "--virtual-time-budget=5000", "--dump-dom", url,
        ],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    log = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requested = [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job and event.get("params", {}).get("initiator") == origin
    ]
    return requested, dom
