"""What following a neighbour costs (run by hand: python bench/follow_cost.py).

A neighbour of 1,000 signed commits (bench/data, shared with build_cost.py). Side by side, in
interleaved runs: `orgsite follow sync` from scratch (fetch into a new store, audit every commit
from the pinned introduction) against `git clone --bare` + `orgsite verify` of the same neighbour,
both with cold verdict caches; medians. Then one new post on the neighbour and the sync that picks
it up (the fetch of one commit and the audit of one commit).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_cost import community, keys, workspace  # noqa: E402
from hook_cost import configure, sh  # noqa: E402


def orgsite(*args: str, cwd: Path | None = None) -> str:
    return sh(sys.executable, "-m", "orgsite", *args, cwd=cwd)


def timed(*commands: list[str]) -> float:
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    fprs = keys(20)
    neighbour_source = community(200)  # 200 posts, about 1,000 commits
    with workspace() as work:
        neighbour = work / "neighbour.git"
        shutil.copytree(neighbour_source, neighbour)
        shutil.rmtree(neighbour / "orgsite-cache", ignore_errors=True)
        intro = sh("git", "rev-list", "--max-parents=0", "main", cwd=neighbour)
        commits = int(sh("git", "rev-list", "--count", "main", cwd=neighbour))
        follower = work / "follower.git"
        orgsite("init", str(follower), "--community", "Follower", "--handle", "p0", "--key", fprs[0])
        clone = work / "follower"
        sh("git", "clone", "-q", str(follower), str(clone))
        configure(clone, 0, fprs[0])
        orgsite("follow", "add", "bench", f"file://{neighbour}", "--introduction", intro, "--introducer", fprs[0],
                "--push", cwd=clone)  # fmt: skip
        store = work / "follower.neighbours"
        sync_times, clone_verify_times = [], []
        for run in range(args.runs):
            shutil.rmtree(store, ignore_errors=True)
            sync_times.append(timed([sys.executable, "-m", "orgsite", "follow", "sync", str(follower)]))
            copy = work / f"copy{run}.git"
            clone_verify_times.append(timed(["git", "clone", "-q", "--bare", str(neighbour), str(copy)],
                                            [sys.executable, "-m", "orgsite", "verify", str(copy),
                                             "--introduction", intro]))  # fmt: skip
            shutil.rmtree(copy)
        member = work / "member"
        sh("git", "clone", "-q", str(neighbour), str(member))
        configure(member, 1, fprs[1])
        (member / "posts" / "p1").mkdir(parents=True, exist_ok=True)
        (member / "posts" / "p1" / "one-more.md").write_text("---\ntitle: One more\n---\nHello.\n")
        sh("git", "add", "-A", cwd=member)
        sh("git", "commit", "-q", "-S", "-m", "One more", cwd=member)
        sh("git", "push", "-q", cwd=member)
        one = timed([sys.executable, "-m", "orgsite", "follow", "sync", str(follower)])
        state = orgsite("follow", "list", str(follower))
    sync, baseline = statistics.median(sync_times), statistics.median(clone_verify_times)
    print(f"neighbour: {commits} commits; medians of {args.runs} interleaved runs, cold caches")
    print(f"follow sync from scratch {sync:.1f} s; git clone --bare + orgsite verify {baseline:.1f} s "
          f"({sync / baseline:.2f}x)")
    print(f"one new post, then sync: {one:.2f} s ({state})")


if __name__ == "__main__":
    main()
