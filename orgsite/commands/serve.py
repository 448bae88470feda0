"""`orgsite serve`: build, serve on 127.0.0.1, and rebuild whenever the community branch moves."""

from __future__ import annotations

import functools
import http.server
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from orgsite.errors import OrgsiteError
from orgsite.model import short_id
from orgsite.repo import CommunityRepo
from orgsite.site.build import build_site
from orgsite.site.rebuild import build_and_report
from orgsite.snapshot import Snapshots
from orgsite.watch import RefWatcher

DEBOUNCE_SECONDS = 0.5


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the standard library's name)
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A missing page gets the site's own 404 page, as the README's nginx set-up gives it."""
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Rebuilder:
    """One builder thread: a burst of ref changes causes one rebuild, and two builds never overlap."""

    def __init__(self, repo_path: Path, site: Path, say: Callable[[str], None]) -> None:
        self.repo_path, self.site, self.say = repo_path, site, say
        self.changed = threading.Event()
        self.stopping = threading.Event()
        self.tip = self._tip()
        self.thread = threading.Thread(target=self._run, name="orgsite-rebuild", daemon=True)

    def _tip(self) -> str | None:
        repo = CommunityRepo(self.repo_path)
        return repo.branch_tip(Snapshots(repo).branch())

    def _run(self) -> None:
        while not self.stopping.is_set():
            if not self.changed.wait(timeout=0.5):
                continue
            while self.changed.is_set():  # wait for the burst to settle
                self.changed.clear()
                time.sleep(DEBOUNCE_SECONDS)
            if self.stopping.is_set():
                return
            self.rebuild()

    def rebuild(self) -> None:
        tip = self._tip()
        if tip == self.tip:
            return
        outcome = build_and_report(self.repo_path, self.site)
        if outcome.report is None:
            self.say(f"rebuild failed, the previous site stays up: {outcome.error}")
            if outcome.traceback:
                self.say(outcome.traceback.rstrip())
            return
        moved = " → ".join(short_id(t) if t else "nothing" for t in (self.tip, tip))
        self.tip = tip
        self.say(f"rebuilt ({moved}): {outcome.report.pages} pages in {outcome.seconds:.1f} s")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(repo_path: Path, *, port: int, out: Path | None, say: Callable[[str], None]) -> None:
    """Serve the site until interrupted (Ctrl-C); the site is built first and rebuilt on every push."""
    repo = CommunityRepo(repo_path)
    scratch = None if out else Path(tempfile.mkdtemp(prefix="orgsite-serve-"))
    site = out.absolute() if out else scratch / "site"
    try:
        report = build_site(repo_path, site)
        handler = functools.partial(_Quiet, directory=str(site))
        try:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as e:
            raise OrgsiteError(f"cannot listen on 127.0.0.1:{port} ({e.strerror}); pass another --port") from e
        rebuilder = _Rebuilder(repo_path, site, say)
        watcher = RefWatcher(repo.git_dir, rebuilder.changed.set)
        try:
            rebuilder.thread.start()
            watcher.start()
            # SIGTERM (a service manager, `kill`) stops it as Ctrl-C does, also when it was started
            # with SIGINT ignored, as background jobs are.
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                signal.signal(stop_signal, _interrupt)
            say(f"Built {report.pages} pages. Serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
            server.serve_forever()
        except KeyboardInterrupt:
            say("Stopping.")
        finally:
            watcher.stop()
            rebuilder.stopping.set()
            if rebuilder.thread.ident is not None:  # started (a signal may come before)
                rebuilder.thread.join()
            server.server_close()
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
