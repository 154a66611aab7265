"""Syntax findings where error recovery buries the real mistake in nested nodes."""

from __future__ import annotations

from qwen_lsp.analysis.syntax_errors import syntax_findings
from qwen_lsp.syntax.document import Document
from qwen_lsp.syntax.languages import default_registry

# An unclosed ``print(`` followed by a function: tree-sitter makes the whole module one ERROR
# node and puts the bracket two levels down (seen in the playground once the model completed
# ``return width * height`` below it).
BURIED = (
    'def area(width, height):\n    """Area of a rectangle."""\n    return width * height\n\n\n'
    "print(area(2, 3)\n\n\ndef perimeter(width, height):\n    return width * height\n"
)


def _findings(text: str):  # type: ignore[no-untyped-def]
    doc = Document("file:///t.py", text, 1, default_registry().by_id("python"))
    snap = doc.snapshot()
    return syntax_findings(snap.tree, snap.text.encode("utf-8")), snap


def test_a_buried_unclosed_bracket_is_named_and_fixed() -> None:
    findings, snap = _findings(BURIED)
    assert snap.tree.root_node.children[0].is_error  # the recovery shape this test is about
    assert [f.message for f in findings] == ["`(` is never closed"]
    finding = findings[0]
    data = BURIED.encode("utf-8")
    assert data[finding.start : finding.end] == b"(" and finding.start == data.index(b"print(") + 5
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    fixed = data[: edit.start] + edit.text.encode() + data[edit.end :]
    assert b"print(area(2, 3))\n" in fixed
    after, _ = _findings(fixed.decode("utf-8"))
    assert after == []


def test_a_stray_closer_is_not_called_an_unclosed_bracket() -> None:
    findings, _ = _findings("def f(x):\n    return x)\n\n\ndef g(:\n    pass\n")
    assert findings and all("never closed" not in f.message for f in findings)
