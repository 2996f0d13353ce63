"""Seeding and state-inspection helpers of FakeGitLab (thread-safe: each takes the state lock)."""

from __future__ import annotations

import hashlib
from typing import Any

from . import routes, routes_commits
from .state import Discussion, Issue, MergeRequest, Note, Project, State, Token, Upload, User

MAINTAINER = 40
DEVELOPER = 30
REPORTER = 20


def fake_sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()


class Seeding:
    state: State
    server_url: str

    # Defaults (seed_defaults=True)
    project_id = 42
    project_path = "group/project"
    head_sha = fake_sha("head")
    base_sha = fake_sha("base")
    mr_iid = 1
    project_token = "glpat-project-bot-0123456789"
    user_token = "glpat-alice-0123456789abcd"
    reporter_token = "glpat-reporter-0123456789"
    job_token = "glcbt-64_jobtoken0123456789"
    bot: User
    alice: User

    def seed_defaults(self) -> None:
        self.bot = self.add_user("project_42_bot_1a2b3c", name="cml bot", bot=True, user_id=100)
        self.alice = self.add_user("alice", name="Alice", user_id=7)
        reporter = self.add_user("rita", name="Rita Reporter", user_id=8)
        self.add_project(self.project_path, project_id=self.project_id, visibility="private")
        self.add_member(self.project_id, self.bot, MAINTAINER)
        self.add_member(self.project_id, self.alice, DEVELOPER)
        self.add_member(self.project_id, reporter, REPORTER)
        self.add_token(self.project_token, self.bot, kind="project")
        self.add_token(self.user_token, self.alice, kind="personal")
        self.add_token(self.reporter_token, reporter, kind="personal")
        self.add_token(self.job_token, self.alice, kind="job")
        self.add_commit(self.project_id, self.base_sha)
        self.add_commit(self.project_id, self.head_sha)
        self.commit_files(self.project_id, "main", {"README.md": b"# project\n"}, commit_id=self.base_sha)
        self.add_mr(self.project_id, self.head_sha, iid=self.mr_iid, commits=(self.head_sha,))

    # -- seeding -----------------------------------------------------------------------------------------------------

    def add_user(self, username: str, *, name: str = "", bot: bool = False, user_id: int | None = None) -> User:
        with self.state.lock:
            user = User(user_id or self.state.next_id(), username, name or username, bot)
            self.state.users[user.id] = user
            return user

    def add_token(self, value: str, user: User, *, kind: str = "project", scopes: tuple[str, ...] = ("api",)) -> None:
        with self.state.lock:
            self.state.tokens[value] = Token(value, kind, user, scopes)

    def add_project(self, path: str, *, project_id: int | None = None, visibility: str = "private") -> int:
        with self.state.lock:
            project = Project(project_id or self.state.next_id(), path, visibility)
            self.state.projects[project.id] = project
            return project.id

    def add_member(self, project_id: int, user: User, access_level: int = DEVELOPER) -> None:
        with self.state.lock:
            self._project(project_id).members[user.id] = access_level

    def add_commit(self, project_id: int, sha: str | None = None) -> str:
        with self.state.lock:
            project = self._project(project_id)
            commit = sha or fake_sha(f"commit-{len(project.commits)}-{project.id}")
            project.commits.add(commit)
            return commit

    def commit_files(self, project_id: int, branch: str, files: dict[str, bytes | None], *, message: str = "A commit",
                     start: str | None = None, commit_id: str | None = None) -> str:  # fmt: skip
        """A commit on `branch` (created from branch `start`, or as the first commit, when absent) changing `files`
        (None deletes); returns its id. What a concurrent writer's push does, for race tests."""
        with self.state.lock:
            project = self._project(project_id)
            repo = project.repository
            parent = repo.branches.get(branch) or (repo.branches[start] if start else None)
            made = repo.commit(parent, message, "seeder", files, commit_id)
            repo.branches[branch] = made.id
            project.commits.add(made.id)
            return made.id

    def protect_branch(self, project_id: int, branch: str, push_level: int = MAINTAINER) -> None:
        """Only members at `push_level` or above may push to `branch` (GitLab's "Allowed to push and merge")."""
        with self.state.lock:
            self._project(project_id).repository.protected[branch] = push_level

    def branch_file(self, project_id: int, branch: str, path: str) -> bytes | None:
        with self.state.lock:
            commit = self._project(project_id).repository.resolve(branch)
            found = commit.files.get(path) if commit else None
            return found.data if found else None

    def branch_log(self, project_id: int, branch: str) -> list[str]:
        """Commit messages on `branch`, newest first (first parents)."""
        with self.state.lock:
            return [commit.message for commit in self._project(project_id).repository.history(branch)]

    def add_mr(self, project_id: int, sha: str, *, iid: int | None = None, source_branch: str = "feature",
               target_branch: str = "main", state: str = "opened", commits: tuple[str, ...] = ()) -> int:  # fmt: skip
        with self.state.lock:
            project = self._project(project_id)
            number = iid or project.next_iid
            project.next_iid = max(project.next_iid, number + 1)
            project.commits.add(sha)
            project.mrs[number] = MergeRequest(number, sha, source_branch, target_branch, state, commits or (sha,))
            return number

    def add_issue(self, project_id: int, title: str = "An issue") -> int:
        with self.state.lock:
            project = self._project(project_id)
            number = project.next_iid
            project.next_iid += 1
            project.issues[number] = Issue(number, title)
            return number

    def add_mr_note(self, project_id: int, iid: int, body: str, *, user: User | None = None,
                    system: bool = False) -> int:  # fmt: skip
        with self.state.lock:
            note = Note(self.state.next_id(), body, user or self.alice, "MergeRequest", noteable_iid=iid, system=system)
            self._project(project_id).mrs[iid].notes.append(note)
            return note.id

    def add_commit_discussion(self, project_id: int, sha: str, body: str, *, user: User | None = None) -> str:
        with self.state.lock:
            discussion = Discussion(self.state.discussion_id())
            discussion.notes.append(Note(self.state.next_id(), body, user or self.alice, "Commit", commit_id=sha,
                                         discussion_id=discussion.id))  # fmt: skip
            self._project(project_id).discussions.setdefault(sha, []).append(discussion)
            return discussion.id

    def delete_mr_note(self, project_id: int, iid: int, note_id: int) -> None:
        with self.state.lock:
            notes = self._project(project_id).mrs[iid].notes
            notes[:] = [n for n in notes if n.id != note_id]

    # -- inspection --------------------------------------------------------------------------------------------------

    def mr_notes(self, project_id: int | None = None, iid: int | None = None) -> list[dict[str, Any]]:
        """API-shaped notes of the MR, oldest first, system notes included."""
        with self.state.lock:
            project = self._project(project_id or self.project_id)
            return [self._note(n, project) for n in project.mrs[iid or self.mr_iid].notes]

    def issue_notes(self, project_id: int, iid: int) -> list[dict[str, Any]]:
        with self.state.lock:
            project = self._project(project_id)
            return [self._note(n, project) for n in project.issues[iid].notes]

    def commit_discussions(self, project_id: int | None = None, sha: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            project = self._project(project_id or self.project_id)
            req = self._req()
            return [
                routes_commits.discussion_api(d, project, req)
                for d in project.discussions.get(sha or self.head_sha, [])
            ]

    def statuses(self, project_id: int | None = None, sha: str | None = None) -> list[dict[str, Any]]:
        """Commit statuses of the sha, oldest first."""
        with self.state.lock:
            project = self._project(project_id or self.project_id)
            req = self._req()
            return [routes_commits.status_api(s, req) for s in project.statuses if s.sha == (sha or self.head_sha)]

    def uploads(self, project_id: int | None = None) -> list[Upload]:
        with self.state.lock:
            return list(self._project(project_id or self.project_id).uploads)

    def note_updates(self, note_id: int) -> int:
        """How many times PUT changed the note."""
        with self.state.lock:
            for project in self.state.projects.values():
                every = [n for mr in project.mrs.values() for n in mr.notes]
                every += [n for ds in project.discussions.values() for d in ds for n in d.notes]
                for note in every:
                    if note.id == note_id:
                        return note.updated
        raise KeyError(note_id)

    @property
    def quick_actions(self) -> list[str]:
        with self.state.lock:
            return list(self.state.quick_actions)

    def _project(self, project_id: int) -> Project:
        return self.state.projects[project_id]

    def _req(self) -> routes.Req:
        return routes.Req(self.state, "GET", "", {}, {}, {}, None, self.server_url)

    def _note(self, note: Note, project: Project) -> dict[str, Any]:
        return routes.note_api(note, project, self._req())
