"""A build shares its longest steps (rendering and stamping pages) with a forked copy of itself on the
other core: every result comes back, the site is the same bytes, and a failure on either side is the
build's failure, with no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from orgsite.site import forked
from orgsite.site.build import build_site
from tests.test_incremental_builds import picture
from tests.test_site_check import tree

needs_two_cores = pytest.mark.skipif(forked._cores() < 2, reason="the work is shared only with a second core")


@pytest.fixture(autouse=True)
def _memory_no_object(monkeypatch):
    """However much this test session holds, these tests fork (but the one about memory)."""
    monkeypatch.setattr(forked, "MOST_MEMORY_TO_FORK", 2**62)


def _children() -> set[int]:
    """This process's children, zombies included."""
    found = set()
    for task in Path("/proc/self/task").iterdir():
        found.update(int(pid) for pid in (task / "children").read_text().split())
    return found


def _with_pids(items):
    for item in items:
        yield item, os.getpid()


def _odd_ones_fail(items):
    for item in items:
        if item % 2:
            raise ValueError(f"item {item} is odd")
        yield item


def _first_fails_here_others_wait(items):
    for item in items:
        if item == 0:
            raise ValueError("the first item fails")
        time.sleep(60)  # the copy, left alone, would still be at it when the test ends
        yield item


@needs_two_cores
def test_every_result_comes_back_and_the_copy_did_its_share(tmp_path, monkeypatch):
    monkeypatch.setattr(forked, "WORTH_A_FORK", 2)
    before = _children()
    results = list(forked.on_both_cores(list(range(101)), _with_pids, tmp_path / "spool"))
    assert sorted(item for item, _ in results) == list(range(101))
    by_pid = {pid: sum(1 for _, p in results if p == pid) for pid in {p for _, p in results}}
    assert len(by_pid) == 2 and by_pid[os.getpid()] == 51  # every other item was the copy's
    assert not (tmp_path / "spool").exists()
    assert _children() == before


def test_a_little_work_is_done_here_alone(tmp_path):
    results = list(forked.on_both_cores(list(range(forked.WORTH_A_FORK - 1)), _with_pids, tmp_path / "spool"))
    assert {pid for _, pid in results} == {os.getpid()}


def test_a_process_holding_much_memory_does_the_work_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(forked, "WORTH_A_FORK", 2)
    monkeypatch.setattr(forked, "MOST_MEMORY_TO_FORK", forked._resident_bytes() // 2)
    results = list(forked.on_both_cores(list(range(101)), _with_pids, tmp_path / "spool"))
    assert sorted(item for item, _ in results) == list(range(101))
    assert {pid for _, pid in results} == {os.getpid()}


@needs_two_cores
def test_a_failure_in_the_copy_is_raised_here(tmp_path, monkeypatch):
    monkeypatch.setattr(forked, "WORTH_A_FORK", 2)
    before = _children()
    with pytest.raises(ValueError, match="item 1 is odd"):  # the odd items are the copy's share
        list(forked.on_both_cores(list(range(10)), _odd_ones_fail, tmp_path / "spool"))
    assert _children() == before
    assert not (tmp_path / "spool").exists()


@needs_two_cores
def test_a_failure_here_ends_the_copy_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(forked, "WORTH_A_FORK", 2)
    before = _children()
    with pytest.raises(ValueError, match="the first item fails"):
        list(forked.on_both_cores(list(range(10)), _first_fails_here_others_wait, tmp_path / "spool"))
    assert _children() == before  # killed and reaped, not left sleeping
    assert not (tmp_path / "spool").exists()


class _Unpicklable(Exception):
    def __init__(self, why: str, handle) -> None:
        super().__init__(why)
        self.handle = handle  # (a lock: pickle cannot take it)


def _copy_fails_unpicklably(items):
    for item in items:
        if item % 2:
            raise _Unpicklable(f"item {item} holds a lock", threading.Lock())
        yield item


@needs_two_cores
def test_a_failure_pickle_cannot_take_is_raised_here_by_its_message(tmp_path, monkeypatch):
    monkeypatch.setattr(forked, "WORTH_A_FORK", 2)
    with pytest.raises(RuntimeError, match="_Unpicklable: item 1 holds a lock"):
        list(forked.on_both_cores(list(range(10)), _copy_fails_unpicklably, tmp_path / "spool"))


_KILLED_BUILD = """
import os, sys, time
from pathlib import Path
from orgsite.site import forked
forked.WORTH_A_FORK = 2
def work(items):
    for item in items:
        Path(sys.argv[1], str(os.getpid())).touch()
        time.sleep(60)
        yield item
list(forked.on_both_cores([0, 1], work, Path(sys.argv[1]) / "spool"))
"""


@needs_two_cores
def test_a_killed_build_leaves_no_copy_working(tmp_path):
    build = subprocess.Popen([sys.executable, "-c", _KILLED_BUILD, str(tmp_path)])
    try:
        deadline = time.monotonic() + 30
        while len([p for p in tmp_path.iterdir() if p.name.isdigit()]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        [copy] = [int(p.name) for p in tmp_path.iterdir() if p.name.isdigit() and int(p.name) != build.pid]
    finally:
        build.kill()
        build.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{copy}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    still_working = Path(f"/proc/{copy}").exists()
    if still_working:  # (leave nothing running, whatever the outcome)
        os.kill(copy, signal.SIGKILL)
    assert not still_working  # the kernel ended it with its parent


@needs_two_cores
def test_a_site_built_on_both_cores_is_the_same_bytes(community, tmp_path, monkeypatch):
    bob, carol = community.bob, community.carol
    for n in range(12):
        bob.post(f"note-{n:02d}", f"Note {n}", f"Note **{n}**.\n", tags=["news"])
    bob.write("posts/bob/garden.png", picture())
    bob.commit("A picture")
    assert bob.push().ok
    carol.pull()
    carol.post("re-note", "Re: Note 3", "Yes.\n", reply_to="posts/bob/note-03.md")
    assert carol.push().ok
    forks = []
    real_fork = os.fork

    def counted_fork() -> int:
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(forked.os, "fork", counted_fork)
    monkeypatch.setattr(forked, "WORTH_A_FORK", 10**9)
    build_site(community.bare, tmp_path / "here", full=True)
    assert forks == []
    monkeypatch.setattr(forked, "WORTH_A_FORK", 1)
    build_site(community.bare, tmp_path / "shared", full=True)
    assert len(forks) == 2  # the rendering and the stamping
    here, shared = tree(tmp_path / "here"), tree(tmp_path / "shared")
    assert sorted(here) == sorted(shared)
    assert [path for path in here if here[path] != shared[path]] == []
    assert "posts/bob/garden.png" in here and "posts/bob/note-03/feed.xml" in here
