"""Test only, on PYTHONPATH of a job process: with CML_TEST_STORE_DIR set, a forge without a store backend of
its own gets a `results_branch()` in that folder (tests/fakes/file_branch.py), shared by every job process."""

import os

if os.environ.get("CML_TEST_STORE_DIR"):
    from pathlib import Path

    from cml_action.forges.github.forge import GitHubForge
    from cml_action.forges.gitlab.forge import GitLabForge
    from tests.fakes.file_branch import FileBranch

    for _forge in (GitHubForge, GitLabForge):
        if "results_branch" not in vars(_forge):
            _forge.results_branch = lambda self: FileBranch(Path(os.environ["CML_TEST_STORE_DIR"]))  # type: ignore[attr-defined]
