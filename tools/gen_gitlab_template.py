"""Write templates/report.yml (the GitLab CI/CD component) from THE input schema in cml_action/inputs.py.

    .venv/bin/python tools/generate.py [--check]  # writes (or checks) every generated file

The component's `spec:inputs` mirrors every input with `in_action=True` (same names and defaults; `options:` for
choices, `type: boolean` / `type: number` with typed defaults), plus `stage`, `image` and `job-name`. The job body
maps each input to its `CML_*` variable, except `token`, which goes to `INPUT_TOKEN`: an empty input must not
shadow the masked `CML_TOKEN` CI/CD variable (settings read INPUT_TOKEN first, then CML_TOKEN).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cml_action.inputs import SCHEMA, Input, Kind  # noqa: E402

TEMPLATE = ROOT / "templates" / "report.yml"
DEFAULT_IMAGE = "ghcr.io/iterative/cml-action:v1"
HIDDEN_JOB = ".cml-report"
OUTPUT_DIR = "cml-report"  # the CLI-only `output-dir` default: report.md and images, kept as job artifacts
TOKEN_VARIABLE = "INPUT_TOKEN"

EXTRA_INPUTS = (
    ("stage", "test", "Stage of the report job."),
    ("image", DEFAULT_IMAGE, "Container image that runs `cml report` (pin a release, e.g. :v1.2.0, to freeze it)."),
    ("job-name", "cml-report", "Name of the job (give each include its own when you include the component twice)."),
)

HEADER = f"""\
# cml-action as a GitLab CI/CD component: publish a CML report (metrics diff, plots, gates) to the merge request.
#
#   include:
#     - component: $CI_SERVER_FQDN/iterative/cml-action/report@1
#       inputs: {{ report: report.md, metrics: eval/metrics.json }}
#
# Store a project access token with the `api` scope as a masked CI/CD variable named CML_TOKEN (the job token
# cannot post notes). Extend `{HIDDEN_JOB}` to run your own steps first. See docs/gitlab.md.
# Generated from cml_action/inputs.py by tools/gen_gitlab_template.py; do not edit by hand.
"""


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def variable_for(spec: Input) -> str:
    return TOKEN_VARIABLE if spec.kind is Kind.SECRET else spec.cml_env


def spec_lines(spec: Input) -> list[str]:
    lines = [f"    {spec.name}:"]
    if spec.kind is Kind.BOOL:
        lines += ["      type: boolean", f"      default: {spec.default}"]
    elif spec.kind is Kind.INT:
        lines += ["      type: number", f"      default: {int(spec.default)}"]
    else:
        lines.append(f"      default: {quoted(spec.default)}")
    if spec.choices:
        lines.append(f"      options: [{', '.join(quoted(choice) for choice in spec.choices)}]")
    help_text = spec.help
    if spec.kind is Kind.SECRET:
        help_text += " Leave empty to use the masked CI/CD variable CML_TOKEN (or REPO_TOKEN, GITLAB_TOKEN)."
    lines.append(f"      description: {quoted(help_text)}")
    return lines


def render() -> str:
    inputs = [spec for spec in SCHEMA if spec.in_action]
    out = [HEADER.rstrip("\n"), "spec:", "  inputs:"]
    for name, default, help_text in EXTRA_INPUTS:
        out += [f"    {name}:", f"      default: {quoted(default)}", f"      description: {quoted(help_text)}"]
    for spec in inputs:
        out += spec_lines(spec)
    out += [
        "---",
        "# An anchor, not `extends:`: each include of the component keeps its own inputs even when several are",
        f"# included (the hidden job itself is shared, so extend `{HIDDEN_JOB}` from a single include).",
        f"{HIDDEN_JOB}: &cml-report",
        "  stage: $[[ inputs.stage ]]",
        "  image:",
        "    name: $[[ inputs.image ]]",
        '    entrypoint: [""]',
        "  variables:",
        "    CML_FORGE: gitlab",
    ]
    out += [f"    {variable_for(spec)}: {quoted('$[[ inputs.' + spec.name + ' ]]')}" for spec in inputs]
    out += [
        "  script:",
        "    - cml report",
        "  artifacts:",
        "    name: cml-report",
        "    when: always",
        "    expire_in: 30 days",
        "    paths:",
        f"      - {OUTPUT_DIR}/",
        "",
        "$[[ inputs.job-name ]]:",
        "  <<: *cml-report",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":  # every generated file is written (or checked) by one command
    sys.path.insert(0, str(ROOT / "tools"))
    from generate import main

    raise SystemExit(main(sys.argv[1:]))
