"""Hostile content (issue 7): a pull request from a fork controls the repository's files — report text, metric
names and values, file names, symlinks — and the action runs with a write token (`pull_request_target` checking
out the PR head, or a `workflow_run` job). The run is `python entrypoint.py` as a Docker action runs it.

What must hold: nothing the attacker wrote acts as a workflow command in the log (tests/e2e/logcheck.py reads the
log as the runner does), metric names render as text in the posted table, step outputs cannot be forged, and no
file outside the workspace is read and published.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.e2e import gitlab_support, logcheck, payloads
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.gitutil import GIT_ENV, git, init_repo

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- cml-action:key=CML/train -->"
ZWSP = "\u200b"
OUTPUT_NAMES = {"comment-url", "comment-id", "check-url", "report-file", "regressions"}

# -- running the action like a runner -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    output_file: str  # GITHUB_OUTPUT as written
    summary: str  # GITHUB_STEP_SUMMARY as written
    report: str  # cml-report/report.md ("" when not written)

    @property
    def log(self) -> str:
        return self.stdout + self.stderr


def make_repo(path: Path, baseline: Mapping[str, str | bytes], head: Mapping[str, str | bytes]) -> tuple[str, str]:
    """A git repo with a baseline commit and a head commit (the working tree is the head); (base, head) shas."""
    init_repo(path)
    shas = []
    for files in (baseline, head):
        for name, content in files.items():
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        git(path, "add", "-A")
        git(path, "commit", "-q", "--allow-empty", "-m", "commit")
        shas.append(git(path, "rev-parse", "HEAD"))
    return shas[0], shas[1]


def github_env(gh: FakeGitHub, repo: Path, runner: Path, event: str, payload: dict[str, object],
               head: str, token: str, **inputs: str) -> dict[str, str]:  # fmt: skip
    """The environment of a Docker action step: GITHUB_* of the run, INPUT_* (hyphens kept)."""
    runner.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(runner / "home"),
        **GIT_ENV,
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": gh.repo,
        "GITHUB_SHA": head,
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(payloads.write(runner / "event.json", payload)),
        "GITHUB_WORKSPACE": str(repo),
        "GITHUB_API_URL": gh.api_url,
        "GITHUB_SERVER_URL": gh.server_url,
        "GITHUB_RUN_ID": "7",
        "GITHUB_WORKFLOW": "CML",
        "GITHUB_JOB": "train",
        "GITHUB_OUTPUT": str(runner / "output"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        "INPUT_TOKEN": token,
        "INPUT_FETCH-BASELINE": "false",  # the temporary repo has no remote; both commits are local
        "CML_WRITE_INTERVAL": "0",  # GitHub's 1 s between writes is for real GitHub, not the fake
    }
    env.update({f"INPUT_{name.upper().replace('_', '-')}": value for name, value in inputs.items()})
    return env


def run_entrypoint(repo: Path, env: dict[str, str]) -> Run:
    done = subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip

    def read(name: str) -> str:
        path = Path(name)
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    report = repo / "cml-report" / "report.md"
    return Run(done.returncode, done.stdout, done.stderr, read(env.get("GITHUB_OUTPUT", "")),
               read(env.get("GITHUB_STEP_SUMMARY", "")), read(str(report)))  # fmt: skip


def run_gitlab_job(gl: FakeGitLab, tmp: Path, files: Mapping[str, str | bytes], token: str, api_url: str = "",
                   **inputs: str) -> Run:  # fmt: skip
    """An MR pipeline job (`CI_*` as GitLab sets them, inputs as `CML_<NAME>`) on a fresh two-commit workspace."""
    repo = tmp / "ws"
    base, head = make_repo(repo, {"README.md": "seed\n"}, files)
    ws = gitlab_support.Workspace(repo, base, head)
    gitlab_support.seed(gl, ws)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp / "home"), **GIT_ENV, **gitlab_support.predefined(gl, ws)}
    env |= {"CML_TOKEN": token, "CML_FETCH_BASELINE": "false"}
    env |= {f"CML_{name.upper()}": value for name, value in inputs.items()}
    if api_url:
        env["CI_API_V4_URL"] = api_url + "/api/v4"
    return run_entrypoint(repo, env)


def pr_target_payload(gh: FakeGitHub, base: str, head: str, number: int) -> dict[str, object]:
    """`pull_request_target` of a fork PR: the job has the base repository's write token."""
    return payloads.with_commits("pull_request_fork", head=head, base=base, number=number, repo=gh.repo)


def run_on_pr(gh: FakeGitHub, repo: Path, base: str, head: str, **inputs: str) -> tuple[Run, int]:
    gh.register_commit(gh.repo, base)
    gh.register_commit(gh.repo, head, parents=[base])
    number = gh.add_pull(gh.repo, head_sha=head, base_sha=base, head_repo="someone/hello-world")
    payload = pr_target_payload(gh, base, head, number)
    env = github_env(gh, repo, repo.parent / "runner", "pull_request_target", payload, head, gh.app_token, **inputs)
    return run_entrypoint(repo, env), number


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


def acted(log: str, kind: str) -> list[logcheck.Command]:
    return [command for command in logcheck.scan(log) if command.name == kind and not command.paused]


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
def test_a_failing_run_quotes_hostile_text_in_one_error_line(
    fake_github: FakeGitHub, tmp_path: Path, name: str, content: str
) -> None:
    gh = fake_github
    repo = tmp_path / "ws"
    base, head = make_repo(repo, {"report.md": "r\n"}, {name: content})
    run, _ = run_on_pr(gh, repo, base, head, report="report.md", metrics=name)
    assert run.code == 1, run.log
    assert "Traceback" not in run.log
    forbidden = ("yaml-pwned", "1")
    assert logcheck.problems(run.log, secrets=[gh.app_token], annotations=["error"], forbidden=forbidden) == []
    (error,) = acted(run.log, "error")
    assert error.data.startswith(f"metrics file '{name}'"), error.data
    assert gh.writes() == []


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


# -- symlinks out of the workspace --------------------------------------------------------------------------------

ENV_CANARY = "environ-canary-5f1d0c"  # in the action's environment, so /proc/self/environ holds it
SSH_CANARY = "ssh-key-canary-77e2ab"
OUTSIDE_CANARY = "outside-file-canary-91c4"
SECRET_PNG_SIZE = (7, 13)  # a size no test image has: a published copy would show it


@dataclass(frozen=True)
class Outside:
    """Files a fork's symlinks point at: outside the workspace, readable by the job."""

    home: Path
    folder: Path  # holds secret.png and secret.txt

    @property
    def canaries(self) -> tuple[str, ...]:
        return ENV_CANARY, SSH_CANARY, OUTSIDE_CANARY, "root:x:0:0"


@pytest.fixture
def outside(tmp_path: Path) -> Outside:
    from PIL import Image

    home, folder = tmp_path / "home", tmp_path / "outside"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SSH_CANARY}\n", encoding="utf-8")
    folder.mkdir()
    Image.new("RGB", SECRET_PNG_SIZE, (1, 2, 3)).save(folder / "secret.png")
    (folder / "secret.txt").write_text(f'{{"{OUTSIDE_CANARY}": 1}}\n', encoding="utf-8")
    return Outside(home, folder)


def run_with_links(gh: FakeGitHub, tmp_path: Path, outside: Outside, links: dict[str, str], files: dict[str, str],
                   **inputs: str) -> tuple[Run, int]:  # fmt: skip
    """A PR whose head adds `files` and symlinks (`name -> target`, `~` is the job's HOME) to the working tree."""
    repo = tmp_path / "ws"
    base, head = make_repo(repo, {"README.md": "seed\n"}, {"report.md": "Report\n", **files})
    for name, target in links.items():
        link = repo / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(target.replace("~", str(outside.home), 1) if target.startswith("~") else target)
    gh.register_commit(gh.repo, base)
    gh.register_commit(gh.repo, head, parents=[base])
    number = gh.add_pull(gh.repo, head_sha=head, base_sha=base, head_repo="someone/hello-world")
    payload = pr_target_payload(gh, base, head, number)
    env = github_env(gh, repo, tmp_path / "runner", "pull_request_target", payload, head, gh.app_token, **inputs)
    env["HOME"] = str(outside.home)
    env["CML_TEST_ENV_CANARY"] = ENV_CANARY
    return run_entrypoint(repo, env), number


def assert_nothing_from_outside_left(gh: FakeGitHub, run: Run, outside: Outside) -> None:
    """No outside bytes in the log, summary, report or any request body, and no blob that is the outside image."""
    from PIL import Image

    sent = json.dumps([request.json for request in gh.requests])
    for canary in outside.canaries:
        for where, text in (("log", run.log), ("summary", run.summary), ("report", run.report), ("requests", sent)):
            assert canary not in text, f"{canary} leaked into the {where}"
    for content in gh.state.get_repo(gh.repo).git.blobs.values():
        for canary in outside.canaries:
            assert canary.encode() not in content
        try:
            size = Image.open(io.BytesIO(content)).size
        except OSError:
            continue
        assert size != SECRET_PNG_SIZE, "the outside image was published"


@pytest.mark.parametrize(
    ("links", "inputs", "expect"),
    [
        ({"plot.png": "{outside}/secret.png"}, {"images": "plot.png"}, "input 'images': 'plot.png' points outside"),
        ({"plots": "{outside}"}, {"images": "plots/*.png"}, "input 'images': 'plots/secret.png' points outside"),
        ({"plots": "/"}, {"images": "plots/*.png"}, "input 'images': the glob 'plots/*.png' matches no file"),
        ({"eval/m.json": "/proc/self/environ"}, {"metrics": "eval/m.json"}, "input 'metrics': 'eval/m.json' points"),
        ({"eval/m.json": "../../outside/secret.txt"}, {"metrics": "eval/m.json"}, "'eval/m.json' points outside"),
        ({"report.md": "~/.ssh/id_rsa"}, {}, "input 'report': 'report.md' points outside"),
        ({"report.md": "/etc/passwd"}, {}, "input 'report': 'report.md' points outside"),
    ],
    ids=["image", "image-dir-glob", "glob-through-root", "metrics-environ", "metrics-relative", "report-ssh", "passwd"],
)
def test_a_path_input_that_leads_out_of_the_workspace_is_refused_before_publishing(
    fake_github: FakeGitHub, tmp_path: Path, outside: Outside, links: dict[str, str], inputs: dict[str, str],
    expect: str,
) -> None:  # fmt: skip
    gh = fake_github
    links = {name: target.replace("{outside}", str(outside.folder)) for name, target in links.items()}
    run, _ = run_with_links(gh, tmp_path, outside, links, {}, report="report.md", **inputs)
    assert run.code == 1, run.log
    (error,) = acted(run.log, "error")
    assert expect.replace("{ws}", str(tmp_path / "ws")) in error.data, error.data
    assert gh.writes() == []
    assert_nothing_from_outside_left(gh, run, outside)


REFERENCING_REPORT = """# Report
![env](env.png)
![key](home/.ssh/id_rsa)
<img src="/etc/passwd">
![linked](secret.png)
![absolute]({outside}/secret.png)
![up](../outside/secret.png)
![through-dir](plots/secret.png)
![fine](plot.png)
"""


def test_images_referenced_through_symlinks_are_treated_as_missing(
    fake_github: FakeGitHub, tmp_path: Path, outside: Outside
) -> None:
    from PIL import Image

    gh = fake_github
    links = {"env.png": "/proc/self/environ", "home": "~", "secret.png": f"{outside.folder}/secret.png",
             "plots": str(outside.folder)}  # fmt: skip
    report = REFERENCING_REPORT.replace("{outside}", str(outside.folder))
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "blue").save(buffer, format="PNG")
    repo = tmp_path / "ws"
    repo.mkdir()
    (repo / "plot.png").write_bytes(buffer.getvalue())
    run, number = run_with_links(gh, tmp_path, outside, links, {"report.md": report}, report="report.md")
    assert run.code == 0, run.log
    assert logcheck.problems(run.log, secrets=[gh.app_token]) == []
    missing = [w.data for w in acted(run.log, "warning")]
    targets = ["env.png", "home/.ssh/id_rsa", "/etc/passwd", "secret.png", f"{outside.folder}/secret.png",
               "../outside/secret.png", "plots/secret.png"]  # fmt: skip
    assert missing == [f"report.md: image '{t}' was not found; its link is left as is" for t in targets]
    (posted,) = gh.issue_comments(gh.repo, number)
    for target in targets:
        assert f"({target})" in posted["body"] or f'"{target}"' in posted["body"]  # link left as written
    assert "(plot.png)" not in posted["body"]  # the one real image was published and relinked
    assert len(gh.api_requests("POST", r"/git/blobs$")) == 1
    assert_nothing_from_outside_left(gh, run, outside)


def test_metrics_auto_ignores_a_dvc_yaml_that_is_a_symlink_out_of_the_workspace(tmp_path: Path) -> None:
    from cml_action.metrics_source import metric_patterns

    ws, elsewhere = tmp_path / "ws", tmp_path / "elsewhere"
    (ws / "eval").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "dvc.yaml").write_text("metrics:\n  - eval/m.json\n", encoding="utf-8")
    (ws / "dvc.yaml").symlink_to(elsewhere / "dvc.yaml")
    (ws / "eval" / "m.json").write_text('{"a": 1}', encoding="utf-8")
    assert metric_patterns(ws, ("auto",)) == ((), True)  # as if there were no dvc.yaml


def test_a_recursive_glob_does_not_descend_into_symlinked_directories(tmp_path: Path, outside: Outside) -> None:
    """`images: "**/*.png"` with a fork's `loop -> .` lists one image 41 times (until ELOOP); two such links make
    it 2**40 paths, a job that never ends; `out -> /elsewhere` makes the whole run fail on a refused match."""
    from cml_action.workspace import resolve_paths

    ws = tmp_path / "ws"
    (ws / "plots").mkdir(parents=True)
    (ws / "plots" / "a.png").write_bytes(b"png")
    (ws / "loop").symlink_to(".")
    (ws / "out").symlink_to(outside.folder)
    assert resolve_paths(ws, ["**/*.png"], "images") == (ws / "plots" / "a.png",)


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
