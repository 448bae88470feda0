"""Where a full build's time goes, by phase, here and at another commit (run by hand:
python bench/build_phases.py --against REV [--sizes 1000]). Warm verdict cache; fresh process each;
medians of --runs. Phases: reading the history (verdicts, diffs, posts), rendering the pages
(Jinja), and the whole build (the rest is MkDocs, writing and the manifest)."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_cost import community, measure  # noqa: E402 (bench scripts share their helpers)

PHASES = """
import inspect
from pathlib import Path
from orgsite.repo import CommunityRepo
from orgsite.snapshot import Snapshots
from orgsite.site.history import read_history
from orgsite.site import pages as p
from orgsite.site.build import build_site
repo = CommunityRepo(Path(sys.argv[1]))
t0 = time.perf_counter()
history = read_history(repo, Snapshots(repo).branch())
t1 = time.perf_counter()
made = p.site_pages(history)[0]
made = p.rendered(made) if hasattr(p, "rendered") else made
t2 = time.perf_counter()
full = {"full": True} if "full" in inspect.signature(build_site).parameters else {}
build_site(Path(sys.argv[1]), Path(sys.argv[2]), **full)
t3 = time.perf_counter()
Path(sys.argv[3]).write_text(json.dumps({"history": t1 - t0, "pages": t2 - t1, "build": t3 - t2}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REV", required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    other = Path(tempfile.mkdtemp(prefix="osbench-rev-"))
    try:
        archive = subprocess.run(["git", "archive", args.against], cwd=HERE.parent, capture_output=True,
                                 check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(other)], input=archive, check=True)
        for posts in args.sizes:
            bare = community(posts)
            work = Path(tempfile.mkdtemp(prefix="osbench-"))
            try:
                results: dict[str, list[dict]] = {"here": [], args.against: []}
                for n in range(args.runs + 1):  # the first round warms both versions' caches
                    order = [(None, "here"), (other, args.against)]
                    for code, name in order if n % 2 == 0 else reversed(order):
                        phases = work / "phases.json"
                        peak = measure(PHASES, str(bare), str(work / name), str(phases), code=code)["peak_mib"]
                        if n:
                            results[name].append({**json.loads(phases.read_text()), "peak_mib": peak})
                for name, rows in results.items():
                    phases = {k: statistics.median(r[k] for r in rows) for k in ("history", "pages", "build")}
                    peak = max(r["peak_mib"] for r in rows)
                    print(f"{posts} posts, {name}: reading the history {phases['history']:.2f} s, rendering the "
                          f"pages {phases['pages']:.2f} s, full build {phases['build']:.2f} s; peak {peak:.0f} MiB "
                          f"(medians of {args.runs})", flush=True)  # fmt: skip
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(other, ignore_errors=True)


if __name__ == "__main__":
    main()
