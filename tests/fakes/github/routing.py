"""Route registry: handlers are registered per (method, spec path template) and receive a request context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .state import Repo, State, Token


@dataclass(frozen=True)
class Ctx:
    """Everything a handler needs; handlers run while ``state.lock`` is held."""

    state: State
    method: str
    path: str  # without the /api/v3 prefix and query
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    token: Token
    api_base: str  # http://127.0.0.1:PORT or http://127.0.0.1:PORT/api/v3: every API url we hand out
    server_url: str  # web base used in html_url links

    def repo(self) -> Repo:
        return self.state.get_repo(f"{self.params['owner']}/{self.params['repo']}")

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Ctx], Response]
ROUTES: dict[tuple[str, str], Handler] = {}


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[(method.lower(), template)] = handler
        return handler

    return register


def created(body: dict[str, Any]) -> Response:
    return Response(201, body, {"location": str(body["url"])})
