"""The results store on the reference branch: what a later run reads back, under concurrent writers."""

from __future__ import annotations

import json
import threading
import time

import pytest

from cml_action.store import layout
from cml_action.store.branch import MemoryBranch
from cml_action.store.model import GroupDoc, StoredRun
from cml_action.store.records import ResultStore, encode

SHA = "a" * 40


def run(key: str = "cml/report", sha: str = SHA, accuracy: float = 0.9, **extra: object) -> StoredRun:
    return StoredRun(key=key, head_sha=sha, time="2026-12-07T00:00:00Z", branch="main", event="push",
                     metrics={"metrics.json": {"accuracy": accuracy}}, **extra)  # type: ignore[arg-type]  # fmt: skip


def test_a_recorded_run_reads_back_with_its_index_entry() -> None:
    store = ResultStore(MemoryBranch())
    store.record(run(run_id="17", section="## Report"), "main")
    assert store.run("cml/report", SHA) == run(run_id="17", section="## Report")
    [entry] = store.index("cml/report", "main")
    assert (entry.head_sha, entry.run_id, entry.metrics) == (SHA, "17", {"metrics.json": {"accuracy": 0.9}})
    assert store.index("cml/report", "other") == []
    assert store.run("cml/report", "b" * 40) is None


def test_the_index_keeps_the_last_history_runs_and_a_rerun_replaces_its_entry() -> None:
    branch = MemoryBranch()
    store = ResultStore(branch, history=3)
    shas = [f"{n:x}" * 40 for n in range(1, 6)]
    for number, sha in enumerate(shas):
        store.record(run(sha=sha[:40], accuracy=number / 10), "main")
    store.record(run(sha=shas[3][:40], accuracy=0.99), "main")  # a re-run of the 4th commit
    entries = store.index("cml/report", "main")
    assert [entry.head_sha for entry in entries] == [shas[2][:40], shas[4][:40], shas[3][:40]]
    assert entries[-1].metrics == {"metrics.json": {"accuracy": 0.99}}
    # Retention trims the index only: every run document is still on the branch, and every commit is kept.
    assert all(store.run("cml/report", sha[:40]) is not None for sha in shas)
    assert len(branch.commits) == 6


def test_eight_writers_at_once_lose_nothing() -> None:
    branch = MemoryBranch()
    branch.before_swap = lambda: time.sleep(0.002)  # widen the window between reading the tip and swapping
    store = ResultStore(branch)
    shas = [f"{n:040x}" for n in range(1, 9)]
    threads = [threading.Thread(target=store.record, args=(run(sha=sha), "main")) for sha in shas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(entry.head_sha for entry in store.index("cml/report", "main")) == shas
    assert branch.lost_races > 0  # the test did race


def test_a_group_gathers_every_member_and_a_rerun_replaces_only_its_own() -> None:
    branch = MemoryBranch()
    branch.before_swap = lambda: time.sleep(0.002)
    store = ResultStore(branch)
    keys = [f"model-{n}" for n in range(8)]
    threads = [threading.Thread(target=store.join_group, args=("models", run(key=key, section=key))) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    view = store.group("models", SHA)
    assert sorted(view.members) == keys and view.revision == 8
    again = store.join_group("models", run(key="model-3", section="re-run"))
    assert again.revision == 9 and again.members["model-3"].section == "re-run"
    assert [again.members[key].section for key in keys if key != "model-3"] == [key for key in keys if key != "model-3"]


def test_the_first_job_to_name_the_group_comment_wins() -> None:
    store = ResultStore(MemoryBranch())
    store.join_group("models", run(key="a"))
    assert store.claim_group_comment("models", SHA, "101").comment_id == "101"
    later = store.claim_group_comment("models", SHA, "102")
    assert later.comment_id == "101" and later.revision == 2  # nothing written for the loser


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[]", b'{"format": 99, "entries": []}', b'{"format": 1}', b'{"format": 1, "entries": "x"}'],
)
def test_an_index_that_does_not_fit_reads_as_empty_and_is_rewritten(content: bytes) -> None:
    branch = MemoryBranch()
    branch.commits.append({layout.index_path("k", "main"): content})
    store = ResultStore(branch)
    assert store.index("k", "main") == []
    store.record(run(key="k"), "main")
    assert [entry.head_sha for entry in store.index("k", "main")] == [SHA]


def test_bad_entries_and_members_are_skipped_not_trusted() -> None:
    branch = MemoryBranch()
    good = run(key="k").entry().to_json()
    entries = [good, {"head_sha": "../../etc", "time": "t"}, {"head_sha": SHA, "time": 5}, "x"]
    members = {"k": run(key="k").to_json(), "evil": {"format": 1, "key": "evil", "head_sha": "zz", "time": "t"}}
    branch.commits.append({
        layout.index_path("k", "main"): encode({"format": 1, "entries": entries}),
        layout.group_path("g", SHA): encode({"format": 1, "revision": 4, "members": members}),
    })  # fmt: skip
    store = ResultStore(branch)
    assert [entry.head_sha for entry in store.index("k", "main")] == [SHA]
    assert list(store.group("g", SHA).members) == ["k"]
    # A run document filed under another key's name is not that key's run.
    branch.commits.append({layout.run_path("other", SHA): encode(run(key="k").to_json())})
    assert store.run("other", SHA) is None


def test_metric_values_keep_only_scalars() -> None:
    data = run().to_json() | {"metrics": {"m.json": {"a": 1, "b": {"nested": 1}, "c": "x", "d": None}}}
    assert StoredRun.from_json(json.loads(json.dumps(data))).metrics == {"m.json": {"a": 1, "c": "x", "d": None}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("main", "main"), ("feature/x", "feature-x-"), ("../../etc", "etc-"), ("", "x-"), ("a b", "a-b-")],
)
def test_user_text_becomes_one_path_segment(text: str, expected: str) -> None:
    got = layout.segment(text)
    assert got.startswith(expected) and "/" not in got and not got.startswith(".")
    assert layout.segment("feature/x") != layout.segment("feature-x")


def test_a_pull_request_has_its_own_index() -> None:
    assert layout.index_name("feature/x", 12) == "pull-12"
    assert layout.index_name("main", None) == "main"
    assert GroupDoc().revision == 0
