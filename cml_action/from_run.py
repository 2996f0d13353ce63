"""`from-run`: publish a fork PR run's report bundle from a trusted `workflow_run` job (docs/github.md).

The PR run had a read-only token and left its report as an artifact (bundle.py). Here, with the base repository's
token (`actions: read` to download, the usual write permissions to publish):

1. GitHub describes the run (`GET /actions/runs/{id}`): it must belong to this repository and be a pull_request run.
2. Its artifact `cml-report-bundle` is listed and downloaded (`/actions/runs/{id}/artifacts`, then the zip, which
   GitHub redirects to storage that gets no token), capped in size before and while reading.
3. The bundle is unpacked as untrusted data (bundle.unpack) and its metadata checked against GitHub's facts: this
   repository, the run's head sha, and a PR whose head is that sha in the run's head repository.
4. The pipeline then publishes it as the PR run would have: the bundle's report.md is the report text, its images
   are validated and published like any image, the key and title are the PR run's.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from cml_action.baseline import Baseline
from cml_action.bundle import MAX_ZIP_BYTES, REPORT, BundleError, BundleMeta, unpack
from cml_action.context import RunContext
from cml_action.errors import CmlError, InputError
from cml_action.inputs import Settings

ARTIFACT_NAME = "cml-report-bundle"
TIMEOUT_S = 60.0


def take_bundle(settings: Settings, ctx: RunContext) -> tuple[Settings, RunContext, Baseline]:
    """Download and check the bundle of run `settings.from_run`; the settings, context and baseline that publish it."""
    run_id = settings.from_run.strip()
    if not run_id.isdigit() or int(run_id) <= 0:
        raise InputError("from-run", f"'{run_id}' is not a workflow run id", "use ${{ github.event.workflow_run.id }}")
    from cml_action.forges import traits_of

    if not traits_of(ctx).fork_bundles:
        raise InputError("from-run", "only works on GitHub", "remove it (GitLab fork MRs report in their pipeline)")
    from cml_action.forges.github.rest import ApiError, GitHubRest, RestError

    rest = GitHubRest(ctx.api_url, ctx.token, timeout=TIMEOUT_S)
    folder = Path(tempfile.mkdtemp(prefix="cml-bundle-", dir=_temp_dir()))
    try:
        run = _run_facts(rest, ctx.repo, run_id)
        archive = folder / "bundle.zip"
        _download(rest, ctx.repo, run_id, archive, ApiError)
        meta = unpack(archive, folder / "bundle")
        archive.unlink()
        _check_against_github(rest, ctx.repo, run, meta)
    except ApiError as exc:
        raise CmlError(f"from-run: reading run {run_id} failed: {exc} ({_permission_hint(exc.status)})") from None
    except RestError as exc:
        raise CmlError(f"from-run: reading run {run_id} failed: {exc}") from None
    finally:
        rest.close()
    print(f"Publishing the report of run {run_id} for PR #{meta.pull_request} ({meta.head_sha[:7]})")
    return _publishing(settings, ctx, run_id, folder / "bundle", meta)


def _temp_dir() -> str | None:
    temp = os.environ.get("RUNNER_TEMP", "")
    return temp if temp and os.path.isdir(temp) else None


def _permission_hint(status: int) -> str:
    if status in (401, 403, 404):
        return "give the workflow `permissions: actions: read` and pass the run id of this repository"
    return "re-run the job"


def _run_facts(rest: Any, repo: str, run_id: str) -> dict[str, Any]:
    run = rest.request("GET", f"/repos/{repo}/actions/runs/{run_id}")
    if not isinstance(run, dict):
        raise CmlError(f"from-run: GitHub gave no description of run {run_id}")
    if _full_name(run.get("repository")).lower() != repo.lower():
        raise BundleError(f"from-run: run {run_id} does not belong to {repo}: nothing published")
    if run.get("event") != "pull_request":
        raise BundleError(
            f"from-run: run {run_id} was started by '{run.get('event')}', not pull_request: nothing published"
        )
    return run


def _full_name(repo: object) -> str:
    return str(repo.get("full_name") or "") if isinstance(repo, dict) else ""


def _download(rest: Any, repo: str, run_id: str, archive: Path, api_error: type[Exception]) -> None:
    listed = rest.request("GET", f"/repos/{repo}/actions/runs/{run_id}/artifacts", query={"name": ARTIFACT_NAME})
    found = [a for a in (listed or {}).get("artifacts", []) if a.get("name") == ARTIFACT_NAME and not a.get("expired")]
    if not found:
        raise CmlError(
            f"from-run: run {run_id} has no artifact '{ARTIFACT_NAME}' (upload the action's `bundle` output with "
            f"actions/upload-artifact, name: {ARTIFACT_NAME})"
        )
    artifact = found[0]
    size = artifact.get("size_in_bytes")
    if not isinstance(size, int) or size > MAX_ZIP_BYTES:
        raise BundleError(f"from-run: the report bundle is {size} bytes (at most {MAX_ZIP_BYTES}): nothing published")
    try:
        rest.request("GET", f"/repos/{repo}/actions/artifacts/{int(artifact['id'])}/zip")
        raise CmlError("from-run: GitHub did not redirect the artifact download")
    except api_error as exc:
        location = getattr(exc, "headers", {}).get("location", "") if getattr(exc, "status", 0) == 302 else ""
        if not location:
            raise
    _fetch_capped(location, archive)


def _fetch_capped(url: str, archive: Path) -> None:
    """The zip from storage (no token: the URL is signed), refusing more than MAX_ZIP_BYTES whatever it claims."""
    if not url.startswith(("https://", "http://")):
        raise CmlError("from-run: the artifact download did not redirect to an http(s) URL")
    from cml_action.forges.http import new_session

    # The one HTTP stack: the same proxies and CA bundle as the API calls (no token: the URL is signed).
    session = new_session("cml-action")
    try:
        with session.get(url, timeout=TIMEOUT_S, stream=True) as response, open(archive, "wb") as out:
            if response.status_code != 200:
                raise CmlError(f"from-run: downloading the report bundle failed: HTTP {response.status_code}")
            data = response.raw.read(MAX_ZIP_BYTES + 1, decode_content=True)
            if len(data) > MAX_ZIP_BYTES:
                raise BundleError(f"from-run: the report bundle is over {MAX_ZIP_BYTES} bytes: nothing published")
            out.write(data)
    except OSError as exc:  # requests' errors are OSErrors
        raise CmlError(f"from-run: downloading the report bundle failed: {type(exc).__name__}") from None
    finally:
        session.close()


def _check_against_github(rest: Any, repo: str, run: dict[str, Any], meta: BundleMeta) -> None:
    """The bundle may only speak for its own run: this repository, the run's head, a PR from the run's head repo."""
    run_head = str(run.get("head_sha") or "")
    if meta.repository.lower() != repo.lower():
        raise BundleError(f"from-run: the report bundle names repository '{meta.repository}', not {repo}: refused")
    if meta.head_sha != run_head:
        raise BundleError(
            f"from-run: the report bundle's head {meta.head_sha[:7]} is not the run's {run_head[:7]}: refused"
        )
    pull = rest.request("GET", f"/repos/{repo}/pulls/{meta.pull_request}")
    head = pull.get("head") or {} if isinstance(pull, dict) else {}
    base = pull.get("base") or {} if isinstance(pull, dict) else {}
    same_head = (
        head.get("sha") == run_head
        and _full_name(head.get("repo")).lower() == _full_name(run.get("head_repository")).lower()
    )
    if not same_head or _full_name(base.get("repo")).lower() != repo.lower():
        raise BundleError(
            f"from-run: PR #{meta.pull_request} is not the run's pull request (its head is not {run_head[:7]} "
            f"from {_full_name(run.get('head_repository'))}; a newer push gets its own report): refused"
        )


def _publishing(settings: Settings, ctx: RunContext, run_id: str, folder: Path,
                meta: BundleMeta) -> tuple[Settings, RunContext, Baseline]:  # fmt: skip
    # Only the bundle's text and images: nothing of this job's workspace, no gates (the PR run judged them).
    published = replace(settings, report=(REPORT,), images=(), metrics=(), params=("none",), plots=(),
                        dvc_diff=False, thresholds="", fail_on_regression=False, title=meta.title, key=meta.key,
                        target=f"pr/{meta.pull_request}", head_sha=meta.head_sha, working_directory=".",
                        fetch_baseline=False, output_dir="")  # fmt: skip
    context = replace(ctx, workspace=folder, head_sha=meta.head_sha, event="pull_request", pr_number=meta.pull_request,
                      is_fork=False, merge_base_of=None, baseline_candidates=(),
                      run_url=f"{ctx.server_url}/{ctx.repo}/actions/runs/{run_id}", run_id=run_id)  # fmt: skip
    baseline = Baseline(meta.baseline_sha or None, "the pull request run's")
    return published, context, baseline
