"""Every row of docs/coming-from-cml.md's "Command by command" table, run as a workflow's `run:` line would run it
(bash, this image's commands on PATH) in a pull-request job against the fake GitHub, with what it prints and posts
asserted. The table and the cases here must list the same rows: a row added to the doc without a case fails.

A few rows need a whole project (a bare git remote, DVC plots); their cases name the tests that run them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.compat_support import DEFAULT_MARKER, PR, Run, asset_link, png, pr_comments
from tests.e2e.compat_support import run as run
from tests.fakes.github.fixtures import fake_github  # noqa: F401  (fixture)
from tests.gitutil import commit_files, git

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "coming-from-cml.md"
REPORT = "# Results\n\nacc went up\n"


def doc_rows() -> list[str]:
    """The first cell of each row of the "Command by command" table, as written."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Command by command", 1)[1].split("\n\n|", 1)[1].split("\n\n", 1)[0]
    rows = ("|" + table).splitlines()[2:]  # header and rule line
    return [re.split(r"(?<!\\)\|", row)[1].strip() for row in rows]


def sh(run: Run, line: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key in ("HOME", "LANG", "TMPDIR")}
    env |= {**run.env, "CML_WRITE_INTERVAL": "0", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}
    return subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True, cwd=run.ws,
                          env=env, timeout=120, check=False)  # fmt: skip


def ok(run: Run, line: str, **extra: str) -> str:
    done = sh(run, line, **extra)
    assert done.returncode == 0, done.stderr
    return done.stdout


CASES: dict[str, Callable[[Run], None]] = {}


def case(*cells: str) -> Callable[[Callable[[Run], None]], Callable[[Run], None]]:
    def register(check: Callable[[Run], None]) -> Callable[[Run], None]:
        for cell in cells:
            CASES[cell] = check
        return check

    return register


def covered_by(cell: str, *tests: str) -> None:
    """A row whose setup is a project of its own: these tests (file::name) run its line and assert its output."""

    def check(_: Run) -> None:
        for test in tests:
            path, _, name = test.partition("::")
            assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), test

    CASES[cell] = check


def write_report(run: Run, text: str = REPORT) -> None:
    (run.ws / "report.md").write_text(text, encoding="utf-8")


@case("`cml comment create report.md`")
def _create(run: Run) -> None:
    write_report(run)
    out = ok(run, "cml comment create report.md && cml comment create report.md")
    bodies = [c["body"] for c in pr_comments(run)]
    assert bodies == [f"{REPORT.rstrip()}\n\n{DEFAULT_MARKER}"] * 2  # create adds a comment each time
    assert out.splitlines() == [str(c["html_url"]) for c in pr_comments(run)]


@case("`cml comment update report.md`")
def _update(run: Run) -> None:
    write_report(run, "v1\n")
    ok(run, "cml comment update report.md")
    write_report(run, "v2\n")
    ok(run, "cml comment update report.md")
    assert [c["body"] for c in pr_comments(run)] == [f"v2\n\n{DEFAULT_MARKER}"]


@case('`cml comment update --watermark-title="nightly {workflow}" report.md`')
def _watermark(run: Run) -> None:
    write_report(run)
    ok(run, 'cml comment update --watermark-title="nightly {workflow}" report.md')
    [comment] = pr_comments(run)
    assert comment["body"].endswith("<!-- cml-action:key=nightly%20CML -->")  # GITHUB_WORKFLOW is CML


@case("`cml comment create --target=pr/12 report.md`")
def _target(run: Run) -> None:
    run.gh.add_issue(run.gh.repo, "Twelve", number=12)
    write_report(run)
    ok(run, "cml comment create --target=pr/12 report.md")
    assert [c["body"] for c in run.gh.issue_comments(run.gh.repo, 12)] == [f"{REPORT.rstrip()}\n\n{DEFAULT_MARKER}"]
    assert pr_comments(run) == []


@case("`cml comment create --publish=false report.md`")
def _no_publish(run: Run) -> None:
    (run.ws / "plot.png").write_bytes(png())
    write_report(run, "![plot](plot.png)\n")
    ok(run, "cml comment create --publish=false report.md && cml comment create --no-publish report.md")
    assert [c["body"] for c in pr_comments(run)] == [f"![plot](plot.png)\n\n{DEFAULT_MARKER}"] * 2
    assert run.gh.ref(run.gh.repo, "heads/cml-assets") is None


@case("`cml comment create --commit-sha=$SHA report.md`", "`cml-send-comment --head-sha=$SHA report.md`")
def _commit(run: Run) -> None:
    write_report(run)
    ok(run, "cml comment create --commit-sha=$SHA report.md && cml-send-comment --head-sha=$SHA report.md",
       SHA=run.head)  # fmt: skip
    assert [c["body"] for c in run.gh.commit_comments(run.gh.repo, run.head)] == [
        f"{REPORT.rstrip()}\n\n{DEFAULT_MARKER}"
    ] * 2
    assert pr_comments(run) == []


@case("`cml comment create --pr report.md`")
def _pr(run: Run) -> None:
    write_report(run)
    ok(run, "cml comment create --pr --commit-sha=$SHA report.md", SHA=run.head)  # --pr wins over the commit
    assert len(pr_comments(run)) == 1 and run.gh.commit_comments(run.gh.repo, run.head) == []


@case("`cml check create report.md --title=Eval --conclusion=failure`")
def _check(run: Run) -> None:
    write_report(run)
    assert ok(run, "cml check create report.md --title=Eval --conclusion=failure") == ""  # CML prints nothing
    [check] = run.gh.check_runs(run.gh.repo)
    assert (check["name"], check["conclusion"], check["output"]["summary"]) == ("Eval", "failure", REPORT)


@case("`cml asset publish plot.png`")
def _asset(run: Run) -> None:
    (run.ws / "plot.png").write_bytes(png())
    assert ok(run, "cml asset publish plot.png") == f"{asset_link(run)}\n"


@case("`cml asset publish plot.png --md --title=Loss >> report.md`")
def _asset_md(run: Run) -> None:
    (run.ws / "plot.png").write_bytes(png())
    write_report(run, "## Loss\n")
    assert ok(run, "cml asset publish plot.png --md --title=Loss >> report.md") == ""
    assert (run.ws / "report.md").read_text() == f'## Loss\n![]({asset_link(run)} "Loss")\n'


@case("`cat plot.png \\| cml asset publish - --md`")
def _stdin(run: Run) -> None:
    (run.ws / "plot.png").write_bytes(png())
    assert ok(run, "cat plot.png | cml asset publish - --md") == f"![]({asset_link(run)})\n"


@case("`cml send-comment report.md`, `cml-send-comment report.md`")
def _send_comment(run: Run) -> None:
    write_report(run)
    ok(run, "cml send-comment report.md && cml-send-comment report.md")
    assert [c["body"] for c in pr_comments(run)] == [f"{REPORT.rstrip()}\n\n{DEFAULT_MARKER}"] * 2


@case("`cml-send-comment --update report.md`")
def _send_update(run: Run) -> None:
    write_report(run)
    ok(run, "cml-send-comment --update report.md && cml-send-comment --update report.md")
    assert len(pr_comments(run)) == 1


@case("`cml send-github-check report.md`, `cml-send-github-check report.md --conclusion=failure --title=T`")
def _send_check(run: Run) -> None:
    write_report(run)
    ok(run, "cml send-github-check report.md && cml-send-github-check report.md --conclusion=failure --title=T")
    runs = sorted((c["name"], c["conclusion"]) for c in run.gh.check_runs(run.gh.repo))
    assert runs == [("CML Report", "success"), ("T", "failure")]


@case("`cml publish plot.png --md`, `cml-publish plot.png --md`")
def _publish(run: Run) -> None:
    (run.ws / "plot.png").write_bytes(png())
    out = ok(run, "cml publish plot.png --md && cml-publish plot.png --md")
    assert out == f"![]({asset_link(run)})\n" * 2  # one image on the assets branch, the same link twice


@case("`dvc diff --json main \\| cml-files`")
def _files(run: Run) -> None:
    ok(run, "dvc init -q && echo a > data.txt && dvc add -q data.txt && git add -A && git commit -qm data")
    out = ok(run, "echo b > data.txt && dvc add -q data.txt && dvc diff --json main | cml-files")
    assert "| modified | <code>data.txt</code> |" in out and out.startswith("<details><summary>Files changed (1)")


@case("`cml ci`, `cml repo prepare` (`--fetch-depth N`, `--unshallow`, `--user-name`, `--user-email`)")
def _ci(run: Run) -> None:
    ok(run, "cml ci --user-name=trainer --user-email=trainer@example.com")
    assert git(run.ws, "config", "user.name") == "trainer"
    ok(run, "cml repo prepare --user-name=bot --user-email=bot@example.com")
    assert git(run.ws, "config", "user.email") == "bot@example.com"


covered_by(
    "`cml pr create dvc.lock metrics.json [--md] [--merge\\|--rebase\\|--squash] [--branch B] [--target-branch T] "
    "[--title] [--body] [--message] [--skip-ci] [--remote] [--user-name] [--user-email]`",
    "tests/e2e/test_cli_pr.py::test_the_changed_paths_go_to_a_new_branch_and_a_pull_request",
    "tests/e2e/test_cli_pr.py::test_gitlab_opens_a_merge_request_set_to_merge_when_the_pipeline_succeeds",
)


@case("`cml runner …`, `cml tensorboard …`")
def _not_provided(run: Run) -> None:
    for line, says in (("cml runner launch --cloud=aws", "self-hosted"), ("cml tensorboard connect", "shut down")):
        done = sh(run, line)
        assert (done.returncode, done.stdout) == (1, "")
        [printed] = done.stderr.splitlines()
        assert printed.startswith("::error::") and says in printed


@case("`CML_SEND_COMMENT_*`, `CML_SEND_GITHUB_CHECK_*`, `CML_PUBLISH_*` (CML's older variables)")
def _legacy_variables(run: Run) -> None:
    write_report(run)
    ok(run, "cml-send-comment report.md && cml-send-comment report.md", CML_SEND_COMMENT_UPDATE="true",
       CML_SEND_COMMENT_WATERMARK_TITLE="old", CML_COMMENT_WATERMARK_TITLE="new")  # fmt: skip
    [comment] = pr_comments(run)  # update came from the old variable; the modern title won
    assert comment["body"].endswith("<!-- cml-action:key=new -->")


@case("`dvc metrics diff --md main >> report.md`")
def _metrics_diff(run: Run) -> None:
    ok(run, "dvc init -q")
    commit_files(run.ws, {"metrics.json": '{"acc": 0.8}\n'})
    (run.ws / "metrics.json").write_text('{"acc": 0.9}\n', encoding="utf-8")
    theirs = ok(run, "dvc metrics diff --md main --targets metrics.json")
    ours = ok(run, "cml metrics diff main --md --targets metrics.json")
    assert ours == theirs and "| metrics.json | acc      | 0.8    | 0.9         | 0.1      |" in ours


covered_by(
    "`dvc metrics diff a_rev [b_rev] [--targets a b …] [-R] [--all] [--no-path] [--precision N] [--md\\|--json]`",
    "tests/unit/test_cli_diff_oracle.py::test_metrics_diff_markdown_is_dvcs",
    "tests/unit/test_cli_diff_oracle.py::test_metrics_diff_json_is_dvcs",
)
covered_by(
    "`dvc params diff a_rev [b_rev] [--targets …] [--all] [--deps] [--no-path] [--md\\|--json]`",
    "tests/unit/test_cli_diff_oracle.py::test_params_diff_markdown_is_dvcs",
    "tests/unit/test_cli_diff_oracle.py::test_params_diff_json_is_dvcs",
)
covered_by(
    "`dvc plots diff main --show-vega …` + `vl2png` + `cml-publish`",
    "tests/e2e/test_seed_lines.py::test_the_seed_on_github",
    "tests/e2e/test_cli_compat_local.py::test_vl2png_and_vl2svg_work_as_vega_cli_did",
)
covered_by(
    "`dvc plots diff --targets loss.csv --show-vega main \\| cml-publish --md`",
    "tests/e2e/test_cli_compat_local.py::test_the_seeds_vega_line_publishes_the_rendered_chart",
)
covered_by(
    "`vl2png vega.json -s 1.5 \\| cml-publish --md`, `vl2svg vega.json out.svg`",
    "tests/e2e/test_cli_compat_local.py::test_vl2png_and_vl2svg_work_as_vega_cli_did",
)


def test_every_row_of_the_doc_has_a_case() -> None:
    assert doc_rows() == [cell for cell in doc_rows() if cell in CASES]
    assert sorted(set(doc_rows())) == sorted(CASES)


@pytest.mark.parametrize("cell", list(CASES), ids=lambda cell: re.sub(r"[`\\]", "", cell)[:60])
def test_row(cell: str, run: Run) -> None:
    CASES[cell](run)
    assert run.gh.violations == []
    assert all(c["issue_url"].endswith(f"/issues/{PR}") for c in pr_comments(run))
