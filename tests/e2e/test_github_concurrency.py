"""Matrix fan-in against the fake GitHub: jobs of one workflow report at the same time (issue 7)."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cml_action.forges.base import PreparedImage
from tests.e2e.github_support import body, comment, context, forge, image, report_comments
from tests.fakes.github import FakeGitHub

JOBS = 8


def run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Start every job at the same moment; re-raise the first failure."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_matrix_jobs_with_distinct_keys_each_get_their_own_comment(fake_github: FakeGitHub) -> None:
    gh = fake_github
    number = gh.add_pull(gh.repo, head_sha=gh.main_sha)
    ctx = context(gh, pr_number=number)
    keys = [f"CML/train-{n}" for n in range(JOBS)]
    jobs = [lambda key=key: forge(gh, ctx)[0].post_comment(comment(f"model {key}", key=key)) for key in keys]
    published = run_together(jobs)
    assert len({p.id for p in published}) == JOBS
    for key in keys:
        assert [c["body"] for c in report_comments(gh, number, key)] == [body(f"model {key}", key)]
    # and a second round updates each in place
    jobs = [lambda key=key: forge(gh, ctx)[0].post_comment(comment(f"rerun {key}", key=key)) for key in keys]
    run_together(jobs)
    assert len(gh.issue_comments(gh.repo, number)) == JOBS
    for key in keys:
        assert [c["body"] for c in report_comments(gh, number, key)] == [body(f"rerun {key}", key)]


def test_two_jobs_publishing_images_at_once_both_land(fake_github: FakeGitHub, tmp_path: Path) -> None:
    gh = fake_github
    sets: list[list[PreparedImage]] = [
        [image(tmp_path / f"job{j}", f"job {j} image {n}".encode()) for n in range(3)] for j in range(2)
    ]
    results = run_together([lambda images=images: forge(gh)[0].publish_images(images) for images in sets])
    tip = gh.ref(gh.repo, "heads/cml-assets")
    assert tip is not None
    paths = set(gh.tree_paths(gh.repo, tip))
    for images, links in zip(sets, results, strict=True):
        for item in images:
            assert f"cml/{item.sha256[:2]}/{item.sha256}.png" in paths
            with urllib.request.urlopen(links[item.sha256]) as answer:
                assert answer.read() == item.path.read_bytes()
    # history is linear: one commit per job, the second on top of the first
    second = gh.commit(gh.repo, tip)
    assert len(second["parents"]) == 1
    assert gh.commit(gh.repo, second["parents"][0])["parents"] == []
