"""Merge requests on GitLab for `cml pr create`: find the open one for a branch, else open it; merge on request.

Facts used (GitLab REST "Merge requests"): `GET /projects/:id/merge_requests?source_branch=&target_branch=&state=
opened` lists it; `POST /projects/:id/merge_requests` answers 409 "Another open merge request already exists for
this source branch" for a duplicate; `PUT /projects/:id/merge_requests/:iid/merge` with
`merge_when_pipeline_succeeds` (GitLab 17 also reads `auto_merge`) merges once the pipeline passes, and `squash`
squashes. GitLab has no per-request rebase merge: the project's merge method decides.
"""

from __future__ import annotations

from typing import Any

from cml_action.errors import CmlError
from cml_action.forges.base import MergeMethod, Published, PullRequestRequest
from cml_action.forges.retry import Retrier


class GitLabMergeRequests:
    def __init__(self, project: Any, retrier: Retrier) -> None:
        self._project = project
        self._retrier = retrier

    def open(self, request: PullRequestRequest) -> tuple[Published, str]:
        mr = self._find(request) or self._create(request)
        note = self._merge(mr, request.auto_merge) if request.auto_merge else ""
        return Published(str(mr.web_url), str(mr.iid), f"MR !{mr.iid}"), note

    def _find(self, request: PullRequestRequest) -> Any:
        found = self._retrier.read(
            "list the merge requests",
            lambda: self._project.mergerequests.list(
                source_branch=request.source, target_branch=request.target, state="opened", get_all=False
            ),
        )
        return found[0] if found else None

    def _create(self, request: PullRequestRequest) -> Any:
        payload = {
            "source_branch": request.source,
            "target_branch": request.target,
            "title": request.title,
            "description": request.body,
        }
        return self._retrier.write(
            "open the merge request",
            lambda: self._project.mergerequests.create(payload),
            refind=lambda: self._find(request),  # a lost answer: the MR may exist already
        )

    def _merge(self, mr: Any, method: MergeMethod) -> str:
        extra = {"squash": True} if method == "squash" else {}
        try:
            self._retrier.write(
                "merge the merge request",
                lambda: mr.merge(merge_when_pipeline_succeeds=True, auto_merge=True, **extra),
            )
        except CmlError as exc:
            return f"MR !{mr.iid} stays open: GitLab refused to merge it ({exc})"
        note = "" if method != "rebase" else " (GitLab merges with the project's merge method; --rebase is not sent)"
        return f"MR !{mr.iid} set to merge when the pipeline succeeds{note}"
