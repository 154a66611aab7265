"""The indentation step of a file, and when the cursor sits inside unfinished indentation."""

from __future__ import annotations

import pytest

from qwen_lsp.completion.plan import indent_step, inside_indentation

PYTHON = (
    "class Reader:\n"
    "    def read(self, path):\n"
    "        values = (1,\n"
    "                  2)\n"  # a continuation line under its bracket: outvoted
    "        if values:\n"
    "            return values\n"
    "\n"
    "    def close(self):\n"
    "        "
)
JS = "function f() {\n  if (x) {\n    y();\n  }\n}\n  "
TABS = "def f():\n\tif x:\n\t\treturn 1\n\t"


@pytest.mark.parametrize(
    ("text", "step"), [(PYTHON, 4), (JS, 2), (TABS, 0), ("", 4), ("x = 1\n", 4)]
)
def test_the_step_is_the_common_increase_before_the_cursor(text: str, step: int) -> None:
    assert indent_step(text, text.rfind("\n") + 1) == step


def test_only_lines_before_the_cursor_vote() -> None:
    text = JS + "\n" + "def g():\n" + "        deep = 1\n" * 50
    assert indent_step(text, len(JS) - 2) == 2


@pytest.mark.parametrize(
    ("before", "step", "inside"),
    [
        ("  ", 4, True),
        ("     ", 4, True),
        ("    ", 4, False),
        ("        ", 4, False),
        ("   ", 2, True),
        ("  ", 2, False),
        ("", 4, False),
        ("  x", 4, False),  # text typed: not indentation any more
        ("\t ", 4, False),  # tabs: the step is not spaces
        ("  ", 0, False),  # a tab-indented file
    ],
)
def test_inside_unfinished_indentation(before: str, step: int, inside: bool) -> None:
    assert inside_indentation(before, step) is inside


def test_a_document_remembers_a_lone_insertion_as_its_last_change() -> None:
    from qwen_lsp.syntax.document import Document, TextEdit
    from qwen_lsp.syntax.languages import default_registry

    doc = Document("file:///a.py", "def f():\n", 1, default_registry().by_id("python"))
    assert doc.snapshot().last_insert is None  # opened, nothing typed
    doc.apply([TextEdit(" ", (1, 0), (1, 0))], 2)
    assert doc.snapshot().last_insert == (len("def f():\n "), " ")
    doc.apply([TextEdit("x", (1, 0), (1, 1))], 3)  # a replacement, not an insertion
    assert doc.snapshot().last_insert is None
    doc.apply([TextEdit("a", (1, 1), (1, 1)), TextEdit("b", (1, 2), (1, 2))], 4)
    assert doc.snapshot().last_insert is None  # several edits at once
    doc.set_text("y = 1\n", 5)
    assert doc.snapshot().last_insert is None


def test_the_indentation_step_is_looked_up_only_for_a_line_of_spaces() -> None:
    calls: list[int] = []

    def step() -> int:
        calls.append(1)
        return 4

    assert inside_indentation("x = 1 ", step) is False  # a space typed after code
    assert calls == []
    assert inside_indentation("  ", step) is True
    assert calls == [1]
