"""A push rebuilds only what it changed: a build into a folder that holds an earlier build redoes the
pages and files whose inputs differ, and the result is the full build's bytes, file by file."""

from __future__ import annotations

import contextlib
import gc
import json
import marshal
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from orgsite.repo import CommunityRepo
from orgsite.site import build_state
from orgsite.site.build import build_site, built_from, changes_of, one_build_at_a_time
from orgsite.site.build_state import read_state
from orgsite.site.history import PostInfo, read_history
from orgsite.site.manifest import NOT_LISTED
from tests.people import run
from tests.servers import stop
from tests.test_push_merges import craft_merge
from tests.test_site import _bypass_hook
from tests.test_site_check import tree
from tests.test_site_rebuilds import wait_for


def build(bare, out, *flags: str) -> str:
    return run(sys.executable, "-m", "orgsite", "build", str(bare), "--out", str(out), *flags).stdout.decode()


def picture() -> bytes:
    return bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 40


def test_every_incremental_build_is_the_full_build_byte_for_byte(community, tmp_path):
    alice, bob, carol = community.alice, community.bob, community.carol
    # Enough conversations and commits for the pages that list them all (20 a page) and the older
    # History pages (50 a page), which a build keeps by their keys when nothing they show changed.
    for n in range(47):
        bob.post(f"old-{n:02d}", f"Old {n:02d}", f"Old news {n}.\n", tags=["news"] if n % 2 else ["plans"])
    bob.post("hello", "Hello", "Hi all.\n", tags=["news"])
    assert bob.push().ok
    site = tmp_path / "site"
    assert build(community.bare, site).startswith("Built ")
    first = bob.head()

    def post_of(person, name: str, *args, **front):
        def step():
            person.pull()
            person.post(*args, **front)
            return person

        step.__name__ = name
        return step

    post = post_of(carol, "post", "garden", "The garden", "Tomatoes.\n", tags=["plans"])
    reply = post_of(bob, "reply", "re-garden", "Re: The garden", "Lovely.\n", reply_to="posts/carol/garden.md")

    def edit_of(person, path: str, text: str, name: str):
        def step():
            person.pull()
            person.write(path, text)
            person.commit(f"edit {path}")
            return person

        step.__name__ = name
        return step

    edit = edit_of(carol, "posts/carol/garden.md", "---\ntitle: The garden, again\ntags: [plans, news]\n---\nBeans.\n",
                   "edit")  # fmt: skip
    # An old conversation's row on the first page of all conversations changes, and nothing else there.
    old_edited = edit_of(bob, "posts/bob/old-03.md", "---\ntitle: Old 03, corrected\ntags: [news]\n---\nBetter.\n",
                         "old_edited")  # fmt: skip

    def member_added():
        alice.pull()
        key = tmp_path / "mallory.asc"
        key.write_bytes(community.mallory.key.export())
        alice.orgsite("member", "add", "mallory", str(key))
        return alice

    def member_removed():
        alice.pull()
        alice.orgsite("member", "remove", "mallory")
        return alice

    old_answered = post_of(carol, "old_answered", "re-old", "Re: Old 05", "Indeed.\n", reply_to="posts/bob/old-05.md")

    def member_renamed():  # bob's posts and replies show his new name
        alice.pull()
        allowlist = (alice.clone / "members/allowlist.toml").read_text()
        old = next(m["name"] for m in tomllib.loads(allowlist)["member"] if m["handle"] == "bob")
        alice.write("members/allowlist.toml", allowlist.replace(f'name = "{old}"', 'name = "Robert"', 1))
        alice.commit("bob is Robert now")
        return alice

    def attachment():
        bob.pull()
        bob.write("posts/bob/dot.png", picture())
        bob.post("picture", "A picture", "![a dot](dot.png)\n")
        return bob

    # What a build must not take from the last one (see orgsite/site/unchanged.py): conversations that
    # lost or gained a post no commit of theirs touched, and slugs that moved to another tag.
    question = post_of(bob, "question", "later", "Later", "Any thoughts?\n")
    answer = post_of(carol, "answer", "early", "Re: Later", "First!\n", reply_to="posts/bob/later.md")

    def question_deleted():  # carol's reply opens a conversation of its own
        bob.pull()
        bob.git("rm", "-q", "posts/bob/later.md")
        bob.commit("delete later")
        return bob

    # carol's reply, which no commit touched, joins bob's conversation again
    question_again = post_of(bob, "question_again", "later", "Later", "Any thoughts?\n")

    reply_moved = edit_of(bob, "posts/bob/re-garden.md", "---\ntitle: \"Re: Old 07\"\nreply_to: posts/bob/old-07.md\n"
                          "---\nLovely.\n", "reply_moved")  # fmt: skip

    # "News" sorts before "news" and takes its slug: every "news" page moves
    slug_taken = post_of(carol, "slug_taken", "loud", "Loud", "NEWS.\n", tags=["News"])

    def merged_with_the_first():  # a merge with an old commit, taking back the first version of old-03
        bob.pull()
        craft_merge(bob, [bob.head(), first], {"posts/bob/old-03.md": first}, "back to the first old-03")
        return bob

    steps = (post, reply, edit, old_edited, old_answered, question, answer, question_deleted, question_again,
             reply_moved, slug_taken, merged_with_the_first, member_added, member_removed, member_renamed,
             attachment)  # fmt: skip
    for number, step in enumerate(steps):
        pusher = step()
        pushed = pusher.push()
        assert pushed.ok, (step.__name__, pushed.output)
        said = build(community.bare, site)
        full = tmp_path / f"full-{number}"
        build(community.bare, full, "--full")
        assert said.startswith("Updated "), (step.__name__, said)
        redone, total = (int(n) for n in said.split()[1:4:2])
        assert 0 < redone < total, (step.__name__, said)
        assert (site / "page/1/index.html").exists() and (site / "history/page/1/index.html").exists()
        ours, theirs = tree(site), tree(full)
        assert sorted(ours) == sorted(theirs), step.__name__
        assert [path for path in ours if ours[path] != theirs[path]] == [], step.__name__
        assert read_state(site) == read_state(full) is not None, step.__name__  # the next build goes on alike


def test_a_build_of_the_same_commit_redoes_nothing_and_full_redoes_everything(community, tmp_path):
    community.bob.post("hello", "Hello")
    assert community.bob.push().ok
    site = tmp_path / "site"
    first = build(community.bare, site)
    pages = int(first.split()[1])
    assert build(community.bare, site).startswith(f"Updated 0 of {pages} pages")
    assert build(community.bare, site, "--full").startswith(f"Built {pages} pages")


def test_a_damaged_build_state_means_a_full_build(community, tmp_path):
    community.bob.post("hello", "Hello")
    assert community.bob.push().ok
    site = tmp_path / "site"
    build(community.bare, site)
    state = site / ".orgsite-build"
    whole = state.read_bytes()
    wrong_tables = marshal.dumps(
        (build_state._FORMAT, sys.version, "c" * 40, "config", ["not", "a", "table"], {}, {}, {}, {}, None)
    )
    for damaged in (b"{not json", whole[: len(whole) // 2], wrong_tables):
        state.unlink()  # (a hard link the spare shares)
        state.write_bytes(damaged)
        assert build(community.bare, site).startswith("Built ")


def built_with_one_post(community, tmp_path):
    """Bob's first post pushed, and the site built from it at tmp_path/site (returned)."""
    community.bob.post("hello", "Hello", "Hi.\n")
    assert community.bob.push().ok
    build(community.bare, tmp_path / "site")
    return tmp_path / "site"


def test_the_site_a_build_replaced_waits_beside_it_for_the_next_build(community, tmp_path):
    bob = community.bob
    site, spare = built_with_one_post(community, tmp_path), tmp_path / ".site.spare"
    # A first build replaced no site: a linked copy of its own waits as the spare, every file shared, so
    # that the first push's build starts from it instead of copying the whole site.
    assert inodes(spare) == inodes(site) and (spare / "posts/bob/hello/index.html").is_file()
    first_commit = next((site / "commits").iterdir()).name

    def push_and_build(name: str) -> None:
        bob.post(name, name.title(), f"{name}.\n")
        assert bob.push().ok
        assert build(community.bare, site).startswith("Updated ")

    push_and_build("two")
    # The previous site, sharing with the new one every file the build did not change...
    assert (spare / "posts/bob/hello/index.html").exists() and not (spare / "posts/bob/two").exists()
    assert (spare / "commits" / first_commit).stat().st_ino == (site / "commits" / first_commit).stat().st_ino
    # ...and the site's marker says which it wrote and removed: the next build brings the spare up to date
    # from that list alone, so the list is every file the two do not share.
    changes = changes_of(site)
    assert changes.after in (spare / ".orgsite-site").read_text().splitlines()[2]
    unshared = {path for path in inodes(site) if inodes(site)[path] != inodes(spare).get(path)}
    assert unshared == {*changes.written, *NOT_LISTED} and "posts/bob/two/index.html" in unshared
    assert set(changes.removed) == inodes(spare).keys() - inodes(site).keys()
    push_and_build("three")  # built upon the spare, brought up to date
    assert (spare / "posts/bob/two/index.html").exists() and not (spare / "posts/bob/three").exists()
    (spare / "orgsite-manifest.json").unlink()  # a spare that cannot say what it holds is not built upon
    (spare / "posts/bob/two/index.html").unlink()  # (the file is the served page's too: not written into)
    (spare / "posts/bob/two/index.html").write_text("stale")
    push_and_build("four")
    full = tmp_path / "full"
    build(community.bare, full, "--full")
    ours, theirs = tree(site), tree(full)
    assert sorted(ours) == sorted(theirs)
    assert [path for path in ours if ours[path] != theirs[path]] == []
    (site / "commits" / first_commit).unlink()  # the served site damaged: a full build writes that page anew
    (site / "commits" / first_commit).write_text("damaged")
    build(community.bare, site, "--full")
    # A full build renders every page, and links to the replaced site's file each file holding exactly the
    # bytes it would write: the replaced site is the next build's spare, as after an incremental build.
    assert hidden_beside(site) == [".full.lock", ".full.spare", ".site.lock", ".site.spare"]
    assert (spare / "posts/bob/four/index.html").stat().st_ino == (site / "posts/bob/four/index.html").stat().st_ino
    assert (site / "commits" / first_commit).read_bytes() == theirs[f"commits/{first_commit}"]
    assert (spare / "commits" / first_commit).stat().st_ino != (site / "commits" / first_commit).stat().st_ino
    push_and_build("five")
    assert hidden_beside(site) == [".full.lock", ".full.spare", ".site.lock", ".site.spare"]


def test_a_site_removed_by_hand_is_built_anew_and_its_spare_left_behind_is_not_built_upon(community, tmp_path):
    bob = community.bob
    site = built_with_one_post(community, tmp_path)
    bob.post("two", "Two", "Two.\n")
    assert bob.push().ok
    build(community.bare, site)
    shutil.rmtree(site)  # an operator removes the site, not the spare beside it
    assert build(community.bare, site).startswith("Built ")
    bob.post("three", "Three", "Three.\n")
    assert bob.push().ok
    assert build(community.bare, site).startswith("Updated ")  # from the spare the last build left
    full = tmp_path / "full"
    build(community.bare, full, "--full")
    ours, theirs = tree(site), tree(full)
    assert sorted(ours) == sorted(theirs)
    assert [path for path in ours if ours[path] != theirs[path]] == []


def hidden_beside(site) -> list[str]:
    """What builds keep beside a site (its spare, the builds' locks), by name."""
    return sorted(p.name for p in site.parent.iterdir() if p.name.startswith("."))


def _someone_waits_for(lock: Path) -> bool:
    """True while a process waits for the file lock on `lock` that another holds (the kernel's list of locks)."""
    inode = f":{lock.stat().st_ino}"
    return any(fields[1] == "->" and fields[2] == "FLOCK" and fields[6].endswith(inode)
               for fields in (line.split() for line in Path("/proc/locks").read_text().splitlines()))  # fmt: skip


def test_a_build_started_while_another_builds_the_same_site_waits_for_it(community, tmp_path):
    bob = community.bob
    site, elsewhere = built_with_one_post(community, tmp_path), tmp_path / "elsewhere"
    bob.post("two", "Two", "Two.\n")
    assert bob.push().ok
    command = shlex.join([sys.executable, "-m", "orgsite", "build", str(community.bare), "--out", str(site)])
    with contextlib.ExitStack() as stopped_at_the_end:
        with one_build_at_a_time(site):  # another build of the site is under way
            # The second build, in a terminal (script gives it one): it says it waits, and does.
            waiting = subprocess.Popen(["script", "-qec", command, "/dev/null"], stdout=subprocess.PIPE,
                                       start_new_session=True)  # fmt: skip
            stopped_at_the_end.callback(stop, waiting)
            wait_for(lambda: _someone_waits_for(tmp_path / ".site.lock"), timeout=30, what="the second build to wait")
            # Meanwhile it touches nothing of the site, and a build of another site does not wait.
            assert not list(tmp_path.glob(".site.build-*")) and built_from(site) != bob.head()
            assert build(community.bare, elsewhere).startswith("Built ")
            assert waiting.poll() is None
        shown = waiting.communicate(timeout=120)[0].decode(errors="replace")
    assert waiting.returncode == 0 and "Waiting for another build of site" in shown and "Updated " in shown
    assert built_from(site) == bob.head() and (site / "posts/bob/two/index.html").is_file()


def inodes(site) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*") if p.is_file()}


def read_what_pages_show(repo: CommunityRepo, *, afresh: bool) -> tuple:
    """The history's commits in order (with their verdicts, records and changes), and each published
    post's author and revisions; `afresh`: with nothing kept from earlier reads."""
    if afresh:
        (repo.cache_dir / "history.sqlite").unlink(missing_ok=True)
        (repo.cache_dir / "last-read-history").unlink(missing_ok=True)
    history = read_history(repo, "main")
    commits = [(c.id, c.position, c.parents, c.meta, c.verdict, c.digest, c.accepted, c.signer_handle, c.commit_time,
                [(p.path, p.status, p.blob, p.text) for p in c.patches]) for c in history.commits]  # fmt: skip
    posts = [(p.path, p.blob, p.author.handle, [(r.commit.id, r.kept_by_merge, r.patch and r.patch.text)
                                                for r in p.revisions]) for p in history.posts]  # fmt: skip
    return commits, posts, sorted(history.warnings)


def test_what_a_build_keeps_for_the_next_gives_what_reading_everything_gives(community):
    """The walk, the commits (with their verdicts and changes) and the posts' lineages are taken from the
    last build's when a push only added on top (a merge of older work is walked and folded anew): the
    history read is the same either way."""
    bob, carol = community.bob, community.carol
    repo = CommunityRepo(community.bare)

    def read(*, afresh: bool):
        return read_what_pages_show(repo, afresh=afresh)

    bob.post("hello", "Hello", "Hi.\n")
    assert bob.push().ok
    read(afresh=True)
    carol.pull()
    carol.post("garden", "The garden", "Tomatoes.\n")  # made on the tip bob pushed...
    bob.post("news", "News", "Cake.\n")
    assert bob.push().ok
    kept = read(afresh=False)  # (one post on top: taken on from the last read)
    assert kept == read(afresh=True)
    carol.git("pull", "-q", "--no-rebase", "--no-edit", "-S")  # ...merged after bob's: older work comes in
    assert len(carol.git("log", "-1", "--format=%P").split()) == 2
    assert carol.push().ok
    merged = read(afresh=False)
    assert merged == read(afresh=True)
    bob.pull()
    bob.post("more", "More", "More cake.\n")
    assert bob.push().ok
    assert read(afresh=False) == read(afresh=True)
    assert read(afresh=False) == read(afresh=True)  # the same tip again: taken whole from the last read


def test_hostile_commits_on_top_of_a_kept_history_are_judged_as_in_a_fresh_read(community):
    """Commits that bypassed the hook, built on the tip the last build kept: one rewriting another
    member's post, then a crafted merge taking that post back from an old commit. Going on from the
    kept walk and lineages, the read is a fresh read's: the rewritten post is not published."""
    bob, carol = community.bob, community.carol
    repo = CommunityRepo(community.bare)
    carol.post("garden", "The garden", "Tomatoes.\n")
    carol.post("news", "News", "Carol's words.\n")
    assert carol.push().ok
    before_news = carol.git("rev-parse", "HEAD~1")
    read_what_pages_show(repo, afresh=False)  # what the next read goes on from
    bob.pull()
    bob.write("posts/carol/news.md", "---\ntitle: News\n---\nBob's words under Carol's name.\n")
    bob.commit("rewrite carol's post")
    _bypass_hook(community, bob)
    rewritten = read_what_pages_show(repo, afresh=False)
    assert rewritten == read_what_pages_show(repo, afresh=True)
    assert [path for path, *_ in rewritten[1]] == ["posts/carol/garden.md"]
    assert any(w.startswith("posts/carol/news.md: not published") for w in rewritten[2])
    craft_merge(bob, [bob.head(), before_news], {"posts/carol/news.md": carol.head()})  # carol's version back
    _bypass_hook(community, bob)
    merged = read_what_pages_show(repo, afresh=False)
    assert merged == read_what_pages_show(repo, afresh=True)
    assert "posts/carol/news.md" not in [path for path, *_ in merged[1]]  # its lineage still holds the rewrite


def test_a_branch_moved_back_and_on_again_is_read_as_a_fresh_read_reads_it(community):
    """The branch is moved back to an older commit and on from there (a force push that bypassed the
    hook): the commits the last build kept no longer begin the walk, and the lineages it kept are at a
    commit no longer on the branch. Nothing kept is taken: the read is a fresh read's."""
    bob = community.bob
    repo = CommunityRepo(community.bare)
    bob.post("one", "One", "One.\n")
    assert bob.push().ok
    older = bob.head()
    bob.post("two", "Two", "Two.\n")
    bob.post("three", "Three", "Three.\n")
    assert bob.push().ok
    read_what_pages_show(repo, afresh=False)  # what the next read would go on from
    bob.git("reset", "-q", "--hard", older)
    bob.post("two", "Two, told otherwise", "Other words.\n")
    run("git", "fetch", "-q", "--update-head-ok", str(bob.clone), "+main:main", cwd=community.bare)
    rewound = read_what_pages_show(repo, afresh=False)
    assert rewound == read_what_pages_show(repo, afresh=True)
    assert sorted(path for path, *_ in rewound[1]) == ["posts/bob/one.md", "posts/bob/two.md"]
    assert rewound[0][0][0] == bob.head()  # (newest first)


def test_a_post_page_shows_one_main_heading_whichever_way_it_is_built(community, tmp_path):
    """Post pages are laid into a page MkDocs built once (Material's title heading included), but a
    post with a heading of its own is built by MkDocs, which then leaves the title heading out."""
    bob = community.bob
    bob.post("plain", "Plain words", "Nothing but text.\n")
    bob.post("headed", "Headed", "# A heading of my own\n\nAnd text.\n")
    assert bob.push().ok
    site = tmp_path / "site"
    build(community.bare, site)
    plain = (site / "posts/bob/plain/index.html").read_text()
    headed = (site / "posts/bob/headed/index.html").read_text()
    assert plain.count("<h1") == 1 and "<h1>Plain words</h1>" in plain
    assert "<title>Plain words - " in plain and "Nothing but text." in plain
    assert headed.count("<h1") == 1 and "A heading of my own</h1>" in headed and "<title>Headed - " in headed
    index = json.loads((site / "search/search_index.json").read_text())
    assert {d["location"] for d in index["docs"] if d["title"] == "Plain words"} == {"posts/bob/plain/"}


def test_a_marker_naming_paths_outside_the_site_is_not_followed(community, tmp_path):
    """The list of what a build wrote and removed, in the site's marker, is what the next build brings its
    spare up to date by: a marker altered to name a file beside the site (or an absolute path) is not
    taken, nothing outside the site is removed, and the build is still the full build's bytes."""
    bob = community.bob
    bob.post("hello", "Hello", "Hi.\n")
    assert bob.push().ok
    site = tmp_path / "site"
    build(community.bare, site)
    bob.post("two", "Two", "Two.\n")
    assert bob.push().ok
    build(community.bare, site)  # the spare now waits, and the marker lists what this build changed
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    marker = site / ".orgsite-site"
    lines = marker.read_text().splitlines()
    after = changes_of(site).after
    for listed in ({"written": [], "removed": ["../../victim.txt"]}, {"written": [], "removed": [str(victim)]}):
        hostile = [line for line in lines if not line.startswith("after build ")]
        hostile.append(f"after build {after} {json.dumps(listed)}")
        marker.unlink()  # (a hard link the spare shares)
        marker.write_text("\n".join(hostile) + "\n")
        assert changes_of(site) is None
    bob.post("three", "Three", "Three.\n")
    assert bob.push().ok
    assert build(community.bare, site).startswith("Updated ")
    assert victim.read_text() == "keep me"
    full = tmp_path / "full"
    build(community.bare, full, "--full")
    ours, theirs = tree(site), tree(full)
    assert sorted(ours) == sorted(theirs) and [p for p in ours if ours[p] != theirs[p]] == []


def test_conversations_a_damaged_state_misremembers_are_worked_out_again(community, tmp_path):
    bob = community.bob
    bob.post("hello", "Hello", "Hi.\n")
    bob.post("other", "Other", "No reply here.\n")  # a conversation the pushes below leave as it is
    assert bob.push().ok
    site = tmp_path / "site"
    build(community.bare, site)
    state = site / ".orgsite-build"
    misremembered = [
        lambda commits, order, posts, rows, slugs: (commits, order, {path: (root, "0" * 64)
                                                                     for path, (root, _) in posts.items()}, {}, slugs),
        lambda commits, order, posts, rows, slugs: (commits, order, dict.fromkeys(posts, "not a pair"), rows, slugs),
        lambda *remembered: ("not", "conversations"),
    ]
    for number, misremember in enumerate(misremembered):
        bob.post(f"more-{number}", "More", "And more.\n", reply_to="posts/bob/hello.md")
        assert bob.push().ok
        *kept, remembered = marshal.loads(state.read_bytes())
        conversations = misremember(*remembered)
        state.unlink()  # (a hard link the spare shares)
        state.write_bytes(marshal.dumps((*kept, conversations)))
        assert build(community.bare, site).startswith("Updated ")
        full = tmp_path / f"full-{number}"
        build(community.bare, full, "--full")
        assert tree(site) == tree(full), number


def test_a_process_that_builds_again_and_again_gets_back_all_a_build_held(community, tmp_path):
    # `orgsite serve` builds in its own process after every push: what a build sets aside from the
    # collector (see build._set_aside) must be collectable again when it ends, or each build would leak
    # its whole history; and what an incremental build leaves out, the next full build has again.
    bob = community.bob
    bob.post("hello", "Hello", "Hi.\n")
    assert bob.push().ok
    thresholds = gc.get_threshold()
    site = tmp_path / "site"
    for number, incremental in enumerate((False, True, False)):
        bob.post(f"more-{number}", "More", "And more.\n", reply_to="posts/bob/hello.md")
        assert bob.push().ok
        assert build_site(community.bare, site, full=not incremental).incremental == incremental
        assert (gc.get_freeze_count(), gc.isenabled(), gc.get_threshold()) == (0, True, thresholds)
        assert list(site.glob("assets/javascripts/bundle.*.min.js"))  # (an incremental build lists no theme files)
        gc.collect()
        assert not [o for o in gc.get_objects() if isinstance(o, PostInfo)]
