"""The syntax check on real tree-sitter parses: each rejected candidate is paired with a
near-identical accepted one, so a check that rejects everything or nothing fails."""

from __future__ import annotations

import pytest

from qwen_lsp.completion import syntax_check
from qwen_lsp.syntax.languages import default_registry

PYTHON = default_registry().by_id("python")

WITH_BLOCK = "def load(path):\n    with open(path) as f:\n        data = "
AFTER = "\n    return data\n"


@pytest.mark.parametrize(
    ("before", "good", "bad"),
    [
        # The unfinished statement's error must not hide an extra bracket of the candidate's.
        (WITH_BLOCK, "f.read()", "f.read())"),
        (WITH_BLOCK, "[line for line in f]", "[line for line in f]]"),
        ("def load(path):\n    data = ", "open(path).read()", "open(path).read())"),
        ("def f(x):\n    ", "y = g(x)", "y = g(x))"),
    ],
)
def test_a_candidate_that_adds_an_error_is_rejected(before: str, good: str, bad: str) -> None:
    assert syntax_check.check(PYTHON, before, AFTER, good) == good
    assert syntax_check.check(PYTHON, before, AFTER, bad) is None


def test_a_bracket_open_lines_above_may_be_closed() -> None:
    """An unclosed bracket lines above makes an error that runs across the cursor: a candidate
    that closes it passes, one that closes one bracket too many does not."""
    before = "def f():\n    x = [1,\n         "
    assert syntax_check.check(PYTHON, before, AFTER, "2, 3]") == "2, 3]"
    assert syntax_check.check(PYTHON, before, AFTER, "2]]") is None


def test_a_later_line_that_adds_an_error_is_cut() -> None:
    assert syntax_check.check(PYTHON, WITH_BLOCK, AFTER, "f.read()\n        x = )") == "f.read()"
