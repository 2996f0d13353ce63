from __future__ import annotations

import pytest

from cml_action.errors import InputError
from cml_action.forges.base import Target
from cml_action.targets import parse_target


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("auto", Target("auto")),
        ("pr", Target("pr")),
        ("mr", Target("pr")),
        ("commit", Target("commit")),
        ("pr/12", Target("pr", number=12)),
        ("MR/3", Target("pr", number=3)),
        ("issue/7", Target("issue", number=7)),
        ("commit/ABCDEF1", Target("commit", sha="abcdef1")),
    ],
)
def test_target_forms(raw: str, expected: Target) -> None:
    assert parse_target(raw) == expected


@pytest.mark.parametrize("raw", ["pr/0", "pr/x", "commit/xyz", "branch/main", "issue", ""])
def test_bad_targets_name_the_input(raw: str) -> None:
    with pytest.raises(InputError, match=r"^input 'target': .* \(use auto, pr, commit, pr/N, issue/N or commit/SHA\)$"):
        parse_target(raw)
