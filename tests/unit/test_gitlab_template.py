"""The GitLab CI/CD component (templates/report.yml) against THE input schema, both ways, and GitLab's CI schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cml_action.inputs import SCHEMA, Kind

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "report.yml"
EXTRA = {"stage": "test", "image": "ghcr.io/iterative/cml-action:v1", "job-name": "cml-report"}
ACTION_INPUTS = [spec for spec in SCHEMA if spec.in_action]


def documents() -> tuple[dict[str, Any], dict[str, Any]]:
    header, body = yaml.safe_load_all(TEMPLATE.read_text(encoding="utf-8"))
    return header, body


def spec_inputs() -> dict[str, dict[str, Any]]:
    inputs: dict[str, dict[str, Any]] = documents()[0]["spec"]["inputs"]
    return inputs


def hidden_job() -> dict[str, Any]:
    job: dict[str, Any] = documents()[1][".cml-report"]
    return job


def test_spec_inputs_are_exactly_the_schema_inputs_plus_stage_image_job_name() -> None:
    assert set(spec_inputs()) == {spec.name for spec in ACTION_INPUTS} | set(EXTRA)
    assert "forge" not in spec_inputs() and "output-dir" not in spec_inputs()  # CLI-only


@pytest.mark.parametrize("spec", ACTION_INPUTS, ids=lambda spec: spec.name)
def test_each_input_keeps_the_schema_default_type_and_options(spec: Any) -> None:
    declared = spec_inputs()[spec.name]
    if spec.kind is Kind.BOOL:
        assert declared["type"] == "boolean"
        assert declared["default"] is (spec.default == "true")
    elif spec.kind is Kind.INT:
        assert declared["type"] == "number"
        assert declared["default"] == int(spec.default) and isinstance(declared["default"], int)
    else:
        assert declared.get("type", "string") == "string"
        assert declared["default"] == spec.default
    assert declared.get("options", []) == list(spec.choices)
    assert declared["description"].startswith(spec.help)


def test_the_token_input_has_no_secret_default() -> None:
    assert spec_inputs()["token"]["default"] == ""


@pytest.mark.parametrize(("name", "default"), sorted(EXTRA.items()))
def test_component_only_inputs(name: str, default: str) -> None:
    assert spec_inputs()[name]["default"] == default


def test_every_input_maps_to_its_variable_and_every_variable_to_an_input() -> None:
    variables = hidden_job()["variables"]
    expected = {("INPUT_TOKEN" if spec.kind is Kind.SECRET else spec.cml_env): f"$[[ inputs.{spec.name} ]]"
                for spec in ACTION_INPUTS}  # fmt: skip
    expected["CML_FORGE"] = "gitlab"
    assert variables == expected


def test_the_job_runs_cml_report_in_the_image_with_its_entrypoint_cleared() -> None:
    job = hidden_job()
    assert job["script"] == ["cml report"]
    assert job["image"] == {"name": "$[[ inputs.image ]]", "entrypoint": [""]}
    assert job["stage"] == "$[[ inputs.stage ]]"
    assert job["artifacts"]["paths"] == ["cml-report/"] and job["artifacts"]["when"] == "always"


def test_the_named_job_is_the_hidden_job_with_every_key() -> None:
    body = documents()[1]
    assert set(body) == {".cml-report", "$[[ inputs.job-name ]]"}
    assert body["$[[ inputs.job-name ]]"] == body[".cml-report"]  # YAML merge of the anchor


def test_the_body_passes_gitlab_ci_json_schema(tmp_path: Path) -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    header, separator, body = text.partition("\n---\n")
    assert separator and "spec:" in header
    body_file = tmp_path / "body.yml"
    body_file.write_text(body, encoding="utf-8")
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run([str(checker), "--builtin-schema", "vendor.gitlab-ci", str(body_file)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_is_not_vacuous(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("job:\n  script: 5\n", encoding="utf-8")
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run([str(checker), "--builtin-schema", "vendor.gitlab-ci", str(broken)], capture_output=True)
    assert done.returncode == 1


def test_catalog_layout_has_the_component_under_templates_and_a_pointer_in_gitlab_dir() -> None:
    assert TEMPLATE.is_file()
    assert "templates/report.yml" in (ROOT / "gitlab" / "README.md").read_text(encoding="utf-8")
