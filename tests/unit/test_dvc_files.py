"""The "Files changed" section from `dvc diff --json`, and `cml-files`' markdown from piped JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cml_action.dvc import runner
from cml_action.dvc.files import files_changed, files_markdown_from_json
from cml_action.errors import CmlError
from tests.dvc_support import needs_dvc, shared_dvc_project

H1, H2, H3 = "a" * 32, "b" * 32, "c" * 28 + ".dir"

SAMPLE = {
    "added": [{"path": "data/new.csv", "hash": H1}],
    "deleted": [{"path": "old.bin", "hash": H2}],
    "modified": [{"path": "model.pkl", "hash": {"old": H1, "new": H2}}],
    "renamed": [{"path": {"old": "a.txt", "new": "b.txt"}, "hash": H3}],
    "not in cache": [{"path": "model.pkl"}],
}


def test_every_status_with_short_hashes_in_dvc_order() -> None:
    assert files_markdown_from_json(json.dumps(SAMPLE)) == (
        "<details><summary>Files changed (4)</summary>\n"
        "\n"
        "| Status | Path | Hash |\n"
        "|---|---|---|\n"
        "| added | <code>data/new.csv</code> | <code>aaaaaaaa</code> |\n"
        "| deleted | <code>old.bin</code> | <code>bbbbbbbb</code> |\n"
        "| modified | <code>model.pkl</code> | <code>aaaaaaaa</code> → <code>bbbbbbbb</code> |\n"
        "| renamed | <code>a.txt</code> → <code>b.txt</code> | <code>cccccccc</code> |\n"
        "\n"
        "Not in the DVC cache (hash from dvc.lock only): <code>model.pkl</code>\n"
        "\n"
        "</details>\n"
    )


def test_output_without_hashes_from_plain_dvc_diff_json() -> None:
    text = json.dumps({"added": [], "deleted": [], "modified": [{"path": "data.txt"}], "renamed": []})
    # No hash anywhere (plain `dvc diff --json`): no Hash column rather than an empty one.
    assert "| Status | Path |\n|---|---|\n| modified | <code>data.txt</code> |\n" in files_markdown_from_json(text)


def test_paths_are_escaped() -> None:
    text = json.dumps({"added": [{"path": "x|y<script>&`z`.csv"}]})
    assert "| added | <code>x&#124;y&lt;script&gt;&amp;`z`.csv</code> |\n" in files_markdown_from_json(text)


def test_long_lists_are_capped_with_a_more_line() -> None:
    text = json.dumps({"added": [{"path": f"f{i:03}.csv"} for i in range(105)]})
    markdown = files_markdown_from_json(text)
    assert "<summary>Files changed (105)</summary>" in markdown
    assert markdown.count("| added |") == 100
    assert "<code>f099.csv</code>" in markdown and "<code>f100.csv</code>" not in markdown
    assert "\n… 5 more\n" in markdown


def test_nothing_changed_says_so() -> None:
    assert files_markdown_from_json("{}") == (
        "<details><summary>Files changed (0)</summary>\n\nNo DVC-tracked file changed.\n\n</details>\n"
    )


@pytest.mark.parametrize("text", ["not json", "[1, 2]"])
def test_bad_input_is_one_clear_error(text: str) -> None:
    with pytest.raises(CmlError, match=r"JSON|dvc diff"):
        files_markdown_from_json(text)


def test_without_dvc_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(runner, "find_dvc", lambda: None)
    with pytest.raises(CmlError) as caught:
        files_changed(tmp_path, "HEAD")
    assert str(caught.value) == (
        "dvc-diff is true but DVC is not installed (pip install 'cml-action[dvc]' or use the cml-action image)"
    )


@needs_dvc
@pytest.mark.dvc
def test_dvc_diff_of_the_generated_project(tmp_path_factory: pytest.TempPathFactory) -> None:
    repo = shared_dvc_project(tmp_path_factory)
    markdown = files_changed(repo, "HEAD~1")
    rows = [line for line in markdown.splitlines() if line.startswith("| modified")]
    # The cached outputs changed between v=0.5 and v=0.8; the cache:false plot is git's business, not DVC's.
    assert [row.split(" | ")[1] for row in rows] == [
        "<code>data.txt</code>",
        "<code>eval/cached.json</code>",
        "<code>eval/metrics.json</code>",
    ]
    assert all(row.count("<code>") == 3 and " → " in row for row in rows)  # path, old hash → new hash
    assert markdown.startswith("<details><summary>Files changed (3)</summary>")
    with pytest.raises(CmlError, match=r"^dvc diff failed: "):
        files_changed(repo, "no-such-rev")


@needs_dvc
@pytest.mark.dvc
def test_files_changed_compares_the_committed_states_not_the_unpulled_working_tree(tmp_path: Path) -> None:
    from tests.monorepo_support import make_monorepo

    mono = make_monorepo(tmp_path)
    (mono.project / "model.pkl").unlink()  # the job did not pull the model
    markdown = files_changed(mono.project, mono.base)
    rows = [line.split(" | ")[:2] for line in markdown.splitlines() if line.startswith("| ") and "<code>" in line]
    # The model changed between the commits (modified), and is not "deleted" because this job did not pull it.
    assert rows == [["| modified", "<code>eval/metrics.json</code>"], ["| modified", "<code>model.pkl</code>"]]
    assert "deleted" not in markdown
