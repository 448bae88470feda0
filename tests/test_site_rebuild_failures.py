"""Builds that die leave no trace and lose no push: a killed build's scratch folder goes with the next
build, a killed or failed rebuild stays owed until one succeeds, and `orgsite status` says what happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.people import orgsite
from tests.test_site import _bypass_hook
from tests.test_site_rebuilds import wait_for


def _status(community) -> str:
    return orgsite("status", str(community.bare)).stdout


def _site_enabled_and_behind(community, tmp_path):
    site = tmp_path / "site"
    assert orgsite("site", "enable", str(site), "--repo", str(community.bare)).returncode == 0
    bob = community.bob
    bob.post("owed", "Owed a rendering")
    _bypass_hook(community, bob)  # the branch moves with no post-receive: nothing rebuilds on its own
    return site, bob.head()


def test_a_killed_rebuild_stays_owed_and_its_scratch_goes_with_the_next_build(community, tmp_path):
    site, tip = _site_enabled_and_behind(community, tmp_path)
    assert "(idle; the site is behind the branch: it shows " in _status(community)
    builder = subprocess.Popen([sys.executable, "-m", "orgsite", "hook", "rebuild", str(community.bare)],
                               start_new_session=True)  # fmt: skip
    try:
        wait_for(lambda: list(tmp_path.glob(".site.build-*/docs")), what="the build to be under way")
    finally:
        os.killpg(builder.pid, signal.SIGKILL)
        builder.wait()
    [scratch] = tmp_path.glob(".site.build-*")  # what SIGKILL leaves behind
    status = _status(community)
    assert "the last build was interrupted (killed?) before it finished" in status
    assert f"the branch is at {tip[:7]}" in status
    assert not (site / "posts/bob/owed").exists()

    assert orgsite("hook", "rebuild", str(community.bare)).returncode == 0
    assert (site / "posts/bob/owed/index.html").exists()
    assert not scratch.exists()
    status = _status(community)
    assert f"site: {site} (idle)" in status and "behind" not in status
    assert status.splitlines()[-1].split()[1:3] == ["ok", f"{tip[:7]}:"]


def test_an_unexpected_failure_is_logged_with_its_traceback_and_stays_owed(community, tmp_path):
    _site_enabled_and_behind(community, tmp_path)
    (tmp_path / ".site.lock").unlink()
    (tmp_path / ".site.lock").mkdir()  # a folder where the build's lock file is: no failure orgsite foresees
    assert orgsite("hook", "rebuild", str(community.bare)).returncode == 0  # a detached job: it logs, not raises
    status = _status(community)
    assert "the last build failed (below)" in status
    last = status.splitlines()[-1]
    assert " error " in last and "(traceback in this log)" in last
    log = (community.bare / "orgsite-cache" / "build.log").read_text()
    assert "    Traceback (most recent call last):" in log
    assert (community.bare / "orgsite-cache" / "build.claimed").exists()


def test_one_builder_at_a_time(tmp_path):
    from orgsite.site.rebuild import BuildFiles

    files = BuildFiles(tmp_path / "build.lock", tmp_path / "p", tmp_path / "c", tmp_path / "log")
    assert not files.building()
    with files.builder() as first:
        assert first is True and files.building()
        with files.builder() as second:
            assert second is False  # a second builder leaves its mark and goes
    assert not files.building()  # let go at the end of the block
