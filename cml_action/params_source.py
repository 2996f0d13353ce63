"""The `params` input: read params files at both sides (working tree = current, `git show` at the baseline) and
render the "Params" section like `dvc params diff` run in the project folder.

`auto` follows DVC's own choice when `dvc params diff` has no targets: the params each dvc.yaml stage tracks
(`params: [lr, train]` means those keys of params.yaml; `- config.json: [model]` those of another file; a file
with no keys means all of it), the files of a top-level `params:` list, and all of `params.yaml` when present.
Each side uses its own dvc.yaml, as DVC does per revision. A list of files diffs each file whole; `none` is off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cml_action import gitrepo, workspace
from cml_action.dvc.project import DEFAULT_PARAMS_FILE, tracked_params
from cml_action.errors import CmlError
from cml_action.metrics_source import StoredLookup

if TYPE_CHECKING:
    from cml_action.report.diff import MetricsDiff

Tracked = dict[str, list[str]]  # params file -> key paths ([] = the whole file)
Reader = Callable[[str], str | None]  # text of a file relative to the project folder on one side, or None


Side = dict[str, Mapping[str, object] | None]


@dataclass(frozen=True)
class ParamsSection:
    markdown: str
    warnings: tuple[str, ...] = ()
    diff: MetricsDiff | None = None  # both sides, as compared (None when params are off)
    from_store: tuple[str, ...] = ()  # files whose baseline values came from the results store


def auto_params(read: Reader, *, deps_only: bool = False) -> Tracked:
    """What `dvc params diff` shows on one side: dvc.yaml's params, plus all of params.yaml when present; with
    `deps_only` (`--deps`) only the params that stages depend on."""
    import yaml

    text = read("dvc.yaml")
    try:
        document = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        document = None  # a broken dvc.yaml is reported by the sections that need it; params.yaml still counts
    if deps_only and isinstance(document, dict):
        document = {"stages": document.get("stages")}  # the top-level `params:` files are no stage's dependency
    tracked = tracked_params(document)
    if read(DEFAULT_PARAMS_FILE) is not None and not deps_only:
        tracked[DEFAULT_PARAMS_FILE] = []
    return tracked


def _working_tree_reader(ws: Path) -> Reader:
    def read(rel: str) -> str | None:
        path = ws / rel
        # A params file is repository content: never read through a symlink out of the project folder.
        if not path.is_file() or not workspace.inside(ws, path):
            return None
        return workspace.read_text(path, "params", ws)

    return read


def _baseline_reader(ws: Path, sha: str) -> Reader:
    def read(rel: str) -> str | None:
        blob = gitrepo.show_file(ws, sha, rel)
        return None if blob is None else blob.decode("utf-8-sig", errors="replace")

    return read


def _side(read: Reader, tracked: Tracked, label: str, warnings: list[str]) -> dict[str, Mapping[str, object] | None]:
    from cml_action.report.params import flatten_params, parse_params, select_keys

    side: dict[str, Mapping[str, object] | None] = {}
    for file, keys in tracked.items():
        text = read(file)
        if text is None:
            side[file] = None
            continue
        try:
            side[file] = flatten_params(select_keys(parse_params(file, text), keys), file)
        except CmlError as exc:
            # DVC shows such a file as missing on that side; we also say why.
            warnings.append(f"{label}: " + str(exc).replace("metrics file", "params file", 1))
            side[file] = None
    return side


def _explicit(ws: Path, requested: Sequence[str]) -> Tracked:
    paths = workspace.resolve_paths(ws, requested, "params")
    return {workspace.relative_to_repo(ws, path): [] for path in paths}


def params_diff(ws: Path, requested: Sequence[str], baseline_sha: str | None, *, current_sha: str | None = None,
                deps_only: bool = False) -> tuple[MetricsDiff, list[str]]:  # fmt: skip
    """Every param of both sides (the report core decides what to show), and warnings about unreadable files.
    The current side is the working tree, or the commit `current_sha` (`cml params diff a_rev b_rev`)."""
    from cml_action.report.diff import diff_metrics

    baseline, current, warnings = _params_sides(ws, requested, baseline_sha, current_sha=current_sha,
                                                deps_only=deps_only)  # fmt: skip
    return diff_metrics(baseline, current), warnings


def _params_sides(ws: Path, requested: Sequence[str], baseline_sha: str | None, *, current_sha: str | None = None,
                  deps_only: bool = False) -> tuple[Side, Side, list[str]]:  # fmt: skip
    current_read = _baseline_reader(ws, current_sha) if current_sha else _working_tree_reader(ws)
    baseline_read = _baseline_reader(ws, baseline_sha) if baseline_sha else None
    if tuple(requested) == ("auto",):
        current_files = auto_params(current_read, deps_only=deps_only)
        baseline_files = auto_params(baseline_read, deps_only=deps_only) if baseline_read else {}
    else:
        current_files = baseline_files = _explicit(ws, requested)
    warnings: list[str] = []
    current = _side(current_read, current_files, current_sha[:7] if current_sha else "current", warnings)
    baseline: Side = {}
    if baseline_read and baseline_sha:
        baseline = _side(baseline_read, baseline_files, f"baseline {baseline_sha[:7]}", warnings)
    return baseline, current, warnings


def params_section(ws: Path, requested: Sequence[str], baseline_sha: str | None, *, show_all: bool,
                   baseline_label: str, stored: StoredLookup | None = None) -> ParamsSection:  # fmt: skip
    """The "Params" section of the project folder `ws`; empty markdown when there are no params or `none`.
    With `stored`, params git lacks at the baseline commit are taken from the stored result (docs/store.md)."""
    wanted = tuple(item.strip() for item in requested)
    if wanted in ((), ("none",)):
        return ParamsSection("")
    from cml_action.report.diff import diff_metrics
    from cml_action.report.params import render_params_section

    baseline, current, warnings = _params_sides(ws, wanted, baseline_sha)
    from_store: tuple[str, ...] = ()
    if baseline_sha and stored:
        from cml_action.stored_baseline import fill_baseline, lacks_values

        values = stored() if lacks_values(baseline, current) else None
        from_store = fill_baseline(baseline, current, values) if values else ()
    diff = diff_metrics(baseline, current)
    markdown = render_params_section(diff, show_all=show_all, baseline_label=baseline_label, current_label="current")
    return ParamsSection(markdown, tuple(warnings), diff, from_store)
