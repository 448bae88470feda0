"""A site anyone can check: builds are reproducible, the site lists the SHA-256 of every file with the
commit it renders, and `orgsite verify --site` rebuilds that commit from a member's own clone and
names every file that differs."""

from __future__ import annotations

import json
import shutil
import sys

from tests.people import orgsite, run
from tests.site_privacy import served


def build(bare, out, zone: str):
    run(sys.executable, "-m", "orgsite", "build", str(bare), "--out", str(out), env={"TZ": zone})


def tree(folder):
    """Every file of a built site by its path, but what the build keeps for the next (its marker names the
    build that made the folder; its state is compared as what it says: see read_state)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in (".orgsite-site", ".orgsite-build")}  # fmt: skip


def test_the_same_commit_builds_to_the_same_bytes_anywhere(community, tmp_path):
    bob = community.bob
    bob.write("posts/bob/hello.md", "---\ntitle: Hello\n---\nHi **all**.\n")
    bob.commit("Hello", env={"GIT_COMMITTER_DATE": "2024-03-01T12:00:00Z"})  # a day that is not today
    assert bob.push().ok
    build(community.bare, tmp_path / "one" / "site", "UTC")
    build(community.bare, tmp_path / "elsewhere" / "deeper" / "copy", "Pacific/Auckland")
    first, second = tree(tmp_path / "one" / "site"), tree(tmp_path / "elsewhere" / "deeper" / "copy")
    assert first.keys() == second.keys()
    assert [path for path in first if first[path] != second[path]] == []
    # The site is not for crawlers: the sitemap (which Material's script fetches on every page view)
    # lists nothing, and there is no gzip copy (MkDocs would date its header).
    assert b"<url>" not in first["sitemap.xml"] and "sitemap.xml.gz" not in first


def test_the_manifest_lists_every_file_and_the_commit(community, tmp_path):
    import hashlib

    site = tmp_path / "site"
    build(community.bare, site, "UTC")
    manifest = json.loads((site / "orgsite-manifest.json").read_text())
    tip = run("git", "rev-parse", "main", cwd=community.bare).stdout.decode().strip()
    assert manifest["commit"] == tip and manifest["orgsite"]
    files = {p: d for p, d in ((k, v) for k, v in manifest["files"].items())}
    on_disk = {p: hashlib.sha256(b).hexdigest() for p, b in tree(site).items()
               if p not in ("orgsite-manifest.json", ".orgsite-site", ".orgsite-build")}  # fmt: skip
    assert files == on_disk and "index.html" in files


def test_a_member_checks_the_served_site_against_their_own_clone(community, tmp_path):
    bob = community.bob
    bob.post("hello", "Hello", "Hi all.\n")
    assert bob.push().ok
    site = tmp_path / "site"
    build(community.bare, site, "UTC")
    carol = community.carol
    carol.pull()
    checked = carol.orgsite("verify", "--site", str(site))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().endswith("files rebuilt from your clone and compared, all match")
    with served(site) as url:
        over_http = carol.orgsite("verify", "--site", url)
    assert over_http.returncode == 0 and over_http.stdout.strip().endswith("all match"), over_http.stdout

    forged = tmp_path / "forged"
    shutil.copytree(site, forged)
    page = forged / "posts/bob/hello/index.html"
    page.write_text(page.read_text().replace("Hi all.", "Send money to Mallory."))
    (forged / "assets/extra.js").write_text("fetch('https://evil.example/')")
    caught = carol.orgsite("verify", "--site", str(forged))
    assert caught.returncode == 1
    assert "differs: posts/bob/hello/index.html" in caught.stdout
    assert "only on the site: assets/extra.js" in caught.stdout
    assert caught.stdout.strip().endswith("2 differ")


def test_a_site_without_a_manifest_or_a_commit_the_clone_lacks_is_a_clear_error(community, tmp_path):
    (tmp_path / "plain").mkdir()
    none = orgsite("verify", str(community.alice.clone), "--site", str(tmp_path / "plain"))
    assert none.returncode == 1 and "cannot be read; is" in none.stderr and "a site built by orgsite?" in none.stderr
    site = tmp_path / "site"
    community.bob.post("newer", "Newer")
    assert community.bob.push().ok
    build(community.bare, site, "UTC")
    stale = orgsite("verify", str(community.carol.clone), "--site", str(site))  # carol has not pulled
    assert stale.returncode == 1 and "which" in stale.stderr and "does not have; git fetch first" in stale.stderr
