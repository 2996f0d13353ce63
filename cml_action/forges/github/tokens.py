"""What a GitHub token can do, from its prefix alone (no request), and the errors that name the fix.

Prefixes are GitHub's documented token formats (GitHub blog, "Behind GitHub's new authentication token formats",
and docs "About authentication to GitHub"): `ghp_` personal access token (classic), `github_pat_` fine-grained
personal access token, `gho_` OAuth app token, `ghu_` GitHub App user-to-server token, `ghs_` GitHub App
installation token (the Actions `GITHUB_TOKEN` is one), `ghr_` refresh token.

Check runs: "Write permission for the REST API to interact with checks is only available to GitHub Apps. OAuth apps
and authenticated users can view check runs and check suites, but they are not able to create them" (REST docs,
Checks). So personal and OAuth tokens cannot create check runs; installation tokens can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cml_action.errors import CmlError, ReadOnlyToken

TokenKind = Literal["installation", "personal", "oauth", "app-user", "unknown"]

_PREFIXES: tuple[tuple[str, TokenKind], ...] = (
    ("ghs_", "installation"),
    ("ghp_", "personal"),
    ("github_pat_", "personal"),
    ("gho_", "oauth"),
    ("ghu_", "app-user"),
)
# The login GitHub shows on comments made with the Actions workflow token.
ACTIONS_BOT_LOGIN = "github-actions[bot]"
FORK_DOCS = "docs/github.md#fork-pull-requests"


@dataclass(frozen=True)
class TokenFacts:
    kind: TokenKind

    @property
    def can_create_checks(self) -> bool:
        return self.kind not in ("personal", "oauth")

    @property
    def is_app_installation(self) -> bool:
        """Installation tokens author comments as `<app>[bot]` and cannot call GET /user."""
        return self.kind == "installation"

    @property
    def label(self) -> str:
        return {
            "installation": "a GitHub App installation token",
            "personal": "a personal access token",
            "oauth": "an OAuth app token",
            "app-user": "a GitHub App user token",
            "unknown": "a token of unknown kind",
        }[self.kind]


def token_facts(token: str) -> TokenFacts:
    for prefix, kind in _PREFIXES:
        if token.startswith(prefix):
            return TokenFacts(kind)
    return TokenFacts("unknown")


def missing_token_error(source: str) -> CmlError:
    from cml_action.surface import current

    return CmlError(f"no GitHub token: {source} is empty ({current().token_advice})")


def personal_token_check_error(facts: TokenFacts) -> CmlError:
    return CmlError(
        f"send-as check needs a GitHub App token, but the token is {facts.label}: GitHub lets only Apps create "
        "check runs (use the workflow token `${{ github.token }}` with `permissions: checks: write`, "
        "or send-as: comment)"
    )


def fork_read_only_error() -> ReadOnlyToken:
    return ReadOnlyToken(
        "this pull request comes from a fork, so its GITHUB_TOKEN is read-only: the report is only in the job "
        "summary and the report-file output (to comment on fork PRs, upload the report as an artifact and post "
        f"it from a workflow_run workflow; see {FORK_DOCS})"
    )
