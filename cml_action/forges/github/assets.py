"""Publish images to the assets branch in ONE commit through GitHub's Git Data API.

Flow (REST docs, "Git database"): read the branch ref; list the tip's tree (recursive) so images already present
cost nothing; create a blob per missing image; create a tree on top of the tip's tree (`base_tree`); create a
commit whose parent is the tip (no parent: the branch is created as an orphan); move the ref (fast-forward only).
When another job moved the ref first (422 "not a fast forward" / "Reference already exists"), the new tip is read
and the tree and commit are rebuilt on it; blobs already created are reused, never re-sent. Lost races are retried
for a time budget, not a number of rounds: of N jobs racing, only one wins each round, so the last one needs up to
N rounds. Between rounds a job sleeps a random time in [0, min(cap, base * 2**round)] ("full jitter", AWS
Architecture Blog, "Exponential Backoff and Jitter"): jobs that lost together spread out instead of racing again in
lockstep (GitHub's 1 s write pacing otherwise keeps matrix jobs in step).

Paths are content-addressed, `cml/<sha256[:2]>/<sha256>.<ext>`, so the same image is stored once. Links have the
form `{server}/{owner}/{repo}/blob/{commit}/{path}?raw=true`: GitHub renders those in comments of private
repositories for readers with access, which `data:` URIs and raw.githubusercontent.com links do not.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cml_action.forges.base import PreparedImage
from cml_action.forges.github.rest import ApiError, GitHubRest
from cml_action.forges.retry import Retrier

ASSET_ROOT = "cml"
BLOB_MODE = "100644"
# How long a job keeps rebuilding its commit on a branch that other jobs keep moving. Measured with entrypoint.py
# processes against the fake GitHub at the default 1 s write pacing (benchmarks/bench_matrix.py): the slowest of 8
# matrix jobs landed after 36 s, of 16 after 67 s (each round spans 2 s of paced writes, so N jobs need >= 2N s).
# Five minutes leaves room for about 50 jobs or a slow GitHub and is short against a job's timeout. Past it the
# step fails with one line.
REF_RACE_BUDGET_SECONDS = 300.0
# Backoff between lost rounds: up to 1 s, doubling to at most 8 s. One job still wins every round (the first ref
# update on the tip), so longer waits only idle the branch: a simulation of paced rounds gave the slowest of 16 jobs
# 51 s with an 8 s cap against 57 s with 16 s and 69 s with 32 s; a smaller cap would add wasted writes (each lost
# round costs a tree, a commit and a ref update) for little gain.
REF_RACE_BACKOFF_BASE_SECONDS = 1.0
REF_RACE_BACKOFF_CAP_SECONDS = 8.0


def full_jitter(round_number: int) -> float:
    """Seconds to wait after losing `round_number` (1-based) races in a row."""
    ceiling = min(REF_RACE_BACKOFF_CAP_SECONDS, REF_RACE_BACKOFF_BASE_SECONDS * 2 ** (round_number - 1))
    return random.uniform(0.0, ceiling)


# The 422 answers that mean another job moved (or created) the branch first. Any other 422 (an invalid ref name,
# a protected branch) will not change by retrying, so it fails at once instead of for the whole budget.
RACE_MESSAGES = ("not a fast forward", "reference already exists", "reference update failed")


def is_race(exc: ApiError) -> bool:
    return exc.status == 422 and any(text in exc.message.lower() for text in RACE_MESSAGES)


def asset_path(image: PreparedImage) -> str:
    return f"{ASSET_ROOT}/{image.sha256[:2]}/{image.name}"


@dataclass(frozen=True)
class BranchTip:
    commit: str
    tree: str
    paths: frozenset[str]


class RefMoved(Exception):
    """The branch moved under us (a concurrent job): rebuild on the new tip."""


class AssetPublisher:
    def __init__(
        self,
        client: GitHubRest,
        *,
        repo: str,
        server_url: str,
        branch: str,
        retrier: Retrier,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        budget: float = REF_RACE_BUDGET_SECONDS,
        backoff: Callable[[int], float] = full_jitter,
    ) -> None:
        self._client = client
        self._repo = repo
        self._api = f"/repos/{repo}"
        self._server_url = server_url
        self._branch = branch
        self._retrier = retrier
        self._blobs: dict[str, str] = {}  # asset path -> blob sha created by this publisher
        self._sleep = sleep
        self._clock = clock
        self._budget = budget
        self._backoff = backoff
        self.rounds = 0  # commits built (1 when no other job raced us), for tests and benchmarks

    def _request(self, verb: str, path: str, *, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        return self._client.request(verb, self._api + path, query=query, body=body)

    def _read_tip(self) -> BranchTip | None:
        def read() -> BranchTip | None:
            try:
                ref = self._request("GET", f"/git/ref/heads/{self._branch}")
            except ApiError as exc:
                if exc.status == 404:
                    return None
                raise
            commit = ref["object"]["sha"]
            # The trees endpoint takes a commit sha too ("tree_sha: the SHA1 value or ref name of the tree").
            tree = self._request("GET", f"/git/trees/{commit}", query={"recursive": 1})
            paths = frozenset(entry["path"] for entry in tree.get("tree", []) if entry.get("type") == "blob")
            return BranchTip(commit=commit, tree=tree["sha"], paths=paths)

        return self._retrier.read("images", read)

    def _blob_for(self, path: str, image: PreparedImage) -> str:
        if path not in self._blobs:
            content = base64.b64encode(image.path.read_bytes()).decode("ascii")
            # Not paced like a write: the blobs are parts of one commit, and a blob is content-addressed, so
            # sending it again after a lost answer yields the same sha (safe to retry like a read). Pacing each
            # blob made 20 000 images cost 5.6 hours.
            created = self._retrier.read(
                "images",
                lambda: self._request("POST", "/git/blobs", body={"content": content, "encoding": "base64"}),
            )
            self._blobs[path] = created["sha"]
        return self._blobs[path]

    def _commit_on(self, tip: BranchTip | None, missing: Mapping[str, PreparedImage]) -> str:
        entries = [
            {"path": path, "mode": BLOB_MODE, "type": "blob", "sha": self._blob_for(path, image)}
            for path, image in sorted(missing.items())
        ]
        tree_body: dict[str, Any] = {"tree": entries}
        if tip is not None:
            tree_body["base_tree"] = tip.tree
        tree = self._retrier.write("images", lambda: self._request("POST", "/git/trees", body=tree_body))
        commit_body = {
            "message": f"cml-action: publish {len(entries)} image(s)",
            "tree": tree["sha"],
            "parents": [tip.commit] if tip is not None else [],
        }
        commit = self._retrier.write("images", lambda: self._request("POST", "/git/commits", body=commit_body))
        return str(commit["sha"])

    def _move_ref(self, tip: BranchTip | None, commit: str) -> None:
        def landed() -> bool | None:
            now = self._read_tip()
            return True if now is not None and now.commit == commit else None

        def move() -> bool:
            try:
                if tip is None:
                    self._request("POST", "/git/refs", body={"ref": f"refs/heads/{self._branch}", "sha": commit})
                else:
                    self._request("PATCH", f"/git/refs/heads/{self._branch}", body={"sha": commit, "force": False})
            except ApiError as exc:
                if is_race(exc):
                    raise RefMoved() from None
                raise
            return True

        try:
            self._retrier.write("images", move, refind=landed)
        except RefMoved:
            if landed():  # our own earlier attempt landed and its response was lost
                return
            raise

    def publish(self, images: Sequence[PreparedImage]) -> dict[str, str]:
        """sha256 -> link for every image; at most one new commit on the branch."""
        by_path = {asset_path(image): image for image in images}
        if not by_path:
            return {}
        start = self._clock()
        while True:
            self.rounds += 1
            tip = self._read_tip()
            missing = {path: image for path, image in by_path.items() if tip is None or path not in tip.paths}
            if not missing:
                assert tip is not None
                return self._links(tip.commit, by_path)
            commit = self._commit_on(tip, missing)
            try:
                self._move_ref(tip, commit)
            except RefMoved:
                self._wait_before_next_round(start)
                continue
            return self._links(commit, by_path)

    def _wait_before_next_round(self, start: float) -> None:
        remaining = self._budget - (self._clock() - start)
        if remaining <= 0:
            from cml_action.errors import PublishError

            raise PublishError(
                f"publishing the images to {self._repo} failed: the branch '{self._branch}' kept moving under us "
                f"for {self._budget:g} s ({self.rounds} attempts; re-run the job, or use a separate assets-branch "
                "per workflow)"
            )
        self._sleep(min(remaining, self._backoff(self.rounds)))

    def _links(self, commit: str, by_path: Mapping[str, PreparedImage]) -> dict[str, str]:
        base = f"{self._server_url}/{self._repo}/blob/{commit}"
        return {image.sha256: f"{base}/{path}?raw=true" for path, image in by_path.items()}
