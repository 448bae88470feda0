"""What a build keeps of the history for the next: the commits come back in order whatever the builds
between, a build that read a few new commits writes those alone (not the fifty thousand before them),
and what is missing or was kept by other code is never taken."""

from __future__ import annotations

from orgsite.model import Problem, Rule, Verdict
from orgsite.provenance import Lineage
from orgsite.repo import CommitMeta, CommunityRepo
from orgsite.site import kept_history
from tests.people import run


def commit_row(n: int) -> tuple:
    commit = f"{n:040x}"
    problems = (Problem(Rule.SIGNATURE, "not signed", commit),) if n % 7 == 0 else ()
    verdict = Verdict(commit, "F" * 40, f"member{n % 3}", 1_800_000_000 + n, None, problems)
    meta = CommitMeta(f"Member {n % 3}", "m@example.org", 1_800_000_000 + n, 1_800_000_000 + n, f"Post {n}")
    files = [(f"posts/member{n % 3}/post-{n}.md", "A", f"{n:040x}"[::-1], 0, None, True)]
    return kept_history.row_of(commit, (f"{n - 1:040x}",), meta, files, verdict, f"digest {n}")


def kept_files(repo: CommunityRepo) -> dict[str, int]:
    return {path.name: path.stat().st_ino for path in repo.cache_dir.glob("last-read-history.run-*")}


def test_builds_of_one_new_commit_write_that_commit_alone_and_keep_few_files(tmp_path):
    run("git", "init", "-q", "--bare", str(tmp_path / "community.git"))
    repo = CommunityRepo(tmp_path / "community.git")
    rows = [commit_row(n) for n in range(1000)]
    lineages = {"posts/member1/post-1.md": Lineage("b" * 40, (f"{1:040x}",))}
    kept_history.keep(repo, "context", rows, rows[-1][0], lineages, kept_history.Kept())
    (first,) = kept_files(repo).items()
    written = 0
    for n in range(1000, 1200):  # two hundred pushes of one commit each
        last = kept_history.kept(repo, "context")
        assert last.rows == rows and last.tip == rows[-1][0] and last.lineages == lineages
        before = kept_files(repo)
        rows = [*rows, commit_row(n)]
        kept_history.keep(repo, "context", rows, rows[-1][0], lineages, last)
        after = kept_files(repo)
        assert all(before[name] == inode for name, inode in after.items() if name in before)  # never rewritten
        written += sum(count for name, count in kept_history.kept(repo, "context").runs if name not in before)
        assert first in after.items()  # the thousand commits of the first build are never written again
    assert kept_history.kept(repo, "context").rows == rows
    assert written < 200 * 10  # each new commit written again at most a few times, as runs are merged
    assert len(kept_files(repo)) <= 9


def test_a_lost_file_or_another_context_keeps_nothing(tmp_path):
    run("git", "init", "-q", "--bare", str(tmp_path / "community.git"))
    repo = CommunityRepo(tmp_path / "community.git")
    rows = [commit_row(n) for n in range(10)]
    kept_history.keep(repo, "context", rows, rows[-1][0], {}, kept_history.Kept())
    rows.append(commit_row(10))
    kept_history.keep(repo, "context", rows, rows[-1][0], {}, kept_history.kept(repo, "context"))
    assert kept_history.kept(repo, "context").rows == rows
    assert kept_history.kept(repo, "other code or rules") == kept_history.Kept()
    (repo.cache_dir / min(kept_files(repo))).unlink()
    assert kept_history.kept(repo, "context") == kept_history.Kept()
    rows.append(commit_row(11))  # the next build reads everything again and keeps it whole
    kept_history.keep(repo, "context", rows, rows[-1][0], {}, kept_history.kept(repo, "context"))
    assert kept_history.kept(repo, "context").rows == rows and len(kept_files(repo)) == 1
