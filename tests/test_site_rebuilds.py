"""The site keeps up with pushes: `orgsite serve` rebuilds live, the post-receive hook rebuilds on the server."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.people import orgsite, run


def wait_for(predicate, *, timeout: float = 60.0, what: str = "condition"):
    """Poll until `predicate()` is truthy (no fixed sleeps in the tests); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return ""


def test_serve_rebuilds_when_a_push_lands_and_stops_cleanly(community):
    server = subprocess.Popen([sys.executable, "-m", "orgsite", "serve", str(community.bare), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        first = server.stdout.readline()
        assert "Serving http://127.0.0.1:" in first, first + server.stderr.read()
        base = first.split("Serving ")[1].split()[0]
        assert "No posts yet." in fetch(base)
        bob = community.bob
        bob.post("live", "Fresh from the oven")
        assert bob.push().ok
        wait_for(lambda: "Fresh from the oven" in fetch(base), what="the served site to show the new post")
        assert "Fresh from the oven" in fetch(base + "posts/bob/live/")
        rebuilt = server.stdout.readline()
        assert rebuilt.startswith("rebuilt (") and "pages in" in rebuilt
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "Stopping." in out


def test_serve_reports_a_busy_port(community):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = orgsite("serve", str(community.bare), "--port", str(port))
    assert result.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_post_receive_rebuilds_the_site_and_status_shows_it(community, tmp_path):
    site = tmp_path / "site"
    enabled = orgsite("site", "enable", str(site), "--repo", str(community.bare))
    assert enabled.returncode == 0, enabled.stderr
    assert (site / "index.html").exists()
    bob = community.bob
    bob.post("pushed", "Rendered by the server")
    pushed = bob.push()
    assert pushed.ok and "remote: orgsite: the site is being rebuilt in the background" in pushed.output
    wait_for(lambda: (site / "posts/bob/pushed/index.html").exists(), what="the post-receive rebuild")

    def logged_and_idle() -> str | None:
        s = orgsite("status", str(community.bare)).stdout
        return s if s.count(" ok ") >= 2 and f"site: {site} (idle)" in s else None

    status = wait_for(logged_and_idle, what="the rebuild to be logged and the builder to be idle")
    assert "1 posts" in status.splitlines()[-1]


def test_failed_rebuild_is_logged_and_the_site_stays(community, tmp_path):
    site = tmp_path / "site"
    assert orgsite("site", "enable", str(site), "--repo", str(community.bare)).returncode == 0
    (site / ".orgsite-site").unlink()  # somebody replaced the folder's marker: orgsite must not overwrite it
    bob = community.bob
    bob.post("lost", "Never rendered")
    assert bob.push().ok
    status = wait_for(lambda: " error " in (s := orgsite("status", str(community.bare)).stdout) and s,
                      what="the failed rebuild to be logged")  # fmt: skip
    assert "is not a site built by orgsite" in status
    assert (site / "index.html").exists() and not (site / "posts/bob/lost").exists()


def test_concurrent_pushes_are_all_accepted_and_all_rendered(community, tmp_path):
    site = tmp_path / "site"
    assert orgsite("site", "enable", str(site), "--repo", str(community.bare)).returncode == 0
    people = [community.bob, community.carol]
    for person in people:
        person.git("config", "commit.gpgsign", "true")  # rebased commits stay signed
        person.git("config", "pull.rebase", "true")

    errors: list[str] = []

    def write_and_push(person, n: int) -> None:
        person.post(f"race-{n}", f"Race post {person.handle} {n}")
        for _ in range(20):
            if person.push().ok:
                return
            person.git("pull", "-q")
        errors.append(f"{person.handle} could not push")

    threads = [threading.Thread(target=write_and_push, args=(p, 1)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    log = run("git", "log", "--format=%s", "main", cwd=community.bare).stdout.decode()
    assert "post race-1" in log and log.count("post race-1") == 2
    for person in people:
        wait_for(lambda p=person: (site / f"posts/{p.handle}/race-1/index.html").exists(),
                 what=f"{person.handle}'s post on the site")  # fmt: skip
    wait_for(lambda: "idle" in orgsite("status", str(community.bare)).stdout, what="the builder to finish")
    home = (site / "index.html").read_text()
    assert "Race post bob 1" in home and "Race post carol 1" in home


def test_init_with_site_enables_rebuilds_from_the_start(tmp_path, keys):
    made = orgsite("init", str(tmp_path / "c.git"), "--community", "Club", "--handle", "alice",
                   "--key", keys["alice"].fingerprint, "--site", str(tmp_path / "site"))  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "site/index.html").exists()
    assert Path(tmp_path / "c.git/hooks/post-receive").exists()


def test_a_burst_of_branch_moves_gives_one_rebuild(community, tmp_path):
    from orgsite.commands.serve import DEBOUNCE_SECONDS, _Rebuilder  # serve's builder thread

    site = tmp_path / "site"
    assert orgsite("build", str(community.bare), "--out", str(site)).returncode == 0
    bob = community.bob
    commits = [bob.post(f"burst-{n}", f"Burst {n}") for n in range(3)]
    run("git", "fetch", "-q", str(bob.clone), "main:refs/burst/main", cwd=community.bare)
    said: list[str] = []
    rebuilder = _Rebuilder(community.bare, site, said.append)
    rebuilder.thread.start()
    try:
        for commit in commits:  # three moves of the branch within a few milliseconds, as a burst of pushes
            run("git", "update-ref", "refs/heads/main", commit, cwd=community.bare)
            rebuilder.changed.set()
        wait_for(lambda: said, what="the rebuild")
        time.sleep(3 * DEBOUNCE_SECONDS)  # a second rebuild would have started by now
    finally:
        rebuilder.stopping.set()
        rebuilder.thread.join()
    assert len(said) == 1 and said[0].startswith("rebuilt (") and f"→ {commits[-1][:7]}" in said[0]
    assert (site / "posts/bob/burst-2/index.html").exists()


def test_serve_stops_cleanly_on_sigterm_even_with_sigint_ignored(community):
    def ignore_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell starts a background job

    for stop in (signal.SIGTERM, signal.SIGINT):
        server = subprocess.Popen([sys.executable, "-m", "orgsite", "serve", str(community.bare), "--port", "0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  preexec_fn=ignore_sigint)  # fmt: skip
        try:
            assert "Serving http://127.0.0.1:" in server.stdout.readline()
            server.send_signal(stop)
            out, err = server.communicate(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate()
        assert server.returncode == 0, err
        assert "Stopping." in out


def test_the_post_receive_shim_asks_git_for_the_settings_orgsite_reads():
    # The shim starts Python only when a site or the SSH door is enabled (or community.toml changed):
    # it must ask for the very config keys orgsite writes, or a rebuild would silently never start.
    from orgsite.content import COMMUNITY_PATH
    from orgsite.repo import AUTHORIZED_KEYS_KEY, SITE_KEY
    from orgsite.resources import HOOKS_DIR

    shim = (HOOKS_DIR / "post-receive").read_text()
    assert f"git config --get {SITE_KEY} " in shim and f"git config --get {AUTHORIZED_KEYS_KEY} " in shim
    assert f"-- {COMMUNITY_PATH}" in shim
