"""Long work shows its progress to a person at a terminal, and nothing on a pipe."""

from __future__ import annotations

import shlex
import subprocess
import sys

from tests.people import orgsite


def on_terminal(*args: str) -> str:
    """What a person sees running `orgsite ARGS` in a terminal (a pseudo-terminal through script)."""
    command = shlex.join([sys.executable, "-m", "orgsite", *args])
    done = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, timeout=300, check=False)
    return done.stdout.decode(errors="replace").replace("\r", "\n")


def test_build_and_verify_show_their_phases_on_a_terminal_only(community, tmp_path):
    shown = on_terminal("build", str(community.bare), "--out", str(tmp_path / "site"))
    for phase in ("Checking signatures", "Reading changes", "Building pages"):
        assert phase in shown, shown[-2000:]
    assert "100%" in shown and "Built " in shown
    piped = orgsite("build", str(community.bare), "--out", str(tmp_path / "site"))
    assert piped.returncode == 0 and "Checking signatures" not in piped.stderr + piped.stdout
    assert piped.stderr.startswith("note: community.toml sets no url")  # the summary lines only

    audited = on_terminal("verify", str(community.bare))
    assert "Checking signatures" in audited and "commits checked, 0 refused" in audited
    assert "Checking signatures" not in orgsite("verify", str(community.bare)).stderr


def test_a_neighbours_sync_shows_its_fetch_and_its_check_on_a_terminal(community, smiths):
    bare, dana, intro = smiths
    added = community.alice.orgsite("follow", "add", "smiths", f"file://{bare}", "--introduction", intro,
                                    "--introducer", dana.key.fingerprint, "--push")  # fmt: skip
    assert added.returncode == 0, added.stderr
    shown = on_terminal("follow", "sync", str(community.bare), "smiths")
    assert "Fetching smiths" in shown and "Checking smiths" in shown and "smiths: verified" in shown
