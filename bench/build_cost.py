"""What building the site costs (run by hand: python bench/build_cost.py).

Generated communities (--sizes; 1,000 and 3,000 posts by default; 10,000 takes about half an hour to
generate) with about 5 signed commits per post (a post and four edits, interleaved; generated once and
cached under bench/data/). For each: a full `orgsite build` (time and peak memory, its own and its
forked copy's, in a fresh process, verdict cache dropped first) next to a bare `mkdocs build` of the same posts as plain
Markdown pages (Material, not_in_nav), interleaved, medians of --runs. Add --profile to print where
orgsite's build spends its time. With --incremental: one post pushed at a time, the incremental build
of each new tip against a full build of it, interleaved.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MEMBERS = 20
sys.path.insert(0, str(HERE))

from hook_cost import make_key, sh  # noqa: E402 (bench scripts share their key helpers)


def keys(count: int) -> list[str]:
    home = DATA / "gnupg"
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["GNUPGHOME"] = str(home)
    listing = sh("gpg", "--with-colons", "--list-keys") if any(home.iterdir()) else ""
    fprs = [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")]
    for n in range(len(fprs), count):
        fprs.append(make_key(n))
    return fprs[:count]


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """A scratch folder for one bench run; removed afterwards, with the gpg agent of the benches' keyring."""
    work = Path(tempfile.mkdtemp(prefix="osbench-"))
    try:
        yield work
    finally:
        subprocess.run(["gpgconf", "--homedir", str(DATA / "gnupg"), "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


def community(posts: int, members: int = MEMBERS) -> Path:
    """A bare community repository of `members` members with `posts` posts and about 5 commits per
    post (cached)."""
    bare = DATA / (f"community-{posts}.git" if members == MEMBERS else f"community-{posts}-{members}m.git")
    if (bare / "orgsite-bench-done").exists():
        return bare
    import gnupg
    import pygit2

    shutil.rmtree(bare, ignore_errors=True)
    fprs = keys(members)
    sh(sys.executable, "-m", "orgsite", "init", str(bare), "--community", f"Bench {posts}", "--handle", "p0",
       "--key", fprs[0])  # fmt: skip
    repo = pygit2.Repository(str(bare))
    gpg = gnupg.GPG(gnupghome=os.environ["GNUPGHOME"])
    tip = repo.head.peel(pygit2.Commit)
    when = tip.commit_time

    def commit(tree: pygit2.Oid, message: str, n: int, parent: pygit2.Commit) -> pygit2.Commit:
        nonlocal when
        when += 60
        return signed_commit(repo, gpg, fprs[n], n, tree, parent, message, when)

    def put(tree: pygit2.Tree, path: str, data: bytes) -> pygit2.Oid:
        return put_file(repo, tree, path, data)

    allowlist = repo[tip.tree["members/allowlist.toml"].id].data.decode()
    tree = tip.tree
    for n, fpr in enumerate(fprs[1:], start=1):
        armored = subprocess.run(["gpg", "--armor", "--export", fpr], capture_output=True, check=True).stdout
        tree = repo[put(tree, f"members/keys/p{n}.asc", armored)]
        allowlist += (f'\n[[member]]\nhandle = "p{n}"\nname = "Person {n}"\nemail = "p{n}@example.org"\n'
                      f'role = "member"\nfingerprints = ["{fpr}"]\n')  # fmt: skip
    tree = repo[put(tree, "members/allowlist.toml", allowlist.encode())]
    tip = commit(tree.id, "Add the members", 0, tip)
    rng = random.Random(posts)
    written: list[tuple[int, str, int]] = []  # (author, slug, edits so far)
    pending = posts
    while pending or any(e < 4 for _, _, e in written):
        if pending and (not written or rng.random() < 0.2 or all(e >= 4 for _, _, e in written)):
            author = rng.randrange(1, members)
            slug = f"post-{len(written):05d}"
            written.append((author, slug, 0))
            pending -= 1
            index, edits = len(written) - 1, 0
        else:
            index = rng.choice(
                [i for i, (_, _, e) in enumerate(written[-200:], start=max(0, len(written) - 200)) if e < 4]
                or [i for i, (_, _, e) in enumerate(written) if e < 4]
            )
            author, slug, edits = written[index]
            edits += 1
            written[index] = (author, slug, edits)
        tags = rng.sample(["news", "family", "plans", "recipes", "books", "travel", "photos", "help"], 2)
        body = f"---\ntitle: Post {slug} (revision {edits})\ntags: [{', '.join(tags)}]\n---\n"
        body += "\n\n".join(f"Paragraph {p} of {slug}, revision {edits}. " * 5 for p in range(4)) + "\n"
        tree = repo[put(tip.tree, f"posts/p{author}/{slug}.md", body.encode())]
        tip = commit(tree.id, f"{'Edit' if edits else 'Post'} {slug}", author, tip)
        repo.references["refs/heads/main"].set_target(tip.id)
    # Pushed history arrives in packs and servers gc; a repository of loose objects would measure
    # the file system instead (a tree diff costs ten times more among 75,000 loose objects).
    sh("git", "--git-dir", str(bare), "gc", "-q")
    (bare / "orgsite-bench-done").write_text("")
    return bare


def signed_commit(repo, gpg, fpr: str, n: int, tree, parent, message: str, when: int):
    """A commit of `tree` on `parent` by Person n, signed with `fpr`."""
    import pygit2

    who = pygit2.Signature(f"Person {n}", f"p{n}@example.org", when, 0)
    text = repo.create_commit_string(who, who, message, tree, [parent.id])
    signature = str(gpg.sign(text, keyid=fpr, detach=True))
    return repo[repo.create_commit_with_signature(text, signature)]


def put_file(repo, tree, path: str, data: bytes):
    """The id of `tree` with `data` at `path` (folders made as needed)."""
    import pygit2

    head, _, rest = path.partition("/")
    builder = repo.TreeBuilder(tree) if tree is not None else repo.TreeBuilder()
    if rest:
        sub = tree[head] if tree is not None and head in tree else None
        builder.insert(head, put_file(repo, repo[sub.id] if sub else None, rest, data), pygit2.enums.FileMode.TREE)
    else:
        builder.insert(head, repo.create_blob(data), pygit2.enums.FileMode.BLOB)
    return builder.write()


def add_post(bare: Path, number: int) -> None:
    """One more post on the tip of main, by Person 1, as a push would bring it (the hook's checks aside)."""
    import gnupg
    import pygit2

    repo = pygit2.Repository(str(bare))
    gpg = gnupg.GPG(gnupghome=os.environ["GNUPGHOME"])
    tip = repo.references["refs/heads/main"].peel(pygit2.Commit)
    body = f"---\ntitle: New post {number}\ntags: [news]\n---\nA new post, number {number}.\n"
    tree = put_file(repo, tip.tree, f"posts/p1/new-{number:03d}.md", body.encode())
    made = signed_commit(repo, gpg, keys(MEMBERS)[1], 1, tree, tip, f"Post new-{number}", tip.commit_time + 60)
    repo.references["refs/heads/main"].set_target(made.id)


_MEASURE = """
import json, resource, sys, time, os
os.environ["NO_MKDOCS_2_WARNING"] = "1"
start = time.perf_counter()
{body}
print(json.dumps({{"seconds": time.perf_counter() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""
ORGSITE = """
from pathlib import Path
from orgsite.site.build import build_site
import inspect
# "full" as the 3rd argument: every page built (orgsite before incremental builds has no such choice)
full = {"full": True} if len(sys.argv) > 3 and "full" in inspect.signature(build_site).parameters else {}
build_site(Path(sys.argv[1]), Path(sys.argv[2]), **full)
"""
MKDOCS = """
from mkdocs.commands.build import build
from mkdocs.config import load_config
config = load_config(config_file=sys.argv[1])
config.plugins.on_startup(command="build", dirty=False)
build(config)
config.plugins.on_shutdown()
"""


def measure(body: str, *args: str, code: Path | None = None) -> dict:
    """Run `body` in a fresh process (with orgsite from the checkout `code`, when given); time and peak memory.
    The disk first writes back what earlier runs wrote: no run pays for another's output."""
    os.sync()
    prelude = ""
    if code:  # an editable install's finder comes before sys.path: set it aside for the other checkout
        prelude = (
            "import sys; sys.meta_path[:] = [f for f in sys.meta_path "
            f"if not getattr(f, '__module__', '').startswith('__editable__')]; sys.path.insert(0, {str(code)!r})\n"
        )
    out = subprocess.run([sys.executable, "-c", prelude + _MEASURE.format(body=body), *args], capture_output=True,
                         text=True)  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bare_mkdocs_project(bare: Path, work: Path) -> Path:
    """The same posts (as they are at the tip) as plain Markdown pages of a Material site."""
    docs = work / "docs"
    (work / "checkout").mkdir()
    sh("git", "--git-dir", str(bare), "--work-tree", str(work / "checkout"), "checkout", "-f", "main", "--", "posts")
    shutil.copytree(work / "checkout" / "posts", docs / "posts")
    (docs / "index.md").write_text("# Home\n")
    config = work / "mkdocs.yml"
    config.write_text(
        "site_name: bare\ntheme:\n  name: material\n  font: false\nplugins:\n  - search\n"
        "nav:\n  - Home: index.md\nnot_in_nav: |\n  *\n"
    )
    return config


@contextlib.contextmanager
def checkout_of(rev: str) -> Iterator[Path]:
    """orgsite's code at `rev`, in a scratch folder."""
    other = Path(tempfile.mkdtemp(prefix="osbench-rev-"))
    try:
        archive = subprocess.run(["git", "archive", rev], cwd=HERE.parent, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(other)], input=archive, check=True)
        yield other
    finally:
        shutil.rmtree(other, ignore_errors=True)


def compare_warm(rev: str, sizes: list[int], runs: int) -> None:
    """Warm builds by this checkout and by orgsite at `rev`, interleaved, on the same communities."""
    with checkout_of(rev) as other:
        for posts in sizes:
            bare = community(posts)
            work = Path(tempfile.mkdtemp(prefix="osbench-"))
            try:
                times: dict[str, list[float]] = {"here": [], rev: []}
                for code, name in ((None, "here"), (other, rev)):  # warm each version's verdict cache
                    measure(ORGSITE, str(bare), str(work / name), "full", code=code)
                for n in range(runs):
                    order = [(None, "here"), (other, rev)] if n % 2 == 0 else [(other, rev), (None, "here")]
                    for code, name in order:
                        times[name].append(measure(ORGSITE, str(bare), str(work / name), "full", code=code)["seconds"])
                here, there = statistics.median(times["here"]), statistics.median(times[rev])
                print(f"{posts} posts, warm builds, medians of {runs}: this checkout {here:.1f} s, "
                      f"{rev} {there:.1f} s, ratio {here / there:.2f}x", flush=True)  # fmt: skip
            finally:
                shutil.rmtree(work, ignore_errors=True)


def bench_incremental(posts: int, runs: int, against: str | None = None) -> None:
    """After a full build, one post pushed at a time: the incremental build of the new tip against a full
    build of the same tip (or, with `against`, against the incremental build by orgsite at that commit),
    interleaved, in fresh processes."""
    work = Path(tempfile.mkdtemp(prefix="osbench-"))
    try:
        with checkout_of(against) if against else contextlib.nullcontext() as other:
            bare = work / "community.git"
            shutil.copytree(community(posts), bare)  # the cached community stays as it was generated
            shutil.rmtree(bare / "orgsite-cache", ignore_errors=True)  # the first build finds no verdicts
            first = measure(ORGSITE, str(bare), str(work / "site"), "full")
            print(f"{posts} posts: first full build, no cached verdicts: {first['seconds']:.1f} s, peak "
                  f"{first['peak_mib']:.0f} MiB", flush=True)  # fmt: skip
            other_kind = against or "full"
            # The other version builds from a repository of its own (the same commits): what one version
            # keeps in the repository's cache for its next build (the last walk, say) must not be moved
            # on by the other's build.
            theirs = work / "community-rev.git"
            if other:
                shutil.copytree(bare, theirs)  # (with the verdicts and diffs the first build cached)
                measure(ORGSITE, str(theirs), str(work / "site-rev"), "full", code=other)
            runs_of: dict[str, list[dict]] = {"incremental": [], other_kind: []}
            for n in range(runs):
                add_post(bare, n)
                if other:
                    sh("git", "--git-dir", str(theirs), "fetch", "-q", str(bare), "+refs/heads/main:refs/heads/main")
                for kind in ("incremental", other_kind) if n % 2 == 0 else (other_kind, "incremental"):
                    if kind == "incremental":
                        runs_of[kind].append(measure(ORGSITE, str(bare), str(work / "site")))
                    elif other:
                        runs_of[kind].append(measure(ORGSITE, str(theirs), str(work / "site-rev"), code=other))
                    else:
                        runs_of[kind].append(measure(ORGSITE, str(bare), str(work / "full"), "full"))
        inc, theirs = (statistics.median(r["seconds"] for r in runs_of[k]) for k in ("incremental", other_kind))
        peak = {k: max(r["peak_mib"] for r in v) for k, v in runs_of.items()}
        what = f"incremental build at {against}" if against else "full build"
        print(f"{posts} posts, one post pushed, medians of {runs}: incremental build {inc:.2f} s "
              f"(peak {peak['incremental']:.0f} MiB), {what} {theirs:.2f} s (peak {peak[other_kind]:.0f} MiB), "
              f"ratio {inc / theirs:.3f}x", flush=True)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--against", metavar="REV", help="also time warm builds by orgsite at REV, interleaved "
                        "(with --incremental: its incremental builds, in place of full builds)")
    parser.add_argument("--incremental", action="store_true", help="time one-post incremental builds instead")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    if args.incremental:
        keys(MEMBERS)  # the benches' keyring, for the pushed posts' signatures
        for posts in args.sizes:
            bench_incremental(posts, args.runs, args.against)
        return
    if args.against:
        compare_warm(args.against, args.sizes, args.runs)
        return
    results = {}
    for posts in args.sizes:
        bare = community(posts)
        commits = int(sh("git", "--git-dir", str(bare), "rev-list", "--count", "main"))
        work = Path(tempfile.mkdtemp(prefix="osbench-"))
        try:
            config = bare_mkdocs_project(bare, work)
            cold, warm, theirs = [], [], []
            for _ in range(args.runs):
                shutil.rmtree(bare / "orgsite-cache", ignore_errors=True)
                cold.append(measure(ORGSITE, str(bare), str(work / "site"), "full"))
                warm.append(measure(ORGSITE, str(bare), str(work / "site"), "full"))
                theirs.append(measure(MKDOCS, str(config)))
            r = results[posts] = {
                "commits": commits,
                "cold_s": statistics.median(x["seconds"] for x in cold),
                "warm_s": statistics.median(x["seconds"] for x in warm),
                "orgsite_mib": max(x["peak_mib"] for x in cold + warm),
                "forked_mib": max(x["children_peak_mib"] for x in cold + warm),
                "mkdocs_s": statistics.median(x["seconds"] for x in theirs),
                "mkdocs_mib": max(x["peak_mib"] for x in theirs),
            }
            print(
                f"{posts} posts, {commits} commits: orgsite build {r['cold_s']:.1f} s cold (no cached verdicts), "
                f"{r['warm_s']:.1f} s warm, peak {r['orgsite_mib']:.0f} MiB (its child, the forked copy, "
                f"{r['forked_mib']:.0f} MiB) | bare mkdocs {r['mkdocs_s']:.1f} s, "
                f"peak {r['mkdocs_mib']:.0f} MiB | ratio cold {r['cold_s'] / r['mkdocs_s']:.2f}x, "
                f"warm {r['warm_s'] / r['mkdocs_s']:.2f}x",
                flush=True,
            )
            if args.profile:
                shutil.rmtree(bare / "orgsite-cache", ignore_errors=True)
                subprocess.run([sys.executable, "-m", "cProfile", "-s", "cumtime", "-c",
                                "from pathlib import Path; from orgsite.site.build import build_site; "
                                f"build_site(Path('{bare}'), Path('{work / 'site'}'))"], check=False)  # fmt: skip
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if len(results) == 2:
        small, large = (results[k] for k in sorted(results))
        print(
            f"growth {min(results)} -> {max(results)} posts: orgsite cold {large['cold_s'] / small['cold_s']:.2f}x, "
            f"warm {large['warm_s'] / small['warm_s']:.2f}x, bare mkdocs {large['mkdocs_s'] / small['mkdocs_s']:.2f}x"
        )
    subprocess.run(["gpgconf", "--homedir", str(DATA / "gnupg"), "--kill", "all"], capture_output=True, check=False)


if __name__ == "__main__":
    main()
