"""What hostile input costs the server, measured side by side in one run (run by hand:
python bench/hostile_cost.py).

1. Hostile pushes, each refused by the pre-receive hook: the time `git push` takes and how many
   bytes the pusher gets back, next to an ordinary one-post push (medians of --runs, interleaved).
2. The heaviest push the default limits accept (2 MiB of posts, 256 KiB each, plus 90 attachments
   of 1 MiB: 92 MiB), and the next `orgsite build` after it (time and peak memory, fresh process,
   warm verdict cache as on a server), next to the build after an ordinary one-post push.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from build_cost import ORGSITE, keys, measure, workspace
from hook_cost import DATA, community_with_members, sh

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def write(clone: Path, path: str, data: str | bytes) -> None:
    target = clone / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode() if isinstance(data, str) else data)


def commit(clone: Path, message: str, *, sign: bool = True) -> None:
    sh("git", "add", "-A", cwd=clone)
    sh("git", "commit", "-q", "-S" if sign else "--no-gpg-sign", "-m", message, cwd=clone)


def ordinary(clone: Path) -> None:
    write(clone, f"posts/p1/ordinary-{time.time_ns()}.md", "---\ntitle: Hello\n---\nHi all.\n")
    commit(clone, "an ordinary post")


def laughs(*, sign: bool) -> Callable[[Path], None]:
    def make(clone: Path) -> None:
        write(clone, "posts/p1/lol.md", f"---\ntitle: Laughs\n{BILLION_LAUGHS}date: *i\n---\nhi\n")
        commit(clone, "lol", sign=sign)

    return make


def many_files(clone: Path) -> None:
    for n in range(20_000):
        write(clone, f"posts/p1/tiny-{n}.md", f"---\ntitle: T{n}\n---\n")
    commit(clone, "20,000 posts")


def one_blob_many_paths(clone: Path) -> None:
    body = "---\ntitle: Big\n---\n" + "x" * (1024 * 1024 - 40) + "\n"
    for n in range(120):
        write(clone, f"posts/p1/copy-{n}.md", body)
    commit(clone, "one MiB under 120 names")


def deep_nesting(clone: Path) -> None:
    write(clone, "posts/p1/deep.md", "---\ntitle: Deep\n---\n" + "".join("  " * d + "- x\n" for d in range(300)))
    commit(clone, "deep")


def ancient_date(clone: Path) -> None:
    write(clone, "posts/p1/old.md", "---\ntitle: Old\ndate: 0001-01-01T00:00:00+14:00\n---\n")
    commit(clone, "old")


HOSTILE = {
    "ordinary one-post push (accepted)": ordinary,
    "billion laughs, unsigned": laughs(sign=False),
    "billion laughs, signed by a member": laughs(sign=True),
    "20,000 files in one commit": many_files,
    "one 1 MiB post under 120 paths": one_blob_many_paths,
    "list nested 300 levels": deep_nesting,
    "date 0001-01-01T00:00:00+14:00": ancient_date,
}


def push_cost(member: Path, make: Callable[[Path], None]) -> tuple[float, int, str]:
    """Make the commit(s), push, and return (seconds, bytes printed, first refusal line); then undo."""
    base = sh("git", "rev-parse", "origin/main", cwd=member)
    make(member)
    start = time.perf_counter()
    out = subprocess.run(["git", "push", "origin", "main"], cwd=member, capture_output=True)
    seconds = time.perf_counter() - start
    said = (out.stderr + out.stdout).decode(errors="replace")
    line = next((x for x in said.splitlines() if "orgsite:" in x), "(accepted)" if out.returncode == 0 else said[:80])
    if out.returncode != 0:
        sh("git", "reset", "-q", "--hard", base, cwd=member)
    else:
        sh("git", "fetch", "-q", cwd=member)
    return seconds, len(said.encode()), line.replace("remote: ", "")


def heaviest_push(member: Path) -> None:
    for n in range(8):
        write(member, f"posts/p1/long-{n}.md", f"---\ntitle: Long {n}\n---\n" + f"word{n} " * 36_000 + "\n")
    for n in range(90):
        write(member, f"posts/p1/photo-{n}.png", os.urandom(1024 * 1024 - 1024))
    commit(member, "the heaviest push the default limits accept")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    fprs = keys(2)  # sets GNUPGHOME to the benches' own keyring
    with workspace() as work:
        bare, _, member = community_with_members(work / "c", fprs)
        results: dict[str, list[tuple[float, int, str]]] = {name: [] for name in HOSTILE}
        for run in range(args.runs):
            names = list(HOSTILE) if run % 2 == 0 else list(reversed(HOSTILE))
            for name in names:
                results[name].append(push_cost(member, HOSTILE[name]))
        print(f"pushes, medians of {args.runs} (interleaved): time of `git push`, bytes the pusher got back")
        for name, rows in results.items():
            seconds = statistics.median(r[0] for r in rows)
            printed = statistics.median(r[1] for r in rows)
            print(f"  {name:38} {seconds * 1000:7.0f} ms {printed:6.0f} B  {rows[0][2][:110]}")

        site = work / "site"
        measure(ORGSITE, str(bare), str(site))  # warm the verdict cache, as the server's hook has
        ordinary(member)
        push_cost(member, lambda clone: None)
        after_ordinary = measure(ORGSITE, str(bare), str(site))
        heaviest_push(member)
        seconds, _, line = push_cost(member, lambda clone: None)
        print(f"heaviest accepted push (92 MiB: 2 MiB of posts, 90 MiB of pictures): {seconds:.1f} s, {line}")
        after_heaviest = measure(ORGSITE, str(bare), str(site))
        size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) / 2**20
        print(
            f"next build: after an ordinary push {after_ordinary['seconds']:.1f} s, "
            f"peak {after_ordinary['peak_mib']:.0f} MiB | after the heaviest {after_heaviest['seconds']:.1f} s, "
            f"peak {after_heaviest['peak_mib']:.0f} MiB, site {size:.0f} MiB | ratio "
            f"{after_heaviest['seconds'] / after_ordinary['seconds']:.2f}x time, "
            f"{after_heaviest['peak_mib'] / after_ordinary['peak_mib']:.2f}x memory"
        )


if __name__ == "__main__":
    main()
