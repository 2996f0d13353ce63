"""GitLab: MR notes (sticky by marker), commit discussions, project uploads and commit statuses (python-gitlab).

Facts used (GitLab REST docs: Notes, Discussions, Projects "Upload a file", Commits "Set the pipeline status of a
commit", "List merge requests associated with a commit"):
- Objects are built lazily (`projects.get(id, lazy=True)`), so no `GET /projects/:id` is made: the job's token may
  not be allowed to read project settings, and it saves a request.
- Notes and descriptions are limited to 1 000 000 characters (`Gitlab::Database::MAX_TEXT_SIZE_LIMIT`).
- A commit status `description` longer than 255 characters is refused.
- Uploads answer `{"url": "/uploads/<secret>/<name>", "markdown": ..., "full_path": ...}`; the relative url renders
  in notes of the same project. Developers cannot list a project's uploads, so a rerun reuses a URL only when our
  existing report already links the same content (the file name is the image's sha256).
- The job token (`CI_JOB_TOKEN`) cannot use any of these endpoints (401); a project access token can.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cml_action.errors import CmlError, PublishError, ReadOnlyToken
from cml_action.forges.base import (
    CheckRequest,
    CommentRequest,
    ForgeOptions,
    Limits,
    PreparedImage,
    Published,
    PullRequestRequest,
    Target,
    Traits,
)
from cml_action.forges.gitlab.client import LastResponse, gitlab_retrier, make_client
from cml_action.forges.gitlab.context import JOB_TOKEN_SOURCE
from cml_action.forges.gitlab.notes import (
    CommitDiscussionStore,
    NoteRef,
    NotesStore,
    NoteStore,
    neutralise_quick_actions,
)
from cml_action.surface import current

if TYPE_CHECKING:
    from cml_action.context import RunContext
    from cml_action.store.branch import BranchFiles

NOTE_LIMIT = 1_000_000  # characters, Gitlab::Database::MAX_TEXT_SIZE_LIMIT
STATUS_DESCRIPTION_LIMIT = 255
MARKER_PREFIX = "<!-- cml-action:key="
TOKEN_FIX = (
    "create a project access token with the 'api' scope (role Developer or higher) and store it as a masked "
    "CI/CD variable named CML_TOKEN"
)
_UPLOAD_LINK = re.compile(r"(/uploads/[0-9a-f]{16,64}/([0-9a-f]{64}\.[a-z0-9]{2,5}))")


class GitLabForge:
    name = "gitlab"
    limits = Limits(comment=NOTE_LIMIT, check=NOTE_LIMIT)
    # A commit status holds 255 characters: the report itself goes in a note too.
    traits = Traits(check_holds_report=False, run_link_label="Pipeline", job_summary=False, writes_files=False,
                    pull_request_noun="Merge Request")  # fmt: skip

    def __init__(self, ctx: RunContext, options: ForgeOptions, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._ctx = ctx
        self._options = options
        self._sleep = sleep
        self._last = LastResponse()
        self.retrier = gitlab_retrier(self._last, _hints(ctx), options, sleep)
        self._client: Any = None
        self._me: int | None = None  # the token's user id, once asked
        self._asked_me = False
        self._auto_store: NoteStore | None = None
        self._uploaded: dict[str, str] = {}  # sha256 -> url, this run

    # -- protocol ------------------------------------------------------------------------------------------------

    def preflight(self, *, wants_comment: bool, wants_check: bool, wants_images: bool) -> None:
        """No request: the token's origin says enough, and a job-token run must fail before touching the API."""
        if self._ctx.token_source.startswith(JOB_TOKEN_SOURCE):
            raise CmlError(f"GitLab's CI_JOB_TOKEN cannot post notes, uploads or commit statuses ({TOKEN_FIX})")
        if not self._ctx.token:
            raise CmlError(f"no GitLab token: CML_TOKEN, REPO_TOKEN and GITLAB_TOKEN are unset ({TOKEN_FIX})")
        if self._ctx.is_fork:
            raise ReadOnlyToken(
                "this merge request pipeline runs in the fork, whose variables cannot write to the target project: "
                "the report is in the job log and report file only (run fork MR pipelines in the parent project)"
            )

    def publish_images(self, images: Sequence[PreparedImage]) -> Mapping[str, str]:
        from cml_action.forges.gitlab import job_uploads as job

        record = job.record_file(self._ctx)
        reusable = job.recall(record)  # what this job uploaded already, in an earlier command
        if any(i.sha256 not in self._uploaded and i.name not in reusable for i in images):
            reusable |= self._links_in_existing_reports()
        urls: dict[str, str] = {}
        for image in images:
            if image.sha256 not in self._uploaded:
                self._uploaded[image.sha256] = reusable.get(image.name) or self._upload(image)
                job.remember(record, image.name, self._uploaded[image.sha256])
            urls[image.sha256] = self._uploaded[image.sha256]
        return urls

    def post_comment(self, request: CommentRequest) -> Published:
        store = self._store_for(request.target)
        body = neutralise_quick_actions(request.body)
        if len(body) > NOTE_LIMIT:
            raise PublishError(f"GitLab: the report is {len(body)} characters, over the note limit of {NOTE_LIMIT}")
        existing = self._ours(self._list(store), request)
        known_ids = {note.note_id for note in existing}
        if request.mode == "recreate":
            for note in existing:
                self._delete(store, note)
        elif request.mode == "update" and existing:
            note = existing[-1]
            if note.body != body:
                note = self._update_or_create(store, note, body, request, known_ids)
            # Copies an earlier race left behind are in this listing already: no extra request.
            return self._published(store, self._keep_newest(store, note, existing))
        created = self._create(store, body, request, known_ids)
        if request.mode == "create":
            return self._published(store, created)
        # Runs of this key that listed before any of them had created each created a note. Every run lists once
        # more and keeps the newest (highest id): the run that created last sees every other copy and leaves one,
        # and no run ever deletes a newer note than its own.
        return self._published(store, self._keep_newest(store, created, self._ours(self._list(store), request)))

    def edit_comment(self, request: CommentRequest, comment_id: str) -> Published | None:
        store = self._store_for(request.target)
        body = neutralise_quick_actions(request.body)
        found = self._note(store, comment_id, request)  # the listing also gives a commit note's discussion
        if found is None:
            return None
        note = found
        if note.body != body:
            try:
                note = self.retrier.write(f"update the report on {store.where}", lambda: store.update(found, body),
                                          refind=lambda: _edited(store.list(), found, body))  # fmt: skip
            except PublishError:
                if self._note(store, comment_id, request) is not None:
                    raise
                return None  # deleted between the listing and the edit
        return self._published(store, note)

    def delete_comment(self, request: CommentRequest, comment_id: str) -> None:
        store = self._store_for(request.target)
        note = self._note(store, comment_id, request)
        if note is not None:
            self._delete(store, note)

    def _note(self, store: NoteStore, note_id: str, request: CommentRequest) -> NoteRef | None:
        """The note by id, only when it is ours and carries the request's marker (the id comes from the store)."""
        return next((note for note in self._ours(self._list(store), request) if str(note.note_id) == note_id), None)

    def post_check(self, request: CheckRequest) -> Published:
        """A commit status named after the title; the report itself goes in the note the pipeline posts too."""
        commit = self._project().commits.get(request.head_sha, lazy=True)
        state = "failed" if request.conclusion == "failure" else "success"
        verdict = request.headline or ("regression gates tripped" if state == "failed" else "report published")
        payload = {"state": state, "name": request.title, "description": status_description(request.title, verdict)}
        if self._ctx.job_url:
            payload["target_url"] = self._ctx.job_url

        def find_lost() -> Any:
            # target_url is this job's URL: a status carrying it was made by this run.
            if not self._ctx.job_url:
                return None
            for status in commit.statuses.list(iterator=True, per_page=100, name=request.title, all=True):
                if getattr(status, "target_url", None) == self._ctx.job_url and status.status == state:
                    return status
            return None

        status = self.retrier.write("set the commit status", lambda: commit.statuses.create(payload), refind=find_lost)
        return Published(self._web(f"/-/commit/{request.head_sha}"), str(status.id), f"commit {request.head_sha[:8]}")

    # -- notes -----------------------------------------------------------------------------------------------------

    def _list(self, store: NoteStore) -> Sequence[NoteRef]:
        return self.retrier.read(f"list the notes of {store.where}", store.list)

    def _ours(self, notes: Sequence[NoteRef], request: CommentRequest) -> list[NoteRef]:
        marked = [note for note in notes if request.identifies(note.body)]
        if not marked:
            return []
        me = self._my_user_id()
        return [note for note in marked if me is None or note.author_id == me]

    def _create(self, store: NoteStore, body: str, request: CommentRequest, known_ids: set[int]) -> NoteRef:
        def find_lost() -> NoteRef | None:
            fresh = [note for note in self._ours(store.list(), request) if note.note_id not in known_ids]
            # Our own body first: another writer of the same marker (a group's job) may have created one too.
            same = [note for note in fresh if note.body.strip() == body.strip()]
            return (same or fresh)[-1] if fresh else None

        created = self.retrier.write(
            f"create the report on {store.where}", lambda: store.create(body), refind=find_lost
        )
        if not self._asked_me and created.author_id is not None:
            self._asked_me, self._me = True, created.author_id  # we wrote it: no GET /user needed later
        return created

    def _keep_newest(self, store: NoteStore, mine: NoteRef, ours: Sequence[NoteRef]) -> NoteRef:
        """The newest of `mine` and `ours` by the author of `mine`; the other copies are deleted (best effort: a
        failure is a warning, the next run removes them). Notes of unknown authorship are never deleted."""
        if mine.author_id is None:
            return mine
        same = {note.note_id: note for note in ours if note.author_id == mine.author_id}
        same.setdefault(mine.note_id, mine)
        newest = max(same)
        for note_id, note in sorted(same.items()):
            if note_id != newest:
                self._delete_duplicate(store, note)
        return mine if mine.note_id == newest else same[newest]

    def _delete_duplicate(self, store: NoteStore, note: NoteRef) -> None:
        try:
            self._delete(store, note)
        except PublishError as exc:
            from cml_action import workflow

            workflow.warning(f"{exc} (deleting the duplicate report note {note.note_id}; the next run retries)")

    def _update_or_create(
        self, store: NoteStore, note: NoteRef, body: str, request: CommentRequest, known_ids: set[int]
    ) -> NoteRef:
        def landed() -> NoteRef | None:
            return _edited(store.list(), note, body)

        try:
            return self.retrier.write(
                f"update the report on {store.where}", lambda: store.update(note, body), refind=landed
            )
        except PublishError:
            # Re-read before failing: the edit may have landed with every answer lost; or the note was deleted
            # between our search and the update (GitLab answers 404), which a new note repairs.
            notes = self._list(store)
            found = _edited(notes, note, body)
            if found is not None:
                return found
            if any(other.note_id == note.note_id for other in notes):
                raise
            return self._create(store, body, request, known_ids)

    def _still_there(self, store: NoteStore, note: NoteRef) -> bool:
        return any(found.note_id == note.note_id for found in self._list(store))

    def _delete(self, store: NoteStore, note: NoteRef) -> None:
        def gone() -> bool | None:
            return True if not any(n.note_id == note.note_id for n in store.list()) else None

        try:
            self.retrier.write(f"delete the old report on {store.where}", lambda: store.delete(note), refind=gone)
        except PublishError:
            if self._still_there(store, note):
                raise

    def _published(self, store: NoteStore, note: NoteRef) -> Published:
        return Published(f"{store.web_url}#note_{note.note_id}", str(note.note_id), store.where)

    def _my_user_id(self) -> int | None:
        """The token's user (GET /user once); None when GitLab will not say, then the marker alone identifies."""
        if not self._asked_me:
            self._asked_me = True
            try:
                data = self.retrier.read("read the token's user", lambda: self._gl().http_get("/user"))
            except PublishError:
                data = None
            self._me = int(data["id"]) if isinstance(data, dict) and isinstance(data.get("id"), int) else None
        return self._me

    # -- targets ---------------------------------------------------------------------------------------------------

    def check_target(self, target: Target) -> None:
        self._store_for(target)

    def _store_for(self, target: Target) -> NoteStore:
        project = self._project()
        if target.kind == "issue" and target.number:
            issue = project.issues.get(target.number, lazy=True)
            return NotesStore(issue.notes, f"issue #{target.number}", self._web(f"/-/issues/{target.number}"))
        if target.kind == "pr" and target.number:
            return self._mr_store(target.number)
        if target.kind == "commit":
            return self._commit_store(target.sha or self._ctx.head_sha)
        if target.kind == "pr":
            iid = self._ctx.pr_number or self._open_mr_of_commit()
            if iid is None:
                said = current()
                raise CmlError(
                    f"{said.setting('target')}: no open merge request contains commit {self._ctx.head_sha[:8]} "
                    f"(use {said.assign('target', 'commit')}, or run the job in a merge request pipeline)"
                )
            return self._mr_store(iid)
        return self._auto_target()

    def _auto_target(self) -> NoteStore:
        if self._auto_store is None:
            iid = self._ctx.pr_number or self._open_mr_of_commit()
            self._auto_store = self._mr_store(iid) if iid else self._commit_store(self._ctx.head_sha)
        return self._auto_store

    def _open_mr_of_commit(self) -> int | None:
        commit = self._project().commits.get(self._ctx.head_sha, lazy=True)
        found = self.retrier.read(
            "find the merge requests of the commit",
            lambda: list(commit.merge_requests(iterator=True, per_page=100, state="opened")),
        )
        opened = [mr for mr in found if isinstance(mr, dict) and mr.get("state") == "opened"]
        # Prefer the MR whose head is this commit (a branch pipeline of its source branch).
        opened.sort(key=lambda mr: mr.get("sha") != self._ctx.head_sha)
        return int(opened[0]["iid"]) if opened else None

    def _mr_store(self, iid: int) -> NoteStore:
        mr = self._project().mergerequests.get(iid, lazy=True)
        return NotesStore(mr.notes, f"MR !{iid}", self._web(f"/-/merge_requests/{iid}"))

    def _commit_store(self, sha: str) -> NoteStore:
        commit = self._project().commits.get(sha, lazy=True)
        return CommitDiscussionStore(commit.discussions, f"commit {sha[:8]}", self._web(f"/-/commit/{sha}"))

    # -- images ----------------------------------------------------------------------------------------------------

    def _upload(self, image: PreparedImage) -> str:
        data = image.path.read_bytes()
        project = self._project()
        # A lost answer leaves an unreferenced upload behind, invisible and harmless: retrying blindly is fine.
        result = self.retrier.write(f"upload {image.path.name}", lambda: project.upload(image.name, filedata=data))
        url = result.get("url") if isinstance(result, dict) else None
        if not isinstance(url, str) or not url:
            raise PublishError(f"GitLab: the upload of {image.path.name} answered without a url")
        return url

    def _links_in_existing_reports(self) -> dict[str, str]:
        """name -> /uploads/... link found in our earlier reports on the default target (saves re-uploading)."""
        try:
            notes = self._list(self._auto_target())
        except (PublishError, CmlError):
            return {}
        links: dict[str, str] = {}
        ours = [note for note in notes if MARKER_PREFIX in note.body]
        me = self._my_user_id() if ours else None
        for note in ours:
            if me is not None and note.author_id == me:
                links.update({name: url for url, name in _UPLOAD_LINK.findall(note.body)})
        return links

    def shareable_url(self, url: str) -> str:
        """GitLab answers uploads as `/uploads/…`, relative to the project (CML printed project URL + path too)."""
        if url.startswith("/uploads/") and self._ctx.server_url and self._ctx.repo:
            return f"{self._ctx.server_url.rstrip('/')}/{self._ctx.repo}{url}"
        return url

    # -- results store (docs/store.md) -----------------------------------------------------------------------------

    def results_branch(self) -> BranchFiles:
        """A branch of the project, written with the Commits API (no request until the store reads)."""
        from cml_action.forges.gitlab.store import GitLabStoreBranch
        from cml_action.refnames import check_assets_branch

        check_assets_branch(self._options.assets_branch, self._ctx.default_branch)
        start = (
            ("start_branch", self._ctx.default_branch)
            if self._ctx.default_branch
            else ("start_sha", self._ctx.head_sha)
        )
        return GitLabStoreBranch(self._gl, project_id=self._ctx.project_id, branch=self._options.assets_branch,
                                 start_from=start, retrier=self.retrier, sleep=self._sleep)  # fmt: skip

    # -- plumbing --------------------------------------------------------------------------------------------------

    def _gl(self) -> Any:
        if self._client is None:
            self._client = make_client(self._ctx, self._options, self._last)
        return self._client

    def _project(self) -> Any:
        return self._gl().projects.get(self._ctx.project_id, lazy=True)

    def _web(self, suffix: str) -> str:
        project_page = f"/{self._ctx.repo}" if self._ctx.repo else f"/projects/{self._ctx.project_id}"
        return f"{self._ctx.server_url}{project_page}{suffix}"

    # -- merge requests (`cml pr create`) -------------------------------------------------------------------------

    def git_credentials(self) -> tuple[str, str]:
        # GitLab takes a project/personal access token as the password with any non-empty user name.
        return ("oauth2", self._ctx.token)

    def open_pull_request(self, request: PullRequestRequest) -> tuple[Published, str]:
        from cml_action.forges.gitlab.merge_requests import GitLabMergeRequests

        return GitLabMergeRequests(self._project(), self.retrier).open(request)


def _edited(notes: Sequence[NoteRef], note: NoteRef, body: str) -> NoteRef | None:
    """`note` as listed now, when it already holds `body` (an edit whose answer was lost but which landed)."""
    return next((found for found in notes if found.note_id == note.note_id and found.body == body), None)


def _hints(ctx: RunContext) -> dict[int, str]:
    source = ctx.token_source or "the token"
    return {
        401: f"GitLab does not accept the token from {source}: it is wrong, expired or revoked; {TOKEN_FIX}",
        403: f"the token from {source} may not do this: give its user the Developer role and the 'api' scope",
        404: f"check CI_PROJECT_ID and the target; the token from {source} must be able to see the project",
    }


def status_description(title: str, verdict: str) -> str:
    text = f"{title}: {verdict}"
    return text if len(text) <= STATUS_DESCRIPTION_LIMIT else text[: STATUS_DESCRIPTION_LIMIT - 1] + "…"
