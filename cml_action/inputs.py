"""THE input schema: every input of the action, its type, default and help.

action.yml, the GitLab component's `spec:inputs` and the CLI flags are all derived from (and tested against)
this one table, so they cannot drift. Values come from, in order of precedence:

1. CLI flags (`--metrics-precision 3`),
2. GitHub action env (`INPUT_METRICS-PRECISION`: upper-cased, hyphens kept, as the runner sets them),
3. GitLab / CLI env (`CML_METRICS_PRECISION`: upper-cased, hyphens to underscores),
4. the default below.

An empty value counts as unset: the GitHub runner passes every declared input, blank when the user gave none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from cml_action.errors import InputError


class Kind(Enum):
    STRING = "string"
    PATHS = "paths"  # newline/comma separated paths or globs
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"
    TEXT = "text"  # free multi-line text (thresholds)
    SECRET = "secret"


@dataclass(frozen=True)
class Input:
    name: str
    kind: Kind
    default: str
    help: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    # Where the input exists: CLI-only inputs are not in action.yml or the GitLab template.
    in_action: bool = True
    # action.yml default differs for GitHub (e.g. token: ${{ github.token }}).
    github_default: str | None = None
    # A line holding `key=value` options is one entry: its commas belong to the options (`plots: f x=a y=b,c`).
    options_per_line: bool = False

    @property
    def github_env(self) -> str:
        return "INPUT_" + self.name.upper()

    @property
    def cml_env(self) -> str:
        return "CML_" + self.name.upper().replace("-", "_")

    @property
    def flag(self) -> str:
        return "--" + self.name


SEND_AS = ("comment", "check", "both", "none")
COMMENT_MODES = ("update", "create", "recreate")
FORGES = ("auto", "local", "github", "gitlab")
STORE_MODES = ("auto", "off")

SCHEMA: tuple[Input, ...] = (
    Input("report", Kind.PATHS, "", "Markdown file(s) that open the report, in order (newlines or commas; globs)."),
    Input("title", Kind.STRING, "CML Report", "Report heading; also the check-run name and GitLab status name."),
    Input("images", Kind.PATHS, "", "Images to publish and append to the report; alt text from the file name."),
    Input(
        "metrics",
        Kind.PATHS,
        "auto",
        "Metric files (JSON, YAML, TOML, CSV, TSV). 'auto': the metrics declared in dvc.yaml, if any.",
    ),
    Input(
        "baseline",
        Kind.STRING,
        "auto",
        "Git ref to compare metrics and plots against. 'auto': PR merge-base, push 'before', else HEAD~1.",
    ),
    Input("metrics-precision", Kind.INT, "5", "Decimal places shown for metric values.", minimum=0),
    Input("metrics-all", Kind.BOOL, "false", "Also list metrics that did not change."),
    Input(
        "thresholds",
        Kind.TEXT,
        "",
        "Regression gates, one per line: '<metric glob> min|max|max-drop|max-rise <number>[%]'.",
    ),
    Input(
        "fail-on-regression",
        Kind.BOOL,
        "false",
        "Fail the step (after publishing) when a gate trips or judged nothing (a new metric without baseline aside).",
    ),
    Input(
        "plots",
        Kind.PATHS,
        "",
        "Plot data files (CSV/TSV/JSON) or DVC plot ids, drawn baseline vs current. Name a file's axes on its own "
        "line: 'loss.csv x=step y=loss,val_loss' (x one column, y one or more; like DVC's x/y plot properties).",
        options_per_line=True,
    ),
    Input("dvc-diff", Kind.BOOL, "false", "Add a 'Files changed' section from 'dvc diff' against the baseline."),
    Input(
        "send-as",
        Kind.CHOICE,
        "comment",
        "Where the report goes: comment, check, both, or none (job summary, outputs and report file only).",
        choices=SEND_AS,
    ),
    Input("target", Kind.STRING, "auto", "auto, pr, commit, pr/N, issue/N or commit/SHA."),
    Input(
        "comment-mode",
        Kind.CHOICE,
        "update",
        "update: edit this report's comment in place; create: always a new one; recreate: delete, then create.",
        choices=COMMENT_MODES,
    ),
    Input(
        "key",
        Kind.STRING,
        "{workflow}/{job}",
        "Identity of a sticky report; placeholders {workflow}, {job}, {run}. Use distinct keys in a matrix.",
    ),
    Input(
        "publish-images",
        Kind.BOOL,
        "true",
        "Publish local images (and local or data: images referenced in the markdown) to the forge.",
    ),
    Input("assets-branch", Kind.STRING, "cml-assets", "GitHub branch that stores published images."),
    Input("max-image-width", Kind.INT, "1600", "Wider images are downscaled to this width (aspect kept).", minimum=16),
    Input("summary", Kind.BOOL, "true", "Also write the report to the GitHub job summary."),
    Input("fetch-baseline", Kind.BOOL, "true", "Fetch the baseline commit when a shallow clone lacks it."),
    Input("head-sha", Kind.STRING, "", "Commit to report on (default: from the event)."),
    Input(
        "working-directory",
        Kind.STRING,
        ".",
        "The project folder inside the workspace (monorepos): relative paths in other inputs, dvc.yaml and DVC "
        "commands start there.",
    ),
    Input(
        "params",
        Kind.PATHS,
        "auto",
        "Params files diffed like 'dvc params diff' (YAML, JSON, TOML, Python). 'auto': the params dvc.yaml "
        "declares, else params.yaml; 'none': no params section.",
    ),
    Input(
        "token",
        Kind.SECRET,
        "",
        "Forge token. GitHub: the workflow token by default. GitLab: a project access token with 'api' scope.",
        github_default="${{ github.token }}",
    ),
    Input(
        "from-run",
        Kind.STRING,
        "",
        "In a workflow_run job: publish the report bundle a fork PR run uploaded (artifact 'cml-report-bundle'), "
        "e.g. ${{ github.event.workflow_run.id }}. Needs 'actions: read'; this job's files are not read.",
    ),
    Input(
        "store",
        Kind.CHOICE,
        "auto",
        "Results store (docs/store.md): 'auto' records this run's results on the assets branch where the token can "
        "write, and reads stored results for baselines, trends and group comments; 'off' neither reads nor writes.",
        choices=STORE_MODES,
    ),
    Input("history", Kind.INT, "100", "Results kept per branch in the store's index (trends, last run of a PR).",
          minimum=1),
    Input(
        "group",
        Kind.STRING,
        "",
        "Jobs sharing a group (distinct keys, e.g. a matrix) publish ONE comment: a summary table, then each job's "
        "section. Empty: one comment per key.",
    ),
    Input(
        "compare-previous",
        Kind.BOOL,
        "false",
        "On a pull request, add a column with the change since this pull request's previous stored run.",
    ),
    Input(
        "trend-plots",
        Kind.PATHS,
        "",
        "Metric globs ('file:metric' or 'metric', as in thresholds) drawn as a trend chart over the default "
        "branch's last 20 stored runs: this run highlighted, min/max gates as rules (docs/store.md#trends).",
    ),
    # CLI-only settings.
    Input("forge", Kind.CHOICE, "auto", "Forge to publish to: auto (from the CI env), local, github, gitlab.",
          choices=FORGES, in_action=False),
    Input("output-dir", Kind.STRING, "", "Folder for report.md (local forge: also report.html and images). Default: "
          "cml-report; on GitHub a fresh folder under RUNNER_TEMP, so nothing lands in the workspace unasked.",
          in_action=False),
)  # fmt: skip

BY_NAME: Mapping[str, Input] = {spec.name: spec for spec in SCHEMA}

OUTPUTS: tuple[tuple[str, str], ...] = (
    ("comment-url", "URL of the report comment (empty when none was posted)."),
    ("comment-id", "ID of the report comment."),
    ("check-url", "URL of the check run (GitHub) or commit status (GitLab)."),
    (
        "report-file",
        "Path of the final report markdown for later steps (on GitHub under RUNNER_TEMP, given relative "
        "to the workspace from the Docker action).",
    ),
    ("regressions", "Number of tripped gates."),
    (
        "bundle",
        "Folder of the report bundle when a pull request run could not publish (fork PRs): upload it as "
        "artifact 'cml-report-bundle' for a from-run job. Empty otherwise.",
    ),
)

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True)
class Settings:
    """Parsed, typed inputs. Paths are still unresolved patterns; the workspace resolves them."""

    report: tuple[str, ...] = ()
    title: str = "CML Report"
    images: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ("auto",)
    baseline: str = "auto"
    metrics_precision: int = 5
    metrics_all: bool = False
    thresholds: str = ""
    fail_on_regression: bool = False
    plots: tuple[str, ...] = ()
    dvc_diff: bool = False
    send_as: str = "comment"
    target: str = "auto"
    comment_mode: str = "update"
    key: str = "{workflow}/{job}"
    publish_images: bool = True
    assets_branch: str = "cml-assets"
    max_image_width: int = 1600
    summary: bool = True
    fetch_baseline: bool = True
    head_sha: str = ""
    working_directory: str = "."
    params: tuple[str, ...] = ("auto",)
    from_run: str = ""
    store: str = "auto"
    history: int = 100
    group: str = ""
    compare_previous: bool = False
    trend_plots: tuple[str, ...] = ()
    token: str = field(default="", repr=False)
    forge: str = "auto"
    output_dir: str = ""  # "": runner_paths.report_folder decides

    @property
    def wants_comment(self) -> bool:
        return self.send_as in ("comment", "both")

    @property
    def wants_check(self) -> bool:
        return self.send_as in ("check", "both")


def split_list(raw: str, *, options_per_line: bool = False) -> tuple[str, ...]:
    """Newline- or comma-separated list; blank entries dropped, order kept."""
    items = (
        part.strip()
        for line in raw.splitlines()
        for part in ([line] if options_per_line and "=" in line else line.split(","))
    )
    return tuple(item for item in items if item)


def _convert(spec: Input, raw: str, label: str = "") -> object:
    if spec.kind is Kind.PATHS:
        items = split_list(raw, options_per_line=spec.options_per_line)
        if spec.options_per_line:
            from cml_action.plots.entry import parse_entry

            for item in items:
                parse_entry(item)  # bad syntax fails here, before anything is published
        return items
    if spec.kind is Kind.INT:
        try:
            value = int(raw.strip())
        except ValueError:
            problem = f"'{raw.strip()}' is not a whole number"
            raise InputError(spec.name, problem, f"use e.g. {spec.default}", label=label) from None
        if spec.minimum is not None and value < spec.minimum:
            problem = f"{value} is below the minimum {spec.minimum}"
            raise InputError(spec.name, problem, f"use {spec.minimum} or more", label=label)
        return value
    if spec.kind is Kind.BOOL:
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InputError(spec.name, f"'{raw.strip()}' is not a boolean", "use true or false", label=label)
    if spec.kind is Kind.CHOICE:
        value_s = raw.strip().lower()
        if value_s not in spec.choices:
            fix = "use one of: " + ", ".join(spec.choices)
            raise InputError(spec.name, f"unknown value '{raw.strip()}'", fix, label=label)
        return value_s
    if spec.kind is Kind.TEXT:
        return raw
    return raw.strip()


def raw_value(spec: Input, env: Mapping[str, str], flags: Mapping[str, str]) -> str:
    """The first non-empty source in precedence order, else the default."""
    for candidate in (flags.get(spec.name), env.get(spec.github_env), env.get(spec.cml_env)):
        if candidate is not None and candidate.strip() != "":
            return candidate
    return spec.default


def value_label(spec: Input, env: Mapping[str, str], flags: Mapping[str, str]) -> str:
    """How an error names the value it is about: the flag or variable it came from on a command line; in the
    action, the input (GitLab's component passes its `inputs:` as CML_* variables: the user wrote the input)."""
    from cml_action.surface import current

    if (flags.get(spec.name) or "").strip():
        return spec.flag
    if (
        current().command_line
        and not (env.get(spec.github_env) or "").strip()
        and (env.get(spec.cml_env) or "").strip()
    ):
        return spec.cml_env
    return current().setting(spec.name)


def parse_settings(env: Mapping[str, str], flags: Mapping[str, str] | None = None) -> Settings:
    """Parse every input; the first bad value raises InputError naming it as the user gave it."""
    given = flags or {}
    unknown = sorted(set(given) - set(BY_NAME))
    if unknown:
        raise InputError(unknown[0], "is not an input of cml-action", "see 'cml report --help'")
    values = {
        spec.name.replace("-", "_"): _convert(spec, raw_value(spec, env, given), value_label(spec, env, given))
        for spec in SCHEMA
    }
    return Settings(**values)  # type: ignore[arg-type]


def add_cli_flags(parser: object, names: Sequence[str] | None = None) -> None:
    """Add `--name` flags for the schema (or a subset) to an argparse parser; values stay raw strings."""
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    for spec in SCHEMA:
        if names is not None and spec.name not in names:
            continue
        extra = f" Choices: {', '.join(spec.choices)}." if spec.choices else ""
        default_note = f" Default: {spec.default!r}." if spec.default and spec.kind is not Kind.SECRET else ""
        # argparse formats help with %: a literal one (thresholds' "<number>[%]") must be doubled.
        text = (spec.help + extra + default_note).replace("%", "%%")
        parser.add_argument(spec.flag, dest=spec.name, default=None, metavar=spec.kind.value.upper(), help=text)


def flags_from_namespace(namespace: object) -> dict[str, str]:
    """The flags the user actually gave, as raw strings keyed by input name."""
    found = {}
    for spec in SCHEMA:
        value = getattr(namespace, spec.name, None)
        if value is not None:
            found[spec.name] = str(value)
    return found
