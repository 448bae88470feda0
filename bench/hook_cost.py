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


_OLD_PYTHON = """#!/bin/sh
# The interpreter the hooks of orgsite at another commit run: its checkout before the editable install.
shift 2  # -P -m
module=$1; shift
exec {python} -P -c "import runpy, sys; sys.meta_path[:] = [f for f in sys.meta_path \\
if not getattr(f, '__module__', '').startswith('__editable__')]; sys.path.insert(0, '{code}'); \\
sys.argv[1:] = sys.argv[1:]; runpy.run_module('$module', run_name='__main__', alter_sys=True)" "$@"
"""


def hooked_by(code: Path, bare: Path, root: Path) -> Path:
    """A copy of the hooked repository `bare` whose hooks are those of the orgsite checkout `code`."""
    twin = root / f"{code.name}.git"
    shutil.copytree(bare, twin)
    python = python_for(code, root)
    for hook in (code / "hooks").iterdir():
        (twin / "hooks" / hook.name).write_text(hook.read_text().replace("@PYTHON@", str(python)))
    for hook in twin.glob("hooks/*"):
        if not (code / "hooks" / hook.name).exists() and not hook.name.endswith(".sample"):
            hook.unlink()
    return twin


def bench_push(root: Path, fprs: list[str], runs: int, against: Path | None = None) -> dict[str, float]:
    bare, plain, member = community_with_members(root, fprs)
    times: dict[str, list[float]] = {"origin": [], "plain": []}
    if against:
        sh("git", "remote", "add", "against", str(hooked_by(against, bare, root)), cwd=member)
        times["against"] = []
    for i in range(runs + 1):
        post = member / "posts/p1" / f"post-{i}.md"
        post.parent.mkdir(parents=True, exist_ok=True)
        post.write_text(f"---\ntitle: Post {i}\n---\nHello {i}\n")
        sh("git", "add", "-A", cwd=member)
        sh("git", "commit", "-q", "-S", "-m", f"post {i}", cwd=member)
        remotes = list(times)
        for remote in remotes if i % 2 == 0 else reversed(remotes):
            times[remote].append(timed("git", "push", "-q", remote, "main", cwd=member))
    # The first push after a membership change builds the keyring cache: reported apart.
    medians = {remote: statistics.median(pushes[1:]) for remote, pushes in times.items()}
    return {"hooked": medians["origin"], "plain": medians["plain"], "against": medians.get("against", 0.0),
            "cold": times["origin"][0]}  # fmt: skip


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


def python_for(code: Path, root: Path) -> Path:
    """An interpreter that runs `python -P -m MODULE …` with orgsite from the checkout `code`."""
    python = root / f"python-{code.name}"
    python.write_text(_OLD_PYTHON.format(python=sys.executable, code=code))
    python.chmod(0o755)
    return python


def bench_verify(repo: Path, runs: int, against: Path | None = None) -> dict[str, float]:
    loop = "for c in $(git rev-list HEAD); do git verify-commit $c 2>/dev/null || exit 1; done"
    cache = repo / ".git" / "orgsite-cache"
    times: dict[str, list[float]] = {"git": [], "cold": [], "warm": [], "against": []}
    for _ in range(runs):
        times["git"].append(timed("sh", "-c", loop, cwd=repo))
        shutil.rmtree(cache, ignore_errors=True)
        times["cold"].append(timed(sys.executable, "-P", "-m", "orgsite", "verify", str(repo)))
        times["warm"].append(timed(sys.executable, "-P", "-m", "orgsite", "verify", str(repo)))
        if against:
            shutil.rmtree(cache, ignore_errors=True)
            times["against"].append(timed(str(python_for(against, against.parent)), "-P", "-m", "orgsite", "verify",
                                          str(repo)))  # fmt: skip
    return {name: statistics.median(t) if t else 0.0 for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--only", choices=("push", "verify"), help="run one of the two benches")
    parser.add_argument("--against", metavar="REV", help="also push through the hooks of orgsite at REV, interleaved")
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
        if args.only != "verify":
            print(f"push, medians of {args.runs} one-commit pushes, interleaved:")
        against = None
        if args.against:
            against = work / args.against.replace("/", "-")
            against.mkdir()
            archive = subprocess.run(["git", "archive", args.against], cwd=HERE.parent, capture_output=True,
                                     check=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(against)], input=archive, check=True)
        for members in (5, 100) if args.only != "verify" else ():
            r = bench_push(work / f"m{members}", fprs[:members], args.runs, against)
            print(
                f"  {members:>3} members: hook {r['hooked'] * 1000:6.1f} ms  plain {r['plain'] * 1000:6.1f} ms  "
                f"ratio {r['hooked'] / r['plain']:.2f}x   (first push, building the keyring: {r['cold'] * 1000:.0f} ms)"
            )
            if against:
                mine, theirs = r["hooked"] - r["plain"], r["against"] - r["plain"]
                print(f"       hook at {args.against}: {r['against'] * 1000:6.1f} ms; the hook's own cost "
                      f"{mine * 1000:.0f} ms here vs {theirs * 1000:.0f} ms there: {mine / theirs:.2f}x")  # fmt: skip
        if args.only == "push":
            return
        repo = history(fprs, args.commits)
        r = bench_verify(repo, max(3, args.runs // 2), against)
        print(f"verify, {args.commits} commits, medians of {max(3, args.runs // 2)}:")
        print(f"  git verify-commit loop {r['git']:.2f} s ({args.commits / r['git']:.0f} commits/s)")
        print(f"  orgsite verify cold    {r['cold']:.2f} s  ratio {r['cold'] / r['git']:.2f}x")
        print(f"  orgsite verify warm    {r['warm']:.2f} s  ratio {r['warm'] / r['git']:.2f}x (verdicts cached)")
        if against:
            old = r["against"]
            print(f"  orgsite verify cold at {args.against}: {old:.2f} s  ratio {old / r['git']:.2f}x")
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
