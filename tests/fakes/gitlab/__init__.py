"""A loopback fake GitLab REST API (v4) for tests; see README.md."""

from .seeding import DEVELOPER, MAINTAINER, REPORTER, fake_sha
from .server import FakeGitLab, RecordedRequest

__all__ = ["DEVELOPER", "MAINTAINER", "REPORTER", "FakeGitLab", "RecordedRequest", "fake_sha"]
