"""publish.ReportWriter: report.md and the job summary written early, then replaced (not appended) once the
published links are known; what earlier steps wrote to the summary is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_action.publish import ReportWriter
from cml_action.report.assemble import ReportParts, assemble


def report(image_md: str = "") -> ReportParts:
    return ReportParts(images_md=image_md)


def test_a_second_write_replaces_ours_and_keeps_earlier_steps_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# Tests\n\n12 passed\n", encoding="utf-8")  # an earlier step of the same job
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    writer = ReportWriter(tmp_path / "out", summary=True)
    local, published = report("![plot](images/ab.png)"), report("![plot](https://example.com/ab.png)")
    writer.write(local)
    assert summary.read_text(encoding="utf-8") == "# Tests\n\n12 passed\n" + assemble(local)
    writer.write(published)
    assert summary.read_text(encoding="utf-8") == "# Tests\n\n12 passed\n" + assemble(published)
    assert writer.path.read_text(encoding="utf-8") == assemble(published)
    assert "https://example.com/ab.png" in assemble(published)


def test_without_summary_only_the_report_file_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    writer = ReportWriter(tmp_path / "out", summary=False)
    writer.write(report())
    writer.write(report("again"))
    assert not summary.exists()
    assert writer.path.read_text(encoding="utf-8") == assemble(report("again"))


def test_the_core_asks_the_forges_traits_never_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    from cml_action import forges
    from cml_action.context import RunContext
    from cml_action.forges.base import Traits
    from cml_action.inputs import parse_settings
    from cml_action.publish import wants_note

    # A new forge is one module plus one line where forges are chosen; nothing in the core names it.
    module = types.ModuleType("bitbucket_forge")
    module.BitbucketForge = type("BitbucketForge", (), {"traits": Traits(False, "Pipeline", False, False)})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bitbucket_forge", module)
    monkeypatch.setitem(forges._CLASSES, "bitbucket", ("bitbucket_forge", "BitbucketForge"))
    check_only = parse_settings({"INPUT_SEND-AS": "check"})
    assert wants_note(check_only, RunContext(forge="bitbucket", workspace=Path("."), head_sha=""))
    assert not wants_note(check_only, RunContext(forge="github", workspace=Path("."), head_sha=""))
