"""Shared fixtures: the loopback fake GitHub (and GitLab, when present) are available to every test."""

pytest_plugins = ["tests.fakes.github.fixtures", "tests.fakes.gitlab.fixtures"]
