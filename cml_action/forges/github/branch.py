"""The one writer of the assets branch through GitHub's Git Data API: image publishing and the results store.

Flow (REST docs, "Git database"): read the branch ref and the tip's tree (recursive only when the caller needs every
path: images already present cost nothing); create a tree on top of the tip's tree (`base_tree`); create a commit
whose only parent is the tip (no parent: the branch is created as an orphan); move the ref without force. That is a
compare-and-swap: a commit whose parent is the old tip is not a fast-forward of a newer tip, so when another job
moved the ref first (422 "not a fast forward" / "Reference already exists") the new tip is read and the commit is
rebuilt on it. Lost races are retried for a time budget, not a number of rounds: of N jobs racing, only one wins each
round, so the last one needs up to N rounds. Between rounds a job sleeps with full jitter (`retry.full_jitter`):
jobs that lost together spread out instead of racing again in lockstep (GitHub's 1 s write pacing otherwise keeps
matrix jobs in step).

A ref update whose answer was lost (a dropped connection, a 5xx) may have landed: before anything is sent again the
branch's recent commits are listed (one request) and the write counts as done when our commit is among them, even
if another job has moved the branch on top of it since; so a lost answer never commits the same change twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cml_action.forges import retry
from cml_action.forges.github.rest import ApiError, GitHubRest, sha_in
from cml_action.forges.retry import LostRaces, Retrier

BLOB_MODE = "100644"
# How long a job keeps rebuilding its commit on a branch that other jobs keep moving. Measured with entrypoint.py
# processes against the fake GitHub at the default 1 s write pacing (benchmarks/bench_matrix.py), each job
# publishing an image and recording its results: the slowest of 8 matrix jobs landed after 9.3 s, of 16 after
# 13.9 s (36 s and 67 s when the tree and the commit were paced too, and there was no record). Five minutes leaves
# room for far more jobs or a slow GitHub and is short against a job's timeout. Past it the step fails with one
# line.
REF_RACE_BUDGET_SECONDS = 300.0
# Backoff between lost rounds: up to 1 s, doubling to at most 8 s. One job still wins every round (the first ref
# update on the tip), so longer waits only idle the branch: a simulation of paced rounds gave the slowest of 16 jobs
# 51 s with an 8 s cap against 57 s with 16 s and 69 s with 32 s; a smaller cap would add wasted writes (each lost
# round costs a tree, a commit and a ref update) for little gain.
REF_RACE_BACKOFF_BASE_SECONDS = 1.0
REF_RACE_BACKOFF_CAP_SECONDS = 8.0
# A lost ref update is looked for among this many of the branch's newest commits (one page): more jobs than this
# would have to land in the moment between our lost answer and the look-up.
LANDED_LOOKBACK = 100


def full_jitter(round_number: int) -> float:
    """Seconds to wait after losing `round_number` (1-based) races in a row."""
    return retry.full_jitter(round_number, REF_RACE_BACKOFF_BASE_SECONDS, REF_RACE_BACKOFF_CAP_SECONDS)


# The 422 answers that mean another job moved (or created) the branch first. Any other 422 (an invalid ref name,
# a protected branch) will not change by retrying, so it fails at once instead of for the whole budget.
RACE_MESSAGES = ("not a fast forward", "reference already exists", "reference update failed")


def is_race(exc: ApiError) -> bool:
    return exc.status == 422 and any(text in exc.message.lower() for text in RACE_MESSAGES)


@dataclass(frozen=True)
class BranchTip:
    commit: str
    tree: str
    blobs: Mapping[str, str] = field(default_factory=dict)  # path -> blob sha; only from a recursive read

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(self.blobs)


class RefMoved(Exception):
    """The branch moved under us (a concurrent job): rebuild on the new tip."""


# What a round builds on a tip: (commit message, tree entries), or None when the tip already has it all.
Build = Callable[[BranchTip | None], tuple[str, Sequence[Mapping[str, Any]]] | None]


class BranchWriter:
    """Commits to one branch with compare-and-swap. `what` names the caller in errors ("images", "results")."""

    def __init__(
        self,
        client: GitHubRest,
        *,
        repo: str,
        branch: str,
        retrier: Retrier,
        what: str,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        budget: float = REF_RACE_BUDGET_SECONDS,
        backoff: Callable[[int], float] = full_jitter,
    ) -> None:
        self.repo = repo
        self.branch = branch
        self.retrier = retrier
        self.what = what
        self._client = client
        self._api = f"/repos/{repo}"
        self._sleep = sleep
        self._clock = clock
        self._budget = budget
        self._backoff = backoff

    def request(self, verb: str, path: str, *, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        """`verb` on a path relative to /repos/{owner}/{repo} (no retries: callers wrap it in the retrier)."""
        return self._client.request(verb, self._api + path, query=query, body=body)

    def tip(self, *, recursive: bool) -> BranchTip | None:
        """The branch's tip (None: no branch yet). Recursive: two requests, the ref and the tip's tree listing every
        path. Otherwise one: `GET /commits/{branch}` names the commit and its tree (the store needs no listing)."""

        def read() -> BranchTip | None:
            if not recursive:
                return self._tip_commit()
            try:
                ref = self.request("GET", f"/git/ref/heads/{self.branch}")
            except ApiError as exc:
                if exc.status == 404:
                    return None
                raise
            commit = sha_in(ref, "object", "sha")
            # The trees endpoint takes a commit sha too ("tree_sha: the SHA1 value or ref name of the tree").
            tree = self.request("GET", f"/git/trees/{commit}", query={"recursive": 1})
            entries = tree.get("tree") if isinstance(tree, dict) else None
            blobs = {str(entry.get("path")): str(entry.get("sha")) for entry in entries or []
                     if isinstance(entry, dict) and entry.get("type") == "blob"}  # fmt: skip
            return BranchTip(commit=commit, tree=sha_in(tree, "sha"), blobs=blobs)

        return self.retrier.read(self.what, read)

    def _tip_commit(self) -> BranchTip | None:
        try:
            found = self.request("GET", f"/commits/{self.branch}")
        except ApiError as exc:
            # No such branch: 422 "No commit found for SHA: <branch>" (404 for an unknown ref name, 409 when empty).
            if exc.status in (404, 409, 422):
                return None
            raise
        return BranchTip(commit=sha_in(found, "sha"), tree=sha_in(found, "commit", "tree", "sha"))

    def write(self, build: Build, *, recursive: bool) -> tuple[BranchTip | None, str | None]:
        """Build on the tip and swap the ref, rebuilding on each new tip until it lands or the budget is spent.
        Returns the tip read last and the commit that landed (None: `build` had nothing to write on that tip)."""
        races = LostRaces(self._budget, self._backoff, self._sleep, self._clock)
        while True:
            tip = self.tip(recursive=recursive)
            built = build(tip)
            if built is None:
                return tip, None
            commit = self._commit_on(tip, *built)
            try:
                self._move_ref(tip, commit)
            except RefMoved:
                races.lost(self._kept_moving)
                continue
            return tip, commit

    def _commit_on(self, tip: BranchTip | None, message: str, entries: Sequence[Mapping[str, Any]]) -> str:
        tree_body: dict[str, Any] = {"tree": list(entries)}
        if tip is not None:
            tree_body["base_tree"] = tip.tree
        # The tree and the commit are not paced like writes (as blobs are not): they are objects no one sees until
        # the ref moves, which is the one paced write. Sending one again after a lost answer is safe: a tree is
        # content-addressed (the same sha), a second commit object stays unreferenced. Pacing them cost every
        # record and every image publish 2 s of waiting on GitHub.
        tree = self.retrier.read(self.what, lambda: self.request("POST", "/git/trees", body=tree_body))
        commit_body = {"message": message, "tree": sha_in(tree, "sha"),
                       "parents": [tip.commit] if tip is not None else []}  # fmt: skip
        commit = self.retrier.read(self.what, lambda: self.request("POST", "/git/commits", body=commit_body))
        return sha_in(commit, "sha")

    def landed(self, commit: str) -> bool:
        """Whether `commit` is on the branch (one request: its newest commits)."""
        try:
            listed = self.request("GET", "/commits", query={"sha": self.branch, "per_page": LANDED_LOOKBACK})
        except ApiError as exc:
            if exc.status in (404, 409, 422):  # no branch (409: an empty repository)
                return False
            raise
        return any(isinstance(item, dict) and item.get("sha") == commit for item in listed or [])

    def _move_ref(self, tip: BranchTip | None, commit: str) -> None:
        def found() -> bool | None:
            return True if self.landed(commit) else None

        attempts: list[None] = []

        def move() -> bool:
            attempts.append(None)
            try:
                if tip is None:
                    self.request("POST", "/git/refs", body={"ref": f"refs/heads/{self.branch}", "sha": commit})
                else:
                    self.request("PATCH", f"/git/refs/heads/{self.branch}", body={"sha": commit, "force": False})
            except ApiError as exc:
                if is_race(exc):
                    raise RefMoved() from None
                raise
            return True

        try:
            self.retrier.write(self.what, move, refind=found)
        except RefMoved:
            # Refused as a race after a retry: the earlier attempt may have landed with its answer lost. A first
            # attempt refused is certainly ours to rebuild (no request spent looking).
            if len(attempts) > 1 and self.retrier.read(self.what, lambda: self.landed(commit)):
                return
            raise

    def _kept_moving(self, rounds: int) -> str:
        return (f"publishing the {self.what} to {self.repo} failed: the branch '{self.branch}' kept moving under us "
                f"for {self._budget:g} s ({rounds} attempts; re-run the job, or use a separate assets-branch per "
                "workflow)")  # fmt: skip
