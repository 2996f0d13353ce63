"""GitHub's JSON error shapes, raised by route handlers and turned into responses by the server."""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """An HTTP error answered with GitHub's ``{"message", "documentation_url", ["errors"], "status"}`` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        documentation_url: str = DOCS,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"message": self.message, "documentation_url": self.documentation_url}
        if self.errors is not None:
            payload["errors"] = self.errors
        payload["status"] = str(self.status)  # GitHub added a string "status" to error bodies in 2023
        return payload


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def bad_credentials() -> ApiError:
    return ApiError(401, "Bad credentials")


def not_accessible_by_integration() -> ApiError:
    return ApiError(403, "Resource not accessible by integration")


def must_be_github_app() -> ApiError:
    # Exactly what api.github.com answers when a personal token calls the Checks API.
    return ApiError(
        403,
        "You must authenticate via a GitHub App.",
        documentation_url="https://docs.github.com/rest/checks/runs#create-a-check-run",
    )


def validation_failed(resource: str, field: str, code: str, message: str | None = None) -> ApiError:
    error: dict[str, Any] = {"resource": resource, "code": code, "field": field}
    if message is not None:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error])


def body_too_long(resource: str, limit: int) -> ApiError:
    return validation_failed(resource, "data", "unprocessable", f"Body is too long (maximum is {limit} characters)")


def unprocessable(message: str) -> ApiError:
    return ApiError(422, message)


class SpecViolation(ApiError):
    """A request the spec forbids in a way a JSON schema cannot express (the server records it)."""

    def __init__(self, problem: str) -> None:
        super().__init__(422, f"Invalid request.\n\n{problem}")
        self.problem = problem
