"""orgsite installs from a wheel, not only editable: the hooks, the site templates and the base config
travel inside the package, and a fresh virtual environment runs the demo and a build from anywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def test_a_wheel_in_a_fresh_venv_runs_the_demo_and_builds_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(CHECKOUT)],
                   check=True, capture_output=True)  # fmt: skip
    [wheel] = wheels.glob("orgsite-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, orgsite = venv / "bin" / "python", venv / "bin" / "orgsite"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    where = subprocess.run([str(python), "-c", "import orgsite.resources as r; print(r.ROOT)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert where == str(venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
                        / "orgsite" / "_resources")  # fmt: skip
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    try:
        demo = subprocess.run([str(orgsite), "demo", "tour"], cwd=outside, capture_output=True, text=True)
        assert demo.returncode == 0, demo.stderr
        assert (outside / "tour" / "site" / "index.html").exists()
        hook = (outside / "tour" / "community.git" / "hooks" / "pre-receive").read_text()
        assert str(python) in hook or str(venv) in hook  # the hooks run the venv's orgsite
        built = subprocess.run([str(orgsite), "build", "tour/community.git", "--out", "again"], cwd=outside,
                               capture_output=True, text=True)  # fmt: skip
        assert built.returncode == 0, built.stderr
        assert "Signed by" in (outside / "again" / "posts" / "bob" / "hello" / "index.html").read_text()
    finally:
        subprocess.run(["gpgconf", "--homedir", str(outside / "tour" / "gnupg"), "--kill", "all"],
                       capture_output=True, check=False)  # fmt: skip
