"""Benchmark: post a prepared markdown file as a PR comment through `python entrypoint.py` against the fake GitHub.

Prints the median wall time (target <= 0.25 s on a 2-core machine), the API calls of each scenario (target: one
write per report, ceil(comments / 100) reads for the sticky search, one more after a create) and whether the
GitHub path imported python-gitlab, DVC or vl-convert (it must not).

Run: .venv/bin/python benchmarks/bench_github.py [--runs 9]
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e import payloads  # noqa: E402
from tests.e2e.github_support import BOT, calls, runner_env  # noqa: E402
from tests.fakes.github import FakeGitHub  # noqa: E402
from tests.gitutil import commit_files, init_repo  # noqa: E402

FORBIDDEN = ("gitlab", "dvc", "vl_convert", "github")  # github: PyGithub (requests is the shared HTTP stack)


def make_workspace(folder: Path) -> tuple[Path, str, str]:
    repo = init_repo(folder / "ws")
    base = commit_files(repo, {"report.md": "v0\n"})
    head = commit_files(repo, {"report.md": "## Training\n\nAccuracy went **up**.\n" + "| a | b |\n|---|---|\n" * 20})
    return repo, base, head


def environment(
    gh: FakeGitHub, repo: Path, base: str, head: str, number: int, run: int, **inputs: str
) -> dict[str, str]:
    folder = repo.parent / f"run-{run}"
    folder.mkdir(exist_ok=True)
    event = payloads.with_commits("pull_request_opened", head=head, base=base, number=number, repo=gh.repo)
    event_path = payloads.write(folder / "event.json", event)
    env = runner_env(gh, head=head, event="pull_request", event_path=event_path, workspace=repo, runner=folder,
                     run_id=str(run))  # fmt: skip
    env |= {"INPUT_REPORT": "report.md", "INPUT_FETCH-BASELINE": "false"}
    env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
    return env


def run_entrypoint(env: dict[str, str], cwd: Path, *extra: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *extra, str(ROOT / "entrypoint.py")], cwd=cwd, env=env,
                          capture_output=True, text=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"entrypoint failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, done


def median_seconds(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def scenario(name: str, gh: FakeGitHub) -> None:
    sequence = calls(gh)
    writes = [c for c in sequence if not c.startswith("GET")]
    print(f"  {name:<44} {len(sequence):>2} calls, {len(writes)} write(s): {', '.join(sequence)}")
    gh.clear_requests()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cml-bench-") as tmp, FakeGitHub() as gh:
        repo, base, head = make_workspace(Path(tmp))
        gh.register_commit(gh.repo, base)
        gh.register_commit(gh.repo, head, parents=[base])
        number = gh.add_pull(gh.repo, head_sha=head, base_sha=base)

        times = []
        for run in range(1, args.runs + 1):
            elapsed, _ = run_entrypoint(environment(gh, repo, base, head, number, run), repo)
            times.append(elapsed)
        print(f"PR comment through entrypoint.py: median {statistics.median(times):.3f} s over {args.runs} runs "
              f"(min {min(times):.3f}, max {max(times):.3f}; target <= 0.25 s)")  # fmt: skip

        floor = median_seconds("pass", args.runs)
        pygithub = median_seconds("import github", args.runs)
        print(f"  for scale: bare interpreter {floor:.3f} s; interpreter + 'import github' (PyGithub) {pygithub:.3f} s")

        print("API calls per scenario:")
        gh.clear_requests()
        other = gh.add_pull(gh.repo, head_sha=head, base_sha=base)
        run_entrypoint(environment(gh, repo, base, head, other, 100), repo)
        scenario("first run (no comment yet)", gh)
        run_entrypoint(environment(gh, repo, base, head, other, 101), repo)
        scenario("rerun (sticky update)", gh)
        crowded = gh.add_pull(gh.repo, head_sha=head, base_sha=base)
        for index in range(250):
            gh.add_issue_comment(gh.repo, crowded, f"review remark {index}")
        gh.add_issue_comment(gh.repo, crowded, "old\n<!-- cml-action:key=CML/train -->", user=BOT, user_type="Bot")
        run_entrypoint(environment(gh, repo, base, head, crowded, 102), repo)
        reads = len([c for c in calls(gh) if c.startswith("GET")])
        scenario(f"251 comments (reads {reads}, ceil(251/100)={math.ceil(251 / 100)})", gh)
        run_entrypoint(environment(gh, repo, base, head, other, 103, send_as="check"), repo)
        scenario("send-as: check", gh)

        _, done = run_entrypoint(environment(gh, repo, base, head, other, 104), repo, "-X", "importtime")
        imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
        heavy = sorted(name for name in FORBIDDEN if name in imported)
        print(f"heavy imports on the GitHub path: {', '.join(heavy) if heavy else 'none'} "
              f"(checked {', '.join(FORBIDDEN)}; {len(imported)} top-level modules imported)")  # fmt: skip
        return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
