"""A warning can quote a forge's answer, and an answer can echo the token (a proxy, an echo server): neither the
report nor the job log may carry it, whoever wrote the warning."""

from __future__ import annotations

import io
from pathlib import Path

from cml_action import workflow
from cml_action.baseline import Baseline
from cml_action.context import RunContext
from cml_action.media import MediaSet
from cml_action.redact import add_secret
from cml_action.render_parts import Parts, compose

TOKEN = "glpat-REDACTMEx7Kq2Vb9"


def test_a_warning_quoting_the_token_reaches_the_report_without_it(tmp_path: Path) -> None:
    add_secret(TOKEN)
    parts = Parts(title="CML Report", warnings=[f"trends left out: 401 Bad credentials: {TOKEN}"])
    ctx = RunContext(forge="local", workspace=tmp_path, head_sha="a" * 40)
    report = compose(parts, MediaSet(), {}, key="k", ctx=ctx, baseline=Baseline(None, "none"), local_dir=tmp_path)
    assert report.warnings == ("trends left out: 401 Bad credentials: ***",)


def test_an_annotation_quoting_the_token_is_printed_without_it() -> None:
    add_secret(TOKEN)
    out = io.StringIO()
    workflow.warning(f"results store: {TOKEN}", env={"GITHUB_ACTIONS": "true"}, stream=out)
    workflow.error(f"failed: {TOKEN}", env={}, stream=out)
    assert out.getvalue() == "::warning::results store: ***\nerror: failed: ***\n"
