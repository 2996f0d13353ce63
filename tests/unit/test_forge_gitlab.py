"""GitLabForge against the loopback fake GitLab: exact bodies and request sequences."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from cml_action.errors import CmlError, PublishError, ReadOnlyToken
from cml_action.forges.base import CheckRequest, PreparedImage, Target
from cml_action.forges.gitlab.forge import GitLabForge
from tests.fakes.gitlab import FakeGitLab, fixtures
from tests.fakes.gitlab.fixtures import JOB_URL, gitlab_forge
from tests.forge_support import MARKER, NOTES, comment, discussions_path, report

fake_gitlab = fixtures.fake_gitlab  # the fixture, used by name


def image(tmp_path: Path, content: bytes = b"\x89PNG fake pixels") -> PreparedImage:
    digest = hashlib.sha256(content).hexdigest()
    path = tmp_path / f"{digest}.png"
    path.write_bytes(content)
    return PreparedImage(path, digest, "png", "confusion", 10, 10)


# -- MR notes --------------------------------------------------------------------------------------------------------


def test_first_run_in_an_mr_pipeline_creates_one_note_with_the_exact_body(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path)
    published = forge.post_comment(comment(report()))
    # search, create, and one re-list that would find a racing run's copy (issue 15); no GET /user: we wrote it
    assert fake_gitlab.sequence() == [f"GET {NOTES}", f"POST {NOTES}", f"GET {NOTES}"]
    notes = fake_gitlab.mr_notes()
    assert [n["body"] for n in notes] == [report()]
    assert notes[0]["author"]["username"] == "project_42_bot_1a2b3c"
    assert published.url == f"{fake_gitlab.server_url}/group/project/-/merge_requests/1#note_{notes[0]['id']}"
    assert (published.id, published.where) == (str(notes[0]["id"]), "MR !1")
    assert fake_gitlab.api_requests("GET", NOTES)[0].query == {
        "per_page": "100",
        "sort": "asc",
        "order_by": "created_at",
    }


def test_rerun_updates_the_same_note_in_place(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    first = gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("run 1")))
    fake_gitlab.clear_requests()
    second = gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("run 2")))
    assert fake_gitlab.sequence() == [f"GET {NOTES}", "GET /user", f"PUT {NOTES}/{first.id}"]
    assert [n["body"] for n in fake_gitlab.mr_notes()] == [report("run 2")]
    assert second.id == first.id


def test_rerun_with_an_identical_body_writes_nothing(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report()))
    fake_gitlab.clear_requests()
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report()))
    assert fake_gitlab.writes() == []


def test_a_note_with_our_marker_by_someone_else_is_left_alone(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    fake_gitlab.add_mr_note(42, 1, f"quoting the bot: {MARKER}", user=fake_gitlab.alice)
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report()))
    bodies = [(n["author"]["username"], n["body"]) for n in fake_gitlab.mr_notes()]
    assert bodies == [("alice", f"quoting the bot: {MARKER}"), ("project_42_bot_1a2b3c", report())]


def test_the_search_reads_every_page(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    ours = gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("old")))
    for index in range(230):
        fake_gitlab.add_mr_note(42, 1, f"chatter {index}")
    fake_gitlab.clear_requests()
    again = gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("new")))
    pages = [r.query.get("page", "1") for r in fake_gitlab.api_requests("GET", NOTES + "$")]
    assert pages == ["1", "2", "3"]
    assert again.id == ours.id
    assert [n["body"] for n in fake_gitlab.mr_notes() if MARKER in n["body"]] == [report("new")]


def test_system_notes_are_skipped(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    fake_gitlab.add_mr_note(42, 1, f"changed the description {MARKER}", user=fake_gitlab.bot, system=True)
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report()))
    assert len([n for n in fake_gitlab.mr_notes() if not n["system"]]) == 1


def test_distinct_keys_make_distinct_reports(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    other = "<!-- cml-action:key=gitlab-ci/report-gpu -->"
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("cpu")))
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("gpu", other), marker=other))
    assert [n["body"] for n in fake_gitlab.mr_notes()] == [report("cpu"), report("gpu", other)]


def test_create_mode_always_adds_a_note_and_recreate_replaces_it(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("1")))
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("2"), mode="create"))
    assert [n["body"] for n in fake_gitlab.mr_notes()] == [report("1"), report("2")]
    fake_gitlab.clear_requests()
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("3"), mode="recreate"))
    assert [n["body"] for n in fake_gitlab.mr_notes()] == [report("3")]
    methods = [r.method for r in fake_gitlab.writes()]
    assert methods == ["DELETE", "DELETE", "POST"]


def test_quick_action_lines_in_the_report_are_not_executed(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    hostile = report("/close\n/merge\n```\n/approve stays verbatim in code\n```")
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(hostile))
    assert fake_gitlab.quick_actions == []
    body = fake_gitlab.mr_notes()[0]["body"]
    assert "\\/close\n\\/merge\n```\n/approve stays verbatim in code\n```" in body


# -- targets ---------------------------------------------------------------------------------------------------------


def test_branch_pipeline_reports_on_the_open_mr_of_the_commit(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path, mr=False)
    published = forge.post_comment(comment(report()))
    assert fake_gitlab.sequence() == [
        f"GET /projects/42/repository/commits/{fake_gitlab.head_sha}/merge_requests",
        f"GET {NOTES}",
        f"POST {NOTES}",
        f"GET {NOTES}",
    ]
    assert published.where == "MR !1"


def test_branch_pipeline_without_an_open_mr_reports_in_a_commit_discussion(
    fake_gitlab: FakeGitLab, tmp_path: Path
) -> None:
    fake_gitlab.state.projects[42].mrs[1].state = "merged"
    first = gitlab_forge(fake_gitlab, tmp_path, mr=False).post_comment(comment(report("1")))
    second = gitlab_forge(fake_gitlab, tmp_path, mr=False).post_comment(comment(report("2")))
    discussions = fake_gitlab.commit_discussions()
    assert [[n["body"] for n in d["notes"]] for d in discussions] == [[report("2")]]
    assert first.id == second.id and first.where == f"commit {fake_gitlab.head_sha[:8]}"
    assert first.url.endswith(f"/group/project/-/commit/{fake_gitlab.head_sha}#note_{first.id}")
    put = fake_gitlab.api_requests("PUT")[0]
    assert put.path == f"{discussions_path(fake_gitlab)}/{discussions[0]['id']}/notes/{first.id}"


def test_commit_recreate_deletes_the_old_discussion(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    target = Target("commit")
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("1"), target))
    gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("2"), target, mode="recreate"))
    assert [[n["body"] for n in d["notes"]] for d in fake_gitlab.commit_discussions()] == [[report("2")]]


def test_explicit_targets(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    other_sha = fake_gitlab.add_commit(42)
    second_mr = fake_gitlab.add_mr(42, other_sha, iid=5)
    issue = fake_gitlab.add_issue(42)
    forge = gitlab_forge(fake_gitlab, tmp_path)
    assert forge.post_comment(comment(report(), Target("pr", number=second_mr))).where == "MR !5"
    assert forge.post_comment(comment(report(), Target("commit", sha=other_sha[:10]))).where == (
        f"commit {other_sha[:8]}"
    )
    assert forge.post_comment(comment(report(), Target("issue", number=issue))).where == f"issue #{issue}"
    assert [n["body"] for n in fake_gitlab.issue_notes(42, issue)] == [report()]
    assert fake_gitlab.mr_notes() == []  # nothing went to the pipeline's MR


def test_target_pr_without_any_open_mr_is_one_clear_error(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    fake_gitlab.state.projects[42].mrs[1].state = "closed"
    with pytest.raises(CmlError) as caught:
        gitlab_forge(fake_gitlab, tmp_path, mr=False).post_comment(comment(report(), Target("pr")))
    assert "no open merge request" in str(caught.value) and "use target: commit" in str(caught.value)


# -- checks ----------------------------------------------------------------------------------------------------------


def test_check_is_a_commit_status_named_after_the_title(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path)
    published = forge.post_check(CheckRequest("CML Report", "summary", "failure", fake_gitlab.head_sha))
    statuses = fake_gitlab.statuses()
    assert [(s["name"], s["status"], s["target_url"], s["description"]) for s in statuses] == [
        ("CML Report", "failed", JOB_URL, "CML Report: regression gates tripped")
    ]
    assert fake_gitlab.sequence() == [f"POST /projects/42/statuses/{fake_gitlab.head_sha}"]
    assert published.url == f"{fake_gitlab.server_url}/group/project/-/commit/{fake_gitlab.head_sha}"
    forge.post_check(CheckRequest("CML Report", "summary", "success", fake_gitlab.head_sha))
    assert fake_gitlab.statuses()[-1]["status"] == "success"


def test_the_status_description_is_the_gates_outcome(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    request = CheckRequest("CML Report", "s", "failure", fake_gitlab.head_sha, headline="1 passed, 1 tripped")
    gitlab_forge(fake_gitlab, tmp_path).post_check(request)
    assert fake_gitlab.statuses()[0]["description"] == "CML Report: 1 passed, 1 tripped"


def test_a_long_title_keeps_the_status_description_within_255(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    title = "T" * 400
    gitlab_forge(fake_gitlab, tmp_path).post_check(CheckRequest(title, "s", "success", fake_gitlab.head_sha))
    assert len(fake_gitlab.statuses()[0]["description"]) == 255


# -- images ----------------------------------------------------------------------------------------------------------


def test_images_are_uploaded_once_per_content(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path)
    png = image(tmp_path)
    urls = forge.publish_images([png, png])
    assert forge.publish_images([png]) == urls
    uploads = fake_gitlab.uploads()
    assert len(uploads) == 1 and uploads[0].filename == png.name
    assert urls == {png.sha256: uploads[0].url}
    assert urls[png.sha256].startswith("/uploads/")


def test_a_rerun_reuses_the_upload_our_report_already_links(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    png = image(tmp_path)
    first = gitlab_forge(fake_gitlab, tmp_path)
    url = first.publish_images([png])[png.sha256]
    first.post_comment(comment(report(f"![confusion]({url})")))
    fake_gitlab.clear_requests()
    again = gitlab_forge(fake_gitlab, tmp_path).publish_images([png])
    assert again == {png.sha256: url}
    assert len(fake_gitlab.uploads()) == 1 and fake_gitlab.writes() == []


def test_links_in_someone_elses_note_are_not_trusted(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    png = image(tmp_path)
    planted = f"/uploads/{'f' * 32}/{png.name}"
    fake_gitlab.add_mr_note(42, 1, f"![x]({planted}) {MARKER}", user=fake_gitlab.alice)
    urls = gitlab_forge(fake_gitlab, tmp_path).publish_images([png])
    assert urls[png.sha256] != planted and len(fake_gitlab.uploads()) == 1


def test_uploaded_links_resolve_on_the_project(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    import requests

    png = image(tmp_path)
    url = gitlab_forge(fake_gitlab, tmp_path).publish_images([png])[png.sha256]
    answer = requests.get(f"{fake_gitlab.server_url}/group/project{url}", timeout=5)
    assert answer.content == png.path.read_bytes()


# -- tokens and refusals ---------------------------------------------------------------------------------------------


def test_only_the_job_token_fails_before_any_request_naming_the_fix(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path, token="")
    with pytest.raises(CmlError) as caught:
        forge.preflight(wants_comment=True, wants_check=False, wants_images=True)
    message = str(caught.value)
    assert "CI_JOB_TOKEN" in message and "'api' scope" in message and "masked CI/CD variable named CML_TOKEN" in message
    assert fake_gitlab.job_token not in message
    assert fake_gitlab.requests == []


def test_no_token_at_all_names_the_variables(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path, token="", CI_JOB_TOKEN="")
    with pytest.raises(CmlError, match="CML_TOKEN, REPO_TOKEN and GITLAB_TOKEN are unset"):
        forge.preflight(wants_comment=True, wants_check=False, wants_images=False)
    assert fake_gitlab.requests == []


def test_the_job_token_really_is_refused_by_gitlab(fake_gitlab: FakeGitLab) -> None:
    import requests

    answer = requests.post(
        f"{fake_gitlab.api_url}{NOTES}", json={"body": "x"}, headers={"JOB-TOKEN": fake_gitlab.job_token}, timeout=5
    )
    assert (answer.status_code, answer.json()) == (401, {"message": "401 Unauthorized"})


def test_a_fork_pipeline_is_read_only(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path, CI_PROJECT_ID="99", CI_MERGE_REQUEST_SOURCE_PROJECT_ID="99")
    with pytest.raises(ReadOnlyToken):
        forge.preflight(wants_comment=True, wants_check=False, wants_images=False)


def test_a_revoked_token_is_one_line_without_the_token(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path, token="glpat-revoked-secret")
    with pytest.raises(PublishError) as caught:
        forge.post_comment(comment(report()))
    assert str(caught.value) == (
        "GitLab: list the notes of MR !1 failed: 401 Unauthorized (GitLab does not accept the token from CML_TOKEN: "
        "it is wrong, expired or revoked; create a project access token with the 'api' scope (role Developer or "
        "higher) and store it as a masked CI/CD variable named CML_TOKEN)"
    )
    assert "glpat-revoked-secret" not in str(caught.value)


def test_a_reporter_cannot_write_and_says_403(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path, token=fake_gitlab.reporter_token)
    with pytest.raises(PublishError, match="create the report on MR !1 failed: 403"):
        forge.post_comment(comment(report()))


def test_a_note_over_the_limit_is_refused_before_any_request(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    forge = gitlab_forge(fake_gitlab, tmp_path)
    assert forge.limits.comment == 1_000_000
    with pytest.raises(PublishError, match="over the note limit of 1000000"):
        forge.post_comment(comment("x" * 1_000_001))
    assert fake_gitlab.requests == []


def test_parallel_jobs_with_distinct_keys_each_get_their_note(fake_gitlab: FakeGitLab, tmp_path: Path) -> None:
    markers = [f"<!-- cml-action:key=gitlab-ci/job-{index} -->" for index in range(8)]

    def job(marker: str) -> None:
        forge: GitLabForge = gitlab_forge(fake_gitlab, tmp_path)
        forge.post_comment(comment(report(marker, marker), marker=marker))

    threads = [threading.Thread(target=job, args=(marker,)) for marker in markers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bodies = sorted(n["body"] for n in fake_gitlab.mr_notes())
    assert bodies == sorted(report(marker, marker) for marker in markers)


def test_when_gitlab_will_not_name_the_token_user_the_marker_alone_decides(fake_gitlab: FakeGitLab,
                                                                           tmp_path: Path) -> None:  # fmt: skip
    first = gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("1")))
    fake_gitlab.faults.add("GET", r"^/user$", "status", status=403)
    second = gitlab_forge(fake_gitlab, tmp_path).post_comment(comment(report("2")))
    assert second.id == first.id
    assert [n["body"] for n in fake_gitlab.mr_notes()] == [report("2")]
