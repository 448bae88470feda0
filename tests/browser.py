"""A real headless Chromium driven over the DevTools protocol: what a reader's browser shows.

One browser per `Browser` (a context manager that always stops it); pages are loaded with a chosen
viewport width, colour scheme and time zone, then inspected with JavaScript or photographed.
Chromium is pointed at a dead proxy on 127.0.0.1, so nothing can leave the machine whatever a page tries.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.exceptions import WebSocketException
from websockets.sync.client import connect


class Browser:
    """Headless Chromium with one tab; `profile` keeps localStorage between browsers (two visits)."""

    def __init__(self, profile: Path | None = None) -> None:
        self._own_profile = profile is None
        self.profile = profile or Path(tempfile.mkdtemp(prefix="orgsite-chromium-"))
        self._ids = itertools.count(1)

    def __enter__(self) -> Browser:
        (self.profile / "DevToolsActivePort").unlink(missing_ok=True)
        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
             "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
             "--proxy-server=http://127.0.0.1:9",
             "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            port_file = self.profile / "DevToolsActivePort"
            deadline = time.monotonic() + 30
            while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
                if time.monotonic() > deadline:
                    raise RuntimeError("chromium did not open its DevTools port")
                time.sleep(0.05)
            port = port_file.read_text().split()[0]
            direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with direct.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as listing:
                targets = json.loads(listing.read())
            with direct.open(f"http://127.0.0.1:{port}/json/version", timeout=10) as version:
                self._browser_url = json.loads(version.read())["webSocketDebuggerUrl"]
            page = next(t for t in targets if t["type"] == "page")
            self._connection = connect(page["webSocketDebuggerUrl"], max_size=2**28, proxy=None)
            self.socket = self._connection.__enter__()
            self.send("Page.enable")
            self.send("Runtime.enable")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        connection = getattr(self, "_connection", None)
        if connection is not None:
            connection.__exit__(None, None, None)
        if getattr(self, "_browser_url", None):
            # Closed the way a person closes it, Chromium writes localStorage to the profile first.
            try:
                with connect(self._browser_url, proxy=None) as browser:
                    browser.send(json.dumps({"id": 1, "method": "Browser.close"}))
                    self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired, WebSocketException):
                pass
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._own_profile:
            shutil.rmtree(self.profile, ignore_errors=True)

    def send(self, method: str, **params: object) -> dict:
        """One DevTools command; its result (events that arrive meanwhile are dropped)."""
        ident = next(self._ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def open(self, url: str, *, width: int = 1280, height: int = 900, dark: bool = False, zone: str = "UTC") -> None:
        """Load `url` as a reader with this screen width, colour scheme and time zone would see it."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=width < 600)  # fmt: skip
        self.send("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme",
                                                             "value": "dark" if dark else "light"}])  # fmt: skip
        self.send("Emulation.setTimezoneOverride", timezoneId=zone)
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while self.js("document.readyState") != "complete" or self.js("location.href") != url:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not load")
            time.sleep(0.05)
        time.sleep(0.2)  # Material's own scripts settle (palette, tabs)

    def js(self, expression: str) -> object:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, width: int) -> Path:
        """A PNG of the whole page as shown (the viewport grown to the page's height, so nothing scrolls)."""
        height = int(self.js("document.documentElement.scrollHeight"))
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=min(height, 16000), deviceScaleFactor=1,
                  mobile=width < 600)  # fmt: skip
        time.sleep(0.2)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def axe(self, source: str) -> list[dict]:
        """axe-core's serious and critical violations on the page as shown (WCAG 2 A and AA rules)."""
        self.js(source)
        found = self.js(
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
        )
        return list(found or [])
