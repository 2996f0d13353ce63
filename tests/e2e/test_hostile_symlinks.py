"""Hostile content, symlinks: a pull request controls the checkout, so a path (or a link along it) out of the
workspace must never be read and published — inputs are refused, referenced images treated as missing."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from cml_action.workspace import OUTSIDE_FIX
from tests.e2e import logcheck
from tests.e2e.hostile_support import Run, acted, github_env, make_repo, pr_target_payload, run_entrypoint
from tests.fakes.github import FakeGitHub

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
def test_a_path_input_that_leads_out_of_the_workspace_is_never_read_and_left_out_with_a_warning(
    fake_github: FakeGitHub, tmp_path: Path, outside: Outside, links: dict[str, str], inputs: dict[str, str],
    expect: str,
) -> None:  # fmt: skip
    # The link is the repository's data (a PR controls it), so its section is left out and the report goes on
    # (docs/report.md, "Sections that fail independently"); the outside file is never read, so nothing of it
    # can be published.
    gh = fake_github
    links = {name: target.replace("{outside}", str(outside.folder)) for name, target in links.items()}
    run, number = run_with_links(gh, tmp_path, outside, links, {}, report="report.md", **inputs)
    assert run.code == 0, run.log
    assert acted(run.log, "error") == []
    assert any(expect in warning.data for warning in acted(run.log, "warning")), run.log
    (posted,) = gh.issue_comments(gh.repo, number)
    assert expect in posted["body"]
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


def test_images_referenced_through_symlinks_out_are_never_read(
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
    outside_rule = f"points outside the workspace; its link is left as is ({OUTSIDE_FIX})"
    # Said before looking: `/etc/passwd` and `home/.ssh/id_rsa` read alike whether or not the file is there.
    assert missing == [f"report.md: image '{t}' {outside_rule}" for t in targets]
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
