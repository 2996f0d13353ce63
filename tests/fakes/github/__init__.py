"""A loopback fake of the GitHub REST API held to GitHub's OpenAPI description (see README.md)."""

from .fake import DEFAULT_REPO, FakeGitHub
from .faults import Fault, Faults
from .server import RecordedRequest

__all__ = ["DEFAULT_REPO", "FakeGitHub", "Fault", "Faults", "RecordedRequest"]
