"""Hostile content (issue 7): a pull request from a fork controls the repository's files — report text, metric
names and values, file names, symlinks — and the action runs with a write token (`pull_request_target` checking
out the PR head, or a `workflow_run` job). The run is `python entrypoint.py` as a Docker action runs it.

What must hold: nothing the attacker wrote acts as a workflow command in the log (tests/e2e/logcheck.py reads the
log as the runner does), metric names render as text in the posted table, step outputs cannot be forged, and no
file outside the workspace is read and published.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.e2e import logcheck
from tests.e2e.hostile_support import MARKER, OUTPUT_NAMES, ZWSP, acted, make_repo, run_gitlab_job, run_on_pr
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab

# -- the hostile repository ---------------------------------------------------------------------------------------

# Lines that are workflow commands when a runner sees them at a line start (or anywhere, for `##[`).
COMMAND_LINES = (
    "::set-output name=x::y",
    "::add-mask::secret",
    "::stop-commands::tok",
    "::error::pwned",
    "##[error]legacy",
    "::warning file=x::spoofed",
    "   ::error title=indented::indented",
    "::set-env name=NODE_OPTIONS::--require ./pwn.js",
    "::add-path::/tmp/pwn",
)
PAYLOAD_DATA = ("y", "secret", "tok", "pwned", "legacy", "spoofed", "indented", "--require", "/tmp/pwn")
HOSTILE_REPORT = "\n".join(
    [
        "# Results",
        *COMMAND_LINES,
        "<!-- cml-action:key=CML/other -->",  # another job's sticky marker: must not hijack its report
        '<img src="gone.png\n::error::from-img-src\x1b[8m">',  # a missing image: its name reaches a warning
        "![x](missing::error::name.png)",
        "",
    ]
)
HOSTILE_METRICS = {
    "a|b": 1,
    "<script>alert(1)</script>": 2,
    "<img src=x onerror=alert(1)>": 3,
    "@octocat": 4,
    "cc @octo-org/security-team": 5,
    "`code`": 6,
    "a\n::error::x": 7,
    "::set-output name=x::y": 8,
    "##[error]legacy": 9,
    "see #1": 10,
    "[click](https://evil.example)": 11,
    "trail\\": 12,
    "a\\|b": 13,
    "**bold** ~~strike~~ _under_": 14,
    "tab\there\rcr": 15,
    "value": "::add-mask::v|<b>x</b>\n::error::in-value @octocat",
}


@pytest.fixture
def hostile_repo(tmp_path: Path) -> tuple[Path, str, str]:
    repo = tmp_path / "ws"
    base, head = make_repo(
        repo,
        {"eval/metrics.json": '{"acc": 0.5}\n', "report.md": "old\n"},
        {"eval/metrics.json": json.dumps(HOSTILE_METRICS), "report.md": HOSTILE_REPORT},
    )
    return repo, base, head


# -- reading what was posted -------------------------------------------------------------------------------------


class _TableReader(HTMLParser):
    """Rows of the first rendered table as cell texts, and every tag seen inside cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.tags_in_cells: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif self._cell is not None:
            self.tags_in_cells.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def metrics_section(body: str) -> str:
    start = body.index("| Path ")
    end = body.find("\n\n", start)
    return body[start : end if end > 0 else len(body)] + "\n"


def render_table(markdown_table: str) -> _TableReader:
    """The table as GitHub renders it (GFM table rules; raw HTML allowed, as GitHub allows and then sanitises)."""
    from markdown_it import MarkdownIt

    reader = _TableReader()
    reader.feed(MarkdownIt("commonmark").enable("table").render(markdown_table))
    return reader


def shown_as(text: str) -> str:
    """What a metric name or value must look like once rendered: itself, with line breaks shown as `\\n`."""
    return text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t").strip()


def assert_metrics_render_as_text(markdown: str, metrics: dict[str, object]) -> None:
    table = render_table(metrics_section(markdown))
    header, *rows = table.rows
    assert header[:2] == ["Path", "Metric"] and len(header) == 5
    assert all(len(row) == 5 for row in rows), table.rows
    assert table.tags_in_cells == []  # no <script>, <img>, <a>, <code>, <em> … made it out of a name
    visible = {row[1].replace(ZWSP, ""): row[3].replace(ZWSP, "") for row in rows}
    assert visible == {shown_as(name): shown_as(str(value)) for name, value in metrics.items()} | {"acc": "-"}
    for row in rows:
        for cell in row:
            # GitHub notifies `@user` / `@org/team` and cross-references `#N`: a zero-width space defuses both.
            assert not re.search(r"@[A-Za-z0-9]|#\d", cell), cell


# -- the checker itself (a checker that cannot fail proves nothing) -----------------------------------------------


@pytest.mark.parametrize(
    ("log", "problem"),
    [
        ("::set-output name=x::y\n", "'set-output' is not a command we emit"),
        ("   ::error::indented\n", "unexpected error annotation"),
        ("ok\r::add-path::/tmp\n", "'add-path' is not a command we emit"),
        ("text ##[error]legacy\n", "legacy ##[error]"),
        ("::add-mask::guess\n", "add-mask of a value that is not a known secret"),
        ("::warning file=x,evil=1::m\n", "unknown properties"),
        ("::warning::pwned\n", "attacker-controlled data"),
        ("::stop-commands::0123456789abcdef0123\nx\n", "never resumed"),
        ("::stop-commands::tok\n::tok::\n", "too short"),
    ],
)
def test_logcheck_finds_commands_the_runner_would_act_on(log: str, problem: str) -> None:
    found = logcheck.problems(log, secrets=["s3cr3t-value"], forbidden=["pwned"])
    assert any(problem in line for line in found), found


def test_logcheck_accepts_what_our_code_emits() -> None:
    token = "0123456789abcdef0123456789abcdef"
    log = (
        "::add-mask::s3cr3t-value\n::group::Build report\n::warning file=a.json,line=3::bad %0A::error::x\n"
        f"::endgroup::\n::stop-commands::{token}\n::set-output name=x::y\n##[error]z\n::{token}::\n"
        "plain :: text ::error:: mid-line\n"
    )
    assert logcheck.problems(log, secrets=["s3cr3t-value"], forbidden=["x"]) == []
    (warning,) = acted(log, "warning")
    assert warning.properties == {"file": "a.json", "line": "3"} and warning.data == "bad \n::error::x"


def test_output_file_reader_sees_a_forged_output() -> None:
    assert logcheck.read_output_file("a<<EOF\nx\nEOF\nb=1\nc<<D\r\nv\r\nD\n") == [("a", "x"), ("b", "1"), ("c", "v")]


# -- workflow commands, markdown and outputs ----------------------------------------------------------------------


def test_hostile_report_and_metric_names_stay_text_in_the_log_the_comment_and_the_summary(
    fake_github: FakeGitHub, hostile_repo: tuple[Path, str, str]
) -> None:
    gh = fake_github
    repo, base, head = hostile_repo
    run, number = run_on_pr(gh, repo, base, head, report="report.md", metrics="eval/metrics.json")
    assert run.code == 0, run.log
    assert logcheck.problems(run.log, secrets=[gh.app_token], forbidden=PAYLOAD_DATA) == []
    (warning,) = acted(run.log, "warning")  # the missing <img>, quoted inside one annotation
    assert warning.data.startswith("report.md: image 'gone.png") and "from-img-src" in warning.data
    assert warning.data.endswith("' was not found; its link is left as is")
    assert acted(run.log, "error") == []
    assert "\x1b" not in run.log  # ANSI escapes would colour or conceal log text

    (posted,) = gh.issue_comments(gh.repo, number)
    body = posted["body"]
    assert_metrics_render_as_text(body, HOSTILE_METRICS)
    assert_metrics_render_as_text(run.summary, HOSTILE_METRICS)
    assert body == run.report
    # The pasted marker of another job is defused: only our own marker identifies this comment.
    assert body.count("cml-action:key=") == 1 and body.rstrip().endswith(MARKER)
    assert "<!-- cml-action:key&#61;CML/other -->" in body

    outputs = logcheck.read_output_file(run.output_file)
    assert sorted(name for name, _ in outputs) == sorted(OUTPUT_NAMES)  # each once, nothing added
    assert dict(outputs)["comment-url"] == posted["html_url"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # Two keys that flatten to the same hostile name: the error line quotes it.
        (
            "eval/metrics.json",
            json.dumps({"x\n::set-output name=dup::1": {"b": 1}, "x\n::set-output name=dup::1.b": 2}),
        ),
        # A YAML syntax error on a line that is a workflow command.
        ("eval/metrics.yaml", "a: 1\n::error::yaml-pwned: [\n"),
    ],
    ids=["duplicate-name", "yaml-error"],
)
def test_a_broken_metrics_file_quotes_hostile_text_in_one_warning_line(
    fake_github: FakeGitHub, tmp_path: Path, name: str, content: str
) -> None:
    gh = fake_github
    repo = tmp_path / "ws"
    base, head = make_repo(repo, {"report.md": "r\n"}, {name: content})
    run, number = run_on_pr(gh, repo, base, head, report="report.md", metrics=name)
    assert run.code == 0, run.log  # a broken metrics file is a section left out, not a failed step
    assert "Traceback" not in run.log
    forbidden = ("yaml-pwned", "1")
    assert logcheck.problems(run.log, secrets=[gh.app_token], annotations=["warning"], forbidden=forbidden) == []
    (warning,) = acted(run.log, "warning")
    assert warning.data.startswith(f"metrics left out: metrics file '{name}'"), warning.data
    (posted,) = gh.issue_comments(gh.repo, number)
    assert posted["body"].startswith("## CML Report\n\nr\n")


HOSTILE_FILE_NAMES = ("eval/::error::file.json", "eval/x\n::set-output name=p::q.json", "eval/@octocat <b>|.json")


def test_hostile_metric_file_names_stay_text(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    repo = tmp_path / "ws"
    files: Mapping[str, str | bytes] = {path: '{"acc": 1}' for path in HOSTILE_FILE_NAMES}
    empty = "eval/::warning::empty\n::error::e.json"  # holds no metric: its name reaches a warning
    base, head = make_repo(repo, {"report.md": "r\n"}, {**files, empty: "{}"})
    run, number = run_on_pr(gh, repo, base, head, report="report.md", metrics="eval/*.json")
    assert run.code == 0, run.log
    assert logcheck.problems(run.log, secrets=[gh.app_token], forbidden=["q.json", "e.json", "file.json"]) == []
    (warning,) = acted(run.log, "warning")
    assert warning.data.startswith(f"metrics file '{empty}' holds no named metrics")
    (posted,) = gh.issue_comments(gh.repo, number)
    table = render_table(metrics_section(posted["body"]))
    assert table.tags_in_cells == [] and all(len(row) == 5 for row in table.rows)
    assert sorted(row[0].replace(ZWSP, "") for row in table.rows[1:]) == sorted(map(shown_as, HOSTILE_FILE_NAMES))
    warnings_block = posted["body"].split("> [!WARNING]\n", 1)[1].split("\n\n", 1)[0]
    assert warnings_block.count("\n") == 0 and "::" not in warnings_block  # one escaped list item


def test_a_step_output_value_cannot_add_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GITHUB_OUTPUT uses `name<<DELIMITER` blocks; a value that contains the delimiter the writer first drew
    (or any look-alike) must not end the block early and smuggle `evil=1` in."""
    import secrets

    from cml_action import workflow

    guessed = "ab" * 16
    draws = iter([guessed, guessed, "cd" * 16])
    monkeypatch.setattr(secrets, "token_hex", lambda _n=16: next(draws))
    output = tmp_path / "output"
    value = f"line\nghadelimiter_{guessed}\nevil=1\nghadelimiter_{'0' * 32}\nx<<EOF\nEOF\n"
    assert workflow.set_output("report-file", value, env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)})
    assert logcheck.read_output_file(output.read_text(encoding="utf-8")) == [("report-file", value)]


def test_gh_issue_references_in_metric_names_are_defused() -> None:
    """GitHub autolinks `#26`, `GH-26` and `owner/repo#26` alike (docs: "Autolinked references and URLs"), and a
    reference posts a "mentioned this" event in that issue's timeline. `#26` is defused; `GH-26` is not."""
    from cml_action.report.escape import escape_cell

    assert escape_cell("see #1") == "see #&#8203;1"
    assert not re.search(r"(?i)\bgh-\d", escape_cell("see GH-1"))


def test_on_gitlab_a_warning_quoting_an_untrusted_name_is_one_plain_line(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    """GitLab has no workflow commands, but its job log shows every line and interprets ANSI escapes (colours,
    `section_start` folding): a newline in a fork's image name forges a line such as "ERROR: Job failed"."""
    gl = fake_gitlab
    gl.add_token("glpat-hostile-test-token-1", gl.bot, kind="project")
    report = 'x\n<img src="gone.png\nERROR: Job failed: forged \x1b[8mhidden">\n'
    run = run_gitlab_job(gl, tmp_path, {"report.md": report}, "glpat-hostile-test-token-1", report="report.md")
    assert run.code == 0, run.log
    assert not [line for line in run.log.splitlines() if line.startswith("ERROR: Job failed")]
    assert "\x1b" not in run.log
