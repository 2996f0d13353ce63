"""The fake GitLab answers like GitLab: auth, pagination headers, error shapes, faults. Plain `requests`, no forge."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.fakes.gitlab import FakeGitLab, fixtures

fake_gitlab = fixtures.fake_gitlab  # the fixture, used by name
NOTES = "/projects/42/merge_requests/1/notes"


def call(gl: FakeGitLab, method: str, path: str, token: str | None = "project", **kw: object) -> requests.Response:
    headers = {"PRIVATE-TOKEN": gl.project_token} if token == "project" else {}
    if token not in (None, "project"):
        headers = {"PRIVATE-TOKEN": str(token)}
    return requests.request(method, gl.api_url + path, headers=headers, timeout=5, **kw)  # type: ignore[arg-type]


def test_pagination_headers_and_link_follow_gitlab(fake_gitlab: FakeGitLab) -> None:
    for index in range(45):
        fake_gitlab.add_mr_note(42, 1, f"n{index}")
    first = call(fake_gitlab, "GET", NOTES + "?sort=asc")
    assert len(first.json()) == 20  # GitLab's default per_page
    assert {k: first.headers[k] for k in ("x-page", "x-per-page", "x-next-page", "x-prev-page", "x-total",
                                          "x-total-pages")} == {"x-page": "1", "x-per-page": "20", "x-next-page": "2",
                                                                "x-prev-page": "", "x-total": "45",
                                                                "x-total-pages": "3"}  # fmt: skip
    assert first.links["next"]["url"] == f"{fake_gitlab.api_url}{NOTES}?sort=asc&page=2&per_page=20"
    assert first.links["last"]["url"].endswith("page=3&per_page=20")
    last = requests.get(first.links["last"]["url"], headers={"PRIVATE-TOKEN": fake_gitlab.project_token}, timeout=5)
    assert [n["body"] for n in last.json()] == ["n40", "n41", "n42", "n43", "n44"]
    assert last.headers["x-next-page"] == "" and "next" not in last.links
    assert len(call(fake_gitlab, "GET", NOTES + "?per_page=500").json()) == 45  # capped at 100 per page


def test_notes_default_to_newest_first(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add_mr_note(42, 1, "old")
    fake_gitlab.add_mr_note(42, 1, "new")
    assert [n["body"] for n in call(fake_gitlab, "GET", NOTES).json()] == ["new", "old"]


def test_project_by_url_encoded_path(fake_gitlab: FakeGitLab) -> None:
    assert call(fake_gitlab, "GET", "/projects/group%2Fproject/merge_requests/1/notes").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "token", "status", "body"),
    [
        ("GET", "/user", None, 401, {"message": "401 Unauthorized"}),
        ("GET", "/user", "glpat-unknown", 401, {"message": "401 Unauthorized"}),
        ("GET", "/projects/404/merge_requests/1/notes", "project", 404, {"message": "404 Project Not Found"}),
        ("GET", "/projects/42/merge_requests/9/notes", "project", 404, {"message": "404 Not found"}),
        ("GET", "/projects/42/nothing-here", "project", 404, {"error": "404 Not Found"}),
        ("POST", NOTES, "project", 400, {"error": "body is missing"}),
    ],
)
def test_error_shapes(fake_gitlab: FakeGitLab, method: str, path: str, token: str | None, status: int,
                      body: dict[str, str]) -> None:  # fmt: skip
    answer = call(fake_gitlab, method, path, token)
    assert (answer.status_code, answer.json()) == (status, body)


def test_the_job_token_cannot_write_however_it_is_sent(fake_gitlab: FakeGitLab) -> None:
    as_header = requests.post(fake_gitlab.api_url + NOTES, json={"body": "x"}, timeout=5,
                              headers={"JOB-TOKEN": fake_gitlab.job_token})  # fmt: skip
    as_private = call(fake_gitlab, "POST", NOTES, fake_gitlab.job_token, json={"body": "x"})
    as_upload = requests.post(fake_gitlab.api_url + "/projects/42/uploads", files={"file": ("a.png", b"x")},
                              headers={"JOB-TOKEN": fake_gitlab.job_token}, timeout=5)  # fmt: skip
    assert {as_header.status_code, as_private.status_code, as_upload.status_code} == {401}
    assert fake_gitlab.mr_notes() == [] and fake_gitlab.uploads() == []


def test_note_over_a_million_characters_is_refused_like_gitlab(fake_gitlab: FakeGitLab) -> None:
    answer = call(fake_gitlab, "POST", NOTES, json={"body": "x" * 1_000_001})
    assert answer.status_code == 400
    assert answer.json() == {
        "message": '400 Bad request - Note {:note=>["is too long (maximum is 1000000 characters)"]}'
    }
    assert call(fake_gitlab, "POST", NOTES, json={"body": "x" * 1_000_000}).status_code == 201


def test_a_reporter_may_read_but_not_write(fake_gitlab: FakeGitLab) -> None:
    assert call(fake_gitlab, "GET", NOTES, fake_gitlab.reporter_token).status_code == 200
    answer = call(fake_gitlab, "POST", NOTES, fake_gitlab.reporter_token, json={"body": "x"})
    assert (answer.status_code, answer.json()) == (403, {"message": "403 Forbidden"})


def test_editing_someone_elses_note_is_forbidden(fake_gitlab: FakeGitLab) -> None:
    note_id = fake_gitlab.add_mr_note(42, 1, "alice wrote this", user=fake_gitlab.alice)
    assert call(fake_gitlab, "PUT", f"{NOTES}/{note_id}", json={"body": "x"}).status_code == 403


def test_quick_actions_are_run_and_removed(fake_gitlab: FakeGitLab) -> None:
    answer = call(fake_gitlab, "POST", NOTES, json={"body": "text\n/close\n```\n/merge\n```"})
    assert answer.json()["body"] == "text\n```\n/merge\n```"
    assert fake_gitlab.quick_actions == ["/close"]


def test_status_validation(fake_gitlab: FakeGitLab) -> None:
    path = f"/projects/42/statuses/{fake_gitlab.head_sha}"
    assert call(fake_gitlab, "POST", path, json={"state": "green"}).json() == {
        "error": "state does not have a valid value"
    }
    assert call(fake_gitlab, "POST", path, json={"state": "success", "description": "d" * 256}).status_code == 400
    assert call(fake_gitlab, "POST", "/projects/42/statuses/" + "0" * 40, json={"state": "success"}).json() == {
        "message": "404 Commit Not Found"
    }


def test_faults_fire_per_attempt_then_are_spent(fake_gitlab: FakeGitLab) -> None:
    fault = fake_gitlab.faults.add("POST", r"/notes$", "status", times=2, after=1, status=503)
    codes = [call(fake_gitlab, "POST", NOTES, json={"body": str(i)}).status_code for i in range(4)]
    assert codes == [201, 503, 503, 201] and fault.fired == 2
    assert [r.status for r in fake_gitlab.api_requests("POST")] == codes


def test_rate_limit_and_drops(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.faults.add("GET", r"/user$", "rate_limit_429", retry_after=3)
    limited = call(fake_gitlab, "GET", "/user")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    fake_gitlab.faults.add("POST", r"/notes$", "apply_then_drop")
    with pytest.raises(requests.ConnectionError):
        call(fake_gitlab, "POST", NOTES, json={"body": "lost answer"})
    assert [n["body"] for n in fake_gitlab.mr_notes()] == ["lost answer"]  # applied all the same
    fake_gitlab.faults.add("POST", r"/notes$", "reset")
    with pytest.raises(requests.ConnectionError):
        call(fake_gitlab, "POST", NOTES, json={"body": "never applied"})
    assert len(fake_gitlab.mr_notes()) == 1
    assert fake_gitlab.api_requests("POST")[-1].status == 0


def test_the_request_log_never_holds_a_token(fake_gitlab: FakeGitLab) -> None:
    call(fake_gitlab, "GET", "/user")
    (entry,) = fake_gitlab.requests
    assert entry.user == "project_42_bot_1a2b3c"
    assert fake_gitlab.project_token not in repr(entry)


def test_concurrent_writes_are_all_kept(fake_gitlab: FakeGitLab) -> None:
    def post(index: int) -> None:
        call(fake_gitlab, "POST", NOTES, json={"body": f"note {index}"})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    notes = fake_gitlab.mr_notes()
    assert sorted(n["body"] for n in notes) == sorted(f"note {i}" for i in range(20))
    assert len({n["id"] for n in notes}) == 20


# -- repository: Files API and Commits API (the results store) -------------------------------------------------------

COMMITS = "/projects/42/repository/commits"


def commit(
    gl: FakeGitLab, actions: list[dict[str, str]], token: str | None = "project", **extra: str
) -> requests.Response:
    body = {"branch": "store", "commit_message": "m", "actions": actions, **extra}
    return call(gl, "POST", COMMITS, token, json=body)


def test_files_api_answers_content_and_the_last_commit_that_changed_it(fake_gitlab: FakeGitLab) -> None:
    gl = fake_gitlab
    first = gl.commit_files(42, "main", {"a.txt": b"one"})
    gl.commit_files(42, "main", {"b.txt": b"two"})
    found = call(gl, "GET", "/projects/42/repository/files/a.txt", params={"ref": "main"}).json()
    assert (found["content"], found["encoding"], found["last_commit_id"]) == ("b25l", "base64", first)
    assert found["commit_id"] != first  # the tip the ref names, where a.txt was not changed
    missing = call(gl, "GET", "/projects/42/repository/files/zz.txt", params={"ref": "main"})
    no_ref = call(gl, "GET", "/projects/42/repository/files/a.txt", params={"ref": "nope"})
    assert (missing.status_code, missing.json()) == (404, {"message": "404 File Not Found"})
    assert (no_ref.status_code, no_ref.json()) == (404, {"message": "404 Commit Not Found"})


def test_commits_api_refuses_like_gitlab(fake_gitlab: FakeGitLab) -> None:
    gl = fake_gitlab
    create = [{"action": "create", "file_path": "f.txt", "content": "x"}]
    assert commit(gl, create).json() == {"message": "You can only create or edit files when you are on a branch"}
    made = commit(gl, create, start_branch="main")
    assert made.status_code == 201 and made.json()["parent_ids"] == [gl.base_sha]
    exists = "A branch called 'store' already exists. Switch to that branch in order to make changes"
    assert commit(gl, create, start_branch="main").json() == {"message": exists}
    assert commit(gl, create).json() == {"message": "A file with this name already exists"}
    update = [{"action": "update", "file_path": "f.txt", "content": "y", "last_commit_id": made.json()["id"]}]
    assert commit(gl, update).status_code == 201
    stale = commit(gl, update)  # the same version again: someone (we) changed the file since
    assert (stale.status_code, stale.json()) == (
        400,
        {"message": "The file has changed since you started editing it: f.txt"},
    )
    missing = [{"action": "update", "file_path": "g.txt", "content": "y"}]
    assert commit(gl, missing).json() == {"message": "A file with this name doesn't exist"}
    assert gl.branch_file(42, "store", "f.txt") == b"y" and gl.branch_file(42, "main", "f.txt") is None
    refused = commit(gl, update, token=gl.reporter_token)
    assert (refused.status_code, refused.json()) == (
        403,
        {"message": "403 Forbidden - You are not allowed to push into this branch"},
    )
