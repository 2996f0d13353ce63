"""The command lines of CML's early README (the document the product was described from, `shared/seed/`), run as
a workflow's `run:` block on each forge: what ends up in the posted report.

The seed's DVC lines use DVC 1's spellings; DVC 3 renamed `--show-md` to `--md` and `--show-json` to `--json`
(docs/coming-from-cml.md says so), so those two flags are the only change. `--target` is still accepted by DVC 3
as an abbreviation of `--targets`, and `repo_token` is how the seed passes the token.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.compat_support import PR, pull_request_job_env
from tests.fakes.github import FakeGitHub
from tests.fakes.github.fixtures import fake_github  # noqa: F401  (fixture)
from tests.fakes.gitlab.fixtures import fake_gitlab, gitlab_env  # noqa: F401  (fixture)
from tests.fakes.gitlab.server import FakeGitLab
from tests.gitutil import commit_files, init_repo

BIN = Path(sys.executable).parent
TRAIN = """\
import json
from PIL import Image
open("results.txt", "w").write("Accuracy: 0.9\\n")
Image.new("RGB", (64, 48), (20, 120, 200)).save("graph.png")
json.dump({"acc": 0.9}, open("metrics.json", "w"))
open("loss.csv", "w").write("loss\\n0.8\\n0.4\\n0.2\\n")
open("data.csv", "w").write("x\\n1\\n2\\n")
"""
# The seed's lines, in its order (README "Using CML with DVC" and the getting-started workflow).
SEED_RUN = """\
set -euo pipefail
python train.py
cat results.txt >> report.md
cml-publish graph.png --md >> report.md
cml-send-github-check report.md
BASELINE=HEAD
dvc metrics diff --md "$BASELINE" >> report.md
dvc diff --json "$BASELINE" | cml-files >> report.md
dvc plots diff --target loss.csv --show-vega "$BASELINE" | cml-publish --md >> report.md
cml-send-comment report.md
"""


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def _project(tmp_path: Path) -> Path:
    ws = init_repo(tmp_path / "ws")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["dvc", "init", "-q"], cwd=ws, env=env, check=True)
    (ws / "data.csv").write_text("x\n1\n", encoding="utf-8")
    subprocess.run(["dvc", "add", "-q", "data.csv"], cwd=ws, env=env, check=True)
    commit_files(ws, {"train.py": TRAIN, "dvc.yaml": "metrics:\n  - metrics.json\n", "metrics.json": '{"acc": 0.8}',
                      "loss.csv": "loss\n0.9\n0.5\n0.3\n"}, message="baseline")  # fmt: skip
    return ws


def _run(ws: Path, env: dict[str, str], extra_shell: str = "") -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR")}
    base["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    script = SEED_RUN.replace("python train.py", f"python train.py && dvc add -q data.csv{extra_shell}")
    return subprocess.run(["bash", "-c", script], cwd=ws, env={**base, "CML_WRITE_INTERVAL": "0", **env},
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def _assert_report(body: str, image_link: str) -> None:
    """What a reviewer sees: the results text, both images, DVC's metrics table and the files changed."""
    assert body.startswith("Accuracy: 0.9\n")
    assert len(re.findall(r"!\[\]\(" + image_link, body)) == 2, body  # graph.png and the rendered loss curve
    assert "| metrics.json | acc      | 0.8    | 0.9         | 0.1      |" in body, body
    assert (
        "<details><summary>Files changed (1)</summary>" in body
        and "| Status | Path |\n|---|---|\n| modified | <code>data.csv</code> |\n" in body
    )
    assert "</details>\n\n![](" in body  # what follows the section renders as markdown, not inside the HTML block


def test_the_seed_on_the_local_forge(tmp_path: Path) -> None:
    ws = _project(tmp_path)
    done = _run(ws, {})
    assert done.returncode == 0, done.stderr
    _assert_report((ws / "cml-report" / "report.md").read_text(encoding="utf-8"), "images/[0-9a-f]{64}\\.png")


def test_the_seed_on_github(fake_github: FakeGitHub, tmp_path: Path) -> None:  # noqa: F811
    gh = fake_github
    head = gh.add_commit(gh.repo, {"train.py": b"1\n"}, message="Train")
    gh.add_pull(gh.repo, head_sha=head, number=PR, base_sha=gh.main_sha)
    ws = _project(tmp_path)
    env = pull_request_job_env(gh, head, ws, tmp_path / "event.json") | {"repo_token": gh.app_token}  # the seed's
    done = _run(ws, env)
    assert done.returncode == 0, done.stderr
    [comment] = gh.issue_comments(gh.repo, PR)
    link = re.escape(f"{gh.server_url}/{gh.repo}/blob/") + "[0-9a-f]{40}/cml/[0-9a-f]{2}/[0-9a-f]{64}\\.png\\?raw=true"
    _assert_report(str(comment["body"]), link)
    [check] = gh.check_runs(gh.repo)
    assert check["name"] == "CML Report" and str(check["output"]["summary"]).startswith("Accuracy: 0.9\n![](")
    assert gh.app_token not in done.stdout + done.stderr


def test_the_seed_on_gitlab(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:  # noqa: F811
    lab = fake_gitlab
    ws = _project(tmp_path)
    done = _run(ws, gitlab_env(lab, CI_PROJECT_DIR=str(ws)))
    assert done.returncode == 0, done.stderr
    notes = [note for note in lab.mr_notes() if not note.get("system")]
    report = [note for note in notes if "cml-action:key=cml -->" in str(note["body"])]
    assert len(report) == 1, notes
    link = re.escape(f"{lab.server_url}/{lab.project_path}") + "/uploads/[0-9a-f]{16,64}/[0-9a-f]{64}\\.png"
    _assert_report(str(report[0]["body"]), link)
    [status] = lab.statuses()
    assert (status["name"], status["status"]) == ("CML Report", "success")


@pytest.mark.parametrize("old_flag", ["--show-md", "--show-json"])
def test_dvc_3_refuses_dvc_1s_spellings_so_the_docs_say_so(old_flag: str) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "coming-from-cml.md").read_text(encoding="utf-8")
    assert f"`{old_flag}` is now `--{old_flag.split('-')[-1]}`" in doc
