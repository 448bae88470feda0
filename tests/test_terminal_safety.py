"""What orgsite prints cannot drive the operator's terminal: member-controlled text (user ids, paths,
titles) reaches it with control characters escaped, through a pipe as on a screen."""

from __future__ import annotations

from tests.test_push_refusals import refused
from tests.test_site import _bypass_hook

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x9b"


def test_member_add_shows_a_hostile_user_id_escaped(community, key_factory, tmp_path):
    key = key_factory(f"Evil {ESCAPES} Person")
    (tmp_path / "evil.asc").write_bytes(key.export())
    added = community.alice.orgsite("member", "add", "evil", str(tmp_path / "evil.asc"))
    assert added.returncode == 0, added.stderr
    assert "Evil \\x1b]0;owned\\x07" in added.stdout
    assert not any(c in added.stdout + added.stderr for c in "\x1b\x07\x9b")


def test_refusals_show_hostile_paths_escaped(community):
    bob = community.bob
    bob.write(f"posts/bob/{ESCAPES}.md", "---\ntitle: x\n---\n")
    commit = bob.commit("odd name")
    lines = refused(community, bob)
    assert not any(c in "".join(lines) for c in "\x1b\x07\x9b")
    assert any(line.startswith(f"orgsite: {commit[:7]} posts/bob/\\x1b]0;owned\\x07") for line in lines), lines
    _bypass_hook(community, bob)
    audit = community.verify()
    assert audit.returncode == 1
    assert "posts/bob/\\x1b]0;owned\\x07\\x1b[2J\\x9b.md: no file may live here" in audit.stdout
    assert not any(c in audit.stdout for c in "\x1b\x07\x9b")
