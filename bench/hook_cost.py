"""What the trust core costs, measured side by side in one run (run by hand: python bench/hook_cost.py).

1. A one-commit push through the orgsite pre-receive hook vs the same commit pushed to a bare
   repository without hooks, at 5 and at 100 members (medians of --runs pushes, interleaved).
2. `orgsite verify` over a 1,000-commit history (cold: verdict cache removed; and warm) vs a shell
   loop of `git verify-commit` over the same commits (which checks no authorization at all).

The 1,000-commit history is generated once (signed, real gpg) and kept under bench/data/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def sh(*args: str, cwd: Path | None = None, input: bytes | None = None) -> str:
    return subprocess.run(args, cwd=cwd, input=input, capture_output=True, check=True).stdout.decode().strip()


def timed(*args: str, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - start


def make_key(n: int) -> str:
    params = f"%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nName-Real: Person {n}\n"
    params += f"Name-Email: p{n}@example.org\nExpire-Date: 0\n%commit\n"
    sh("gpg", "--batch", "--gen-key", input=params.encode())
    listing = sh("gpg", "--with-colons", "--list-keys", f"<p{n}@example.org>")
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def configure(clone: Path, n: int, fpr: str) -> None:
    for key, value in (("user.name", f"Person {n}"), ("user.email", f"p{n}@example.org"), ("user.signingkey", fpr)):
        sh("git", "config", key, value, cwd=clone)


def community_with_members(root: Path, fprs: list[str]) -> tuple[Path, Path, Path]:
    """A hooked bare repo whose allowlist lists len(fprs) people, a member's clone, and a hook-less twin."""
    root.mkdir(parents=True)
    bare = root / "hooked.git"
    sh(sys.executable, "-m", "orgsite", "init", str(bare), "--community", "Bench", "--handle", "p0", "--key", fprs[0])
    op = root / "op"
    sh("git", "clone", "-q", str(bare), str(op))
    configure(op, 0, fprs[0])
    entries = [(op / "members/allowlist.toml").read_text()]
    for n, fpr in enumerate(fprs[1:], start=1):
        (op / f"members/keys/p{n}.asc").write_bytes(
            subprocess.run(["gpg", "--armor", "--export", fpr], capture_output=True, check=True).stdout
        )
        entries.append(
            f'[[member]]\nhandle = "p{n}"\nname = "Person {n}"\nemail = "p{n}@example.org"\n'
            f'role = "member"\nfingerprints = ["{fpr}"]\n'
        )
    (op / "members/allowlist.toml").write_text("\n".join(entries))
    sh("git", "add", "-A", cwd=op)
    sh("git", "commit", "-q", "-S", "-m", "members", cwd=op)
    sh("git", "push", "-q", cwd=op)
    plain = root / "plain.git"
    sh("git", "clone", "-q", "--bare", str(bare), str(plain))  # a clone copies no hooks
    member = root / "member"
    sh("git", "clone", "-q", str(bare), str(member))
    configure(member, 1, fprs[1])
    sh("git", "remote", "add", "plain", str(plain), cwd=member)
    return bare, plain, member


def bench_push(root: Path, fprs: list[str], runs: int) -> dict[str, float]:
    bare, plain, member = community_with_members(root, fprs)
    times: dict[str, list[float]] = {"origin": [], "plain": []}
    for i in range(runs + 1):
        post = member / "posts/p1" / f"post-{i}.md"
        post.parent.mkdir(parents=True, exist_ok=True)
        post.write_text(f"---\ntitle: Post {i}\n---\nHello {i}\n")
        sh("git", "add", "-A", cwd=member)
        sh("git", "commit", "-q", "-S", "-m", f"post {i}", cwd=member)
        for remote in ("origin", "plain") if i % 2 == 0 else ("plain", "origin"):
            times[remote].append(timed("git", "push", "-q", remote, "main", cwd=member))
    # The first push after a membership change builds the keyring cache: reported apart.
    return {
        "hooked": statistics.median(times["origin"][1:]),
        "plain": statistics.median(times["plain"][1:]),
        "cold": times["origin"][0],
    }


def history(fprs: list[str], commits: int) -> Path:
    """A clone with `commits` signed commits (cached under bench/data/)."""
    repo = DATA / f"history-{commits}"
    if (repo / ".done").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    root = Path(tempfile.mkdtemp(prefix="osbench-"))
    bare = root / "h.git"
    sh(sys.executable, "-m", "orgsite", "init", str(bare), "--community", "History", "--handle", "p0", "--key", fprs[0])
    sh("git", "clone", "-q", str(bare), str(repo))
    configure(repo, 0, fprs[0])
    sh("git", "config", "orgsite.introduction", sh("git", "rev-parse", "HEAD", cwd=repo), cwd=repo)
    (repo / "posts/p0").mkdir(parents=True)
    for i in range(commits - 1):
        (repo / f"posts/p0/post-{i}.md").write_text(f"---\ntitle: Post {i}\n---\nHello {i}\n")
        sh("git", "add", "-A", cwd=repo)
        sh("git", "commit", "-q", "-S", "-m", f"post {i}", cwd=repo)
    (repo / ".done").write_text("")
    shutil.rmtree(root)
    return repo


def bench_verify(repo: Path, runs: int) -> dict[str, float]:
    loop = "for c in $(git rev-list HEAD); do git verify-commit $c 2>/dev/null || exit 1; done"
    cache = repo / ".git" / "orgsite-cache"
    git_times, cold_times, warm_times = [], [], []
    for _ in range(runs):
        git_times.append(timed("sh", "-c", loop, cwd=repo))
        shutil.rmtree(cache, ignore_errors=True)
        cold_times.append(timed(sys.executable, "-m", "orgsite", "verify", str(repo)))
        warm_times.append(timed(sys.executable, "-m", "orgsite", "verify", str(repo)))
    return {
        "git": statistics.median(git_times),
        "cold": statistics.median(cold_times),
        "warm": statistics.median(warm_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--commits", type=int, default=1000)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    home = DATA / "gnupg"  # kept with the cached history, whose signatures need these keys
    home.mkdir(mode=0o700, exist_ok=True)
    os.environ["GNUPGHOME"] = str(home)
    work = Path(tempfile.mkdtemp(prefix="osbench-"))
    try:
        known = sh("gpg", "--with-colons", "--list-keys") if any(home.iterdir()) else ""
        fprs = [line.split(":")[9] for line in known.splitlines() if line.startswith("fpr:")]
        for n in range(len(fprs), 100):
            fprs.append(make_key(n))
        print(f"push, medians of {args.runs} one-commit pushes, interleaved:")
        for members in (5, 100):
            r = bench_push(work / f"m{members}", fprs[:members], args.runs)
            print(
                f"  {members:>3} members: hook {r['hooked'] * 1000:6.1f} ms  plain {r['plain'] * 1000:6.1f} ms  "
                f"ratio {r['hooked'] / r['plain']:.2f}x   (first push, building the keyring: {r['cold'] * 1000:.0f} ms)"
            )
        repo = history(fprs, args.commits)
        r = bench_verify(repo, max(3, args.runs // 2))
        print(f"verify, {args.commits} commits, medians of {max(3, args.runs // 2)}:")
        print(f"  git verify-commit loop {r['git']:.2f} s ({args.commits / r['git']:.0f} commits/s)")
        print(f"  orgsite verify cold    {r['cold']:.2f} s  ratio {r['cold'] / r['git']:.2f}x")
        print(f"  orgsite verify warm    {r['warm']:.2f} s  ratio {r['warm'] / r['git']:.2f}x (verdicts cached)")
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
