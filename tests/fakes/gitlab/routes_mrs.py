"""Merge requests opened and merged through the API (`cml pr create`); registered into routes.ROUTES.

GitLab facts reproduced: creating a second open MR for the same source branch answers 409 with
`["Another open merge request already exists for this source branch: !IID"]`; a source branch that does not exist
answers 422 `{"message": ["Source branch does not exist"]}`; `PUT …/merge` with `merge_when_pipeline_succeeds`
answers 200 and leaves the MR open until the pipeline passes. Parameters may come in the query or the body.
"""

from __future__ import annotations

from typing import Any

from ..git_mirror import branch_sha
from .routes import ApiError, Req, mr_api, not_found, route
from .state import MergeRequest

TRUE = (True, "true", "True", "1")


@route("GET", "/projects/:id/merge_requests")
def list_mrs(req: Req) -> tuple[int, Any]:
    project = req.project()
    found = sorted(project.mrs.values(), key=lambda mr: -mr.iid)  # GitLab: newest first
    for name in ("source_branch", "target_branch", "state"):
        if req.query.get(name):
            found = [mr for mr in found if getattr(mr, name) == req.query[name]]
    return 200, [mr_api(mr, project, req) for mr in found]


@route("POST", "/projects/:id/merge_requests")
def create_mr(req: Req) -> tuple[int, Any]:
    project = req.project()
    req.writer(project)
    source, target = str(req.form.get("source_branch", "")), str(req.form.get("target_branch", ""))
    title = str(req.form.get("title", ""))
    if not source or not target or not title:
        raise ApiError(400, "source_branch, target_branch, title are missing, at least one parameter is required",
                       key="error")  # fmt: skip
    sha = branch_sha(project.git_mirror, source)
    if sha is None:
        raise ApiError(422, ["Source branch does not exist"])
    for mr in project.mrs.values():
        if mr.state == "opened" and mr.source_branch == source:
            raise ApiError(409, [f"Another open merge request already exists for this source branch: !{mr.iid}"])
    iid = project.next_iid
    project.next_iid += 1
    mr = MergeRequest(iid, sha, source, target, commits=(sha,), title=title,
                      description=str(req.form.get("description") or ""))  # fmt: skip
    project.mrs[iid] = mr
    project.commits.add(sha)
    return 201, mr_api(mr, project, req)


@route("PUT", "/projects/:id/merge_requests/:iid/merge")
def merge_mr(req: Req) -> tuple[int, Any]:
    project = req.project()
    req.writer(project)
    mr = project.mrs.get(int(req.params["iid"])) if req.params["iid"].isdigit() else None
    if mr is None:
        raise not_found("Merge Request")
    if mr.state != "opened":
        raise ApiError(405, "Method Not Allowed")
    given = {**req.query, **req.form}
    mr.squash = given.get("squash") in TRUE
    if given.get("merge_when_pipeline_succeeds") in TRUE or given.get("auto_merge") in TRUE:
        mr.merge_when_pipeline_succeeds = True  # stays open until the pipeline passes
    else:
        mr.state = "merged"
    return 200, mr_api(mr, project, req)
