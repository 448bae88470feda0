"""Everyone posting at once (run by hand: python bench/push_load.py).

M members each run `orgsite post` P times in a row, all members at the same moment, against a
community whose server runs the orgsite hooks (pre-receive and the post-receive rebuild), and
against the same community with the pre-receive hook removed (the site still rebuilt), side by
side: posts landed, retries (members told "someone posted at the same moment"), time until the last
push, and time until the site shows every post.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from build_cost import keys, workspace
from hook_cost import DATA, community_with_members, configure, sh


def clones(bare: Path, root: Path, fprs: list[str]) -> list[tuple[str, Path]]:
    """A clone per member p1…pM, each signing with its own key."""
    made = []
    for n, fpr in enumerate(fprs[1:], start=1):
        clone = root / f"p{n}"
        sh("git", "clone", "-q", str(bare), str(clone))
        configure(clone, n, fpr)
        made.append((f"p{n}", clone))
    return made


def run_load(bare: Path, members: list[tuple[str, Path]], posts: int, site: Path) -> dict[str, float]:
    loop = (
        f"for n in $(seq {posts}); do echo 'Hello from the holiday.' | "
        f'{sys.executable} -m orgsite post "Day $n of $0" --file - || exit 1; done'
    )
    start = time.perf_counter()
    running = [subprocess.Popen(["sh", "-c", loop, handle], cwd=clone, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True) for handle, clone in members]  # fmt: skip
    errors = [p.communicate()[1] for p in running]
    pushed = time.perf_counter() - start
    for handle_clone, process, said in zip(members, running, errors, strict=True):
        if process.returncode:
            reason = next((line for line in said.splitlines() if line.startswith("error: ")), said[-200:])
            print(f"  {handle_clone[0]} stopped: {reason}", flush=True)
    listed = sh("git", "--git-dir", str(bare), "ls-tree", "-r", "--name-only", "main", "posts/").split()
    expected = [site / f"{path.removesuffix('.md')}/index.html" for path in listed]
    deadline = time.monotonic() + 300
    while not all(page.exists() for page in expected) and time.monotonic() < deadline:
        time.sleep(0.2)
    shown = time.perf_counter() - start
    return {
        "landed": len(listed),
        "failed members": sum(1 for p in running if p.returncode),
        "retries": sum(e.count("someone posted at the same moment; retrying") for e in errors),
        "last push s": pushed,
        "site shows all s": shown if all(page.exists() for page in expected) else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", nargs="+", default=["8x5", "20x5"], help="MEMBERSxPOSTS, e.g. 8x5")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    loads = [tuple(map(int, load.split("x"))) for load in args.loads]
    fprs = keys(max(members for members, _ in loads) + 1)  # sets GNUPGHOME to the benches' own keyring
    with workspace() as work:
        for members, posts in loads:
            root = work / f"{members}x{posts}"
            hooked, plain, _ = community_with_members(root / "c", fprs[: members + 1])
            for bare in (hooked, plain):
                sh(sys.executable, "-m", "orgsite", "site", "enable", str(bare.parent / f"site-{bare.stem}"),
                   "--repo", str(bare))  # fmt: skip
            results = {}
            for bare in (plain, hooked):  # the hook-less run first: its numbers are the floor
                results[bare.stem] = run_load(
                    bare, clones(bare, root / bare.stem, fprs[: members + 1]), posts, bare.parent / f"site-{bare.stem}"
                )
            print(f"{members} members x {posts} posts at once ({members * posts} posts):")
            for key in results["hooked"]:
                with_hook, without = results["hooked"][key], results["plain"][key]
                ratio = f"  ratio {with_hook / without:.2f}x" if key.endswith(" s") and without else ""
                print(f"  {key:18} with the hook {with_hook:8.1f}   without {without:8.1f}{ratio}")


if __name__ == "__main__":
    main()
