"""CML-compatible commands with no CI around: the local forge writes what would have been posted."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from cml_action import cli
from cml_action.workspace import OUTSIDE_FIX
from tests.gitutil import commit_files, init_repo

BIN = Path(sys.executable).parent
DEFAULT_MARKER = "<!-- cml-action:key=cml -->"


def png(colour: tuple[int, int, int] = (30, 160, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GITLAB_", "CI_", "INPUT_", "CML_")) or name == "REPO_TOKEN":
            monkeypatch.delenv(name)
    repo = init_repo(tmp_path / "ws")
    commit_files(repo, {"README.md": "# demo\n"})
    monkeypatch.chdir(repo)
    return repo


def cml(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def only_image(ws: Path) -> Path:
    [image] = sorted((ws / "cml-report" / "images").iterdir())
    return image


def test_comment_writes_the_file_with_rewritten_links(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "plots").mkdir()
    (ws / "plots" / "cm.png").write_bytes(png())
    (ws / "report.md").write_text("# Run\n\n![confusion](plots/cm.png)\n", encoding="utf-8")
    code, out, err = cml(capsys, "comment", "create", "report.md")
    assert code == 0, err
    image = only_image(ws)
    posted = (ws / "cml-report" / "report.md").read_text(encoding="utf-8")
    assert posted == f"# Run\n\n![confusion](images/{image.name})\n\n{DEFAULT_MARKER}"
    assert out == f"{(ws / 'cml-report' / 'report.html').resolve().as_uri()}\n"
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_referenced_image_is_a_warning_and_left_alone(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "report.md").write_text("![gone](nowhere.png)\n", encoding="utf-8")
    code, _, err = cml(capsys, "comment", "create", "report.md")
    assert code == 0
    assert (ws / "cml-report" / "report.md").read_text(encoding="utf-8") == f"![gone](nowhere.png)\n\n{DEFAULT_MARKER}"
    assert "warning: report.md: image 'nowhere.png' was not found; its link is left as is" in err


def test_images_outside_the_workspace_are_never_read(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "secret.png").write_bytes(png())
    (ws / "link.png").symlink_to(tmp_path / "secret.png")
    (ws / "report.md").write_text("![a](../secret.png) ![b](link.png)\n", encoding="utf-8")
    code, _, err = cml(capsys, "comment", "create", "report.md")
    assert code == 0
    posted = (ws / "cml-report" / "report.md").read_text(encoding="utf-8")
    assert posted.startswith("![a](../secret.png) ![b](link.png)\n")
    assert not (ws / "cml-report" / "images").exists()
    rule = f"points outside the workspace; its link is left as is ({OUTSIDE_FIX})"
    assert err.splitlines() == [f"warning: report.md: image '../secret.png' {rule}",
                                f"warning: report.md: image 'link.png' {rule}"]  # fmt: skip


@pytest.mark.parametrize("name", ["../secret.png", "link.png"])
def test_cml_publish_refuses_an_image_outside_the_workspace_in_the_reports_words(
    ws: Path, tmp_path: Path, name: str
) -> None:
    (tmp_path / "secret.png").write_bytes(png())
    (ws / "link.png").symlink_to(tmp_path / "secret.png")
    done = _shell(ws, f"cml-publish {name} --md >> report.md")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"error: '{name}' points outside the workspace ({OUTSIDE_FIX})\n"
    assert not (ws / "cml-report").exists() and (ws / "report.md").read_text() == ""


def test_an_escaped_space_in_a_link_stays_one_escape(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`my%20plot.png` names `my plot.png`: it is published; a missing one is left and named as written."""
    (ws / "my plot.png").write_bytes(png())
    (ws / "report.md").write_text("![a](my%20plot.png) ![b](no%20such.png)\n", encoding="utf-8")
    code, _, err = cml(capsys, "comment", "create", "report.md")
    assert code == 0
    posted = (ws / "cml-report" / "report.md").read_text(encoding="utf-8")
    assert posted.startswith("![a](images/") and " ![b](no%20such.png)\n" in posted
    assert err == "warning: report.md: image 'no%20such.png' was not found; its link is left as is\n"
    assert "%25" not in posted + err


def test_a_marker_inside_the_file_cannot_pose_as_another_report(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "report.md").write_text("copied: <!-- cml-action:key=other -->\n", encoding="utf-8")
    assert cml(capsys, "comment", "update", "report.md")[0] == 0
    posted = (ws / "cml-report" / "report.md").read_text(encoding="utf-8")
    assert posted == f"copied: <!-- cml-action:key&#61;other -->\n\n{DEFAULT_MARKER}"


def test_check_writes_check_json(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "report.md").write_text("checked\n", encoding="utf-8")
    code, out, err = cml(capsys, "check", "create", "report.md", "--title", "Eval", "--conclusion", "neutral")
    assert code == 0, err
    record = json.loads((ws / "cml-report" / "check.json").read_text(encoding="utf-8"))
    assert (record["title"], record["conclusion"], record["summary"]) == ("Eval", "neutral", "checked\n")
    assert out == ""


def test_asset_publish_prints_a_path_that_works_from_anywhere(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "plot.png").write_bytes(png())
    code, out, err = cml(capsys, "asset", "publish", "plot.png", "--md", "-t", "Plot")
    assert code == 0, err
    image = only_image(ws)
    assert out == f'![]({image.resolve()} "Plot")\n'


def test_asset_publish_file_flag_writes_the_output(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "plot.png").write_bytes(png())
    code, out, _ = cml(capsys, "asset", "publish", "plot.png", "--file", "link.txt")
    assert code == 0
    assert out == ""
    assert (ws / "link.txt").read_text(encoding="utf-8") == f"{only_image(ws).resolve()}\n"


def test_publish_then_comment_round_trip(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CML idiom: `cml-publish plot.png --md >> report.md`, then `cml comment create report.md`."""
    (ws / "plot.png").write_bytes(png())
    code, out, _ = cml(capsys, "publish", "plot.png", "--md")
    assert code == 0
    (ws / "report.md").write_text("# Plot\n\n" + out, encoding="utf-8")
    assert cml(capsys, "send-comment", "report.md")[0] == 0
    image = only_image(ws)
    posted = (ws / "cml-report" / "report.md").read_text(encoding="utf-8")
    assert posted == f"# Plot\n\n![](images/{image.name})\n\n{DEFAULT_MARKER}"


def test_cml_publish_script_with_stdin_and_no_file(ws: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI_"))}
    done = subprocess.run([str(BIN / "cml-publish"), "--md"], input=png((1, 2, 3)), capture_output=True, cwd=ws,
                          env=env, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == f"![]({only_image(ws).resolve()})\n"


def test_cml_files_reads_the_metrics_flag(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cml_action.dvc.files import files_markdown_from_json

    diff = json.dumps({"added": [], "deleted": [{"path": "old.csv", "hash": "ffff0000ffff"}], "modified": [],
                       "renamed": [{"path": {"old": "a.txt", "new": "b.txt"}, "hash": "abcd1234abcd"}]})  # fmt: skip
    monkeypatch.setattr("sys.argv", ["cml-files", "-m", diff, "--maxchars", "100"])
    assert cli.files_main() == 0
    out, err = capsys.readouterr()
    assert out == files_markdown_from_json(diff).rstrip("\n") + "\n\n"  # a blank line closes the HTML block
    assert "old.csv" in out and "b.txt" in out
    assert "notice: --maxchars is accepted for CML compatibility and ignored" in err


def test_check_status_other_than_completed_is_a_notice(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "report.md").write_text("queued?\n", encoding="utf-8")
    code, _, err = cml(capsys, "check", "create", "report.md", "--status", "in_progress", "--driver", "bitbucket")
    assert code == 0
    assert err.splitlines()[:2] == [
        "notice: --driver is accepted for CML compatibility and ignored: the forge is picked from the CI environment "
        "(GitHub, GitLab, else local)",
        "notice: --status=in_progress is accepted for CML compatibility; the check is posted completed",
    ]
    assert json.loads((ws / "cml-report" / "check.json").read_text(encoding="utf-8"))["summary"] == "queued?\n"


def test_asset_flags_cml_had_are_notices(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "plot.png").write_bytes(png())
    argv = ["asset", "publish", "plot.png", "--native", "--gitlabUploads", "--url", "https://x", "--rm-watermark=true"]
    code, out, err = cml(capsys, *argv)
    assert code == 0
    assert [line.split(" is accepted")[0] for line in err.splitlines()] == [
        "notice: --native", "notice: --gitlab-uploads", "notice: --url", "notice: --rm-watermark",
    ]  # fmt: skip
    assert out == f"{only_image(ws).resolve()}\n"


def test_cml_option_variables_are_read_like_yargs_env(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CML's yargs `.env('CML_COMMENT')`: CML_COMMENT_WATERMARK_TITLE is --watermark-title; a flag given wins."""
    (ws / "pic.png").write_bytes(png())
    (ws / "report.md").write_text("![p](pic.png)\n", encoding="utf-8")
    monkeypatch.setenv("CML_COMMENT_WATERMARK_TITLE", "from-env")
    monkeypatch.setenv("CML_COMMENT_PUBLISH", "false")
    assert cml(capsys, "comment", "update", "report.md")[0] == 0
    posted = (ws / "cml-report" / "report.md").read_text(encoding="utf-8")
    assert posted == "![p](pic.png)\n\n<!-- cml-action:key=from-env -->"
    assert cml(capsys, "comment", "update", "report.md", "--watermark-title", "from-flag", "--publish")[0] == 0
    posted = (ws / "cml-report" / "report.md").read_text(encoding="utf-8")
    assert posted == f"![p](images/{only_image(ws).name})\n\n<!-- cml-action:key=from-flag -->"


def test_a_report_outside_the_workspace_uses_the_images_beside_it(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "plot.png").write_bytes(png())
    (outside / "report.md").write_text("![plot](plot.png) ![no](../ws/README.md)\n", encoding="utf-8")
    assert cml(capsys, "comment", "create", str(outside / "report.md"))[0] == 0
    posted = (ws / "cml-report" / "report.md").read_text(encoding="utf-8")
    assert posted == f"![plot](images/{only_image(ws).name}) ![no](../ws/README.md)\n\n{DEFAULT_MARKER}"


def _shell(ws: Path, line: str) -> subprocess.CompletedProcess[str]:
    """One `run:` line of a workflow, with this venv's commands (dvc, cml-publish, vl2png) on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True, cwd=ws, env=env,
                          timeout=120, check=False)  # fmt: skip


def _dvc_project_with_loss_curve(ws: Path) -> None:
    assert _shell(ws, "dvc init -q").returncode == 0
    commit_files(ws, {"loss.csv": "loss\n0.9\n0.5\n0.3\n"})
    (ws / "loss.csv").write_text("loss\n0.8\n0.4\n0.2\n", encoding="utf-8")


def test_the_seeds_vega_line_publishes_the_rendered_chart(ws: Path) -> None:
    """CML's README: `dvc plots diff --target loss.csv --show-vega master | cml-publish --md >> report.md`."""
    _dvc_project_with_loss_curve(ws)
    done = _shell(ws, "dvc plots diff --target loss.csv --show-vega HEAD | cml-publish --md >> report.md")
    assert done.returncode == 0, done.stderr
    image = only_image(ws)
    assert (ws / "report.md").read_text(encoding="utf-8") == f"![]({image.resolve()})\n"
    with Image.open(image) as chart:
        assert chart.format == "PNG" and chart.width > 300  # the chart, rendered (not the JSON refused)


def test_vl2png_and_vl2svg_work_as_vega_cli_did(ws: Path) -> None:
    """CML's image shipped vega-cli: `vl2png vega.json -s 1.5 | cml-publish --md` keeps working."""
    _dvc_project_with_loss_curve(ws)
    assert _shell(ws, "dvc plots diff --targets loss.csv --show-vega HEAD > vega.json").returncode == 0
    done = _shell(ws, "vl2png vega.json -s 1.5 | cml-publish --md")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"![]({only_image(ws).resolve()})\n"
    assert _shell(ws, "vl2png vega.json chart.png && vl2svg --header < vega.json > chart.svg").returncode == 0
    assert (ws / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (ws / "chart.svg").read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="utf-8"?>\n<svg')
    refused = _shell(ws, "vl2png README.md")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.strip().splitlines() == ["error: vl2png: the input is not a Vega-Lite or Vega JSON spec"]


def test_cml_publish_works_outside_a_git_repository(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "plot.png").write_bytes(png())
    done = _shell(folder, "cml-publish plot.png --md")
    assert done.returncode == 0, done.stderr
    [image] = (folder / "cml-report" / "images").iterdir()
    assert done.stdout == f"![]({image.resolve()})\n"


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (": > empty.md && cml-send-comment empty.md", "'empty.md' is empty: there is no report to post"),
        ("printf '\\n  \\n' > blank.md && cml comment create blank.md", "'blank.md' is empty"),
        ("echo '{\"added\": 5}' | cml-files", "dvc diff output: 'added' is not a list"),
        ("cml metrics diff --precision -1", "--precision: -1 is below 0"),
    ],
)
def test_bad_input_to_a_command_is_one_line(ws: Path, line: str, error: str) -> None:
    done = _shell(ws, line)
    assert (done.returncode, done.stdout) == (1, "")
    [printed] = done.stderr.splitlines()
    assert printed.startswith(f"error: {error}"), printed
    assert not (ws / "cml-report" / "report.md").exists()  # nothing was posted


def test_cmls_legacy_variables_are_read_and_modern_ones_win(ws: Path) -> None:
    """CML's older commands took options from CML_SEND_COMMENT_*, CML_PUBLISH_*, CML_SEND_GITHUB_CHECK_*."""
    (ws / "plot.png").write_bytes(png())
    done = _shell(ws, "CML_PUBLISH_MD=true CML_PUBLISH_TITLE=legacy cml-publish plot.png")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f'![]({only_image(ws).resolve()} "legacy")\n'
    done = _shell(ws, "CML_PUBLISH_MD=true CML_PUBLISH_TITLE=legacy CML_ASSET_TITLE=modern cml publish plot.png")
    assert done.stdout == f'![]({only_image(ws).resolve()} "modern")\n', done.stderr
    (ws / "report.md").write_text("first\n", encoding="utf-8")
    assert _shell(ws, "CML_SEND_COMMENT_WATERMARK_TITLE=nightly cml-send-comment report.md").returncode == 0
    (ws / "report.md").write_text("second\n", encoding="utf-8")
    legacy = "CML_SEND_COMMENT_UPDATE=true CML_SEND_COMMENT_WATERMARK_TITLE=nightly"
    done = _shell(ws, f"{legacy} cml-send-comment report.md")
    assert done.returncode == 0, done.stderr
    posted = (ws / "cml-report" / "report.md").read_text(encoding="utf-8")
    assert posted == "second\n\n<!-- cml-action:key=nightly -->"
