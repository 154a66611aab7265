"""Syntax check of a candidate: splice it into the document, parse, and truncate or reject it
where it adds ERROR/MISSING nodes. Parses a window of lines around the cursor (before and after
the splice) rather than the whole file, so the cost stays bounded on large files."""

from __future__ import annotations

import tree_sitter as ts

from ..syntax.languages import Language

WINDOW_LINES = 60


def _errors(tree: ts.Tree, start: int, end: int) -> int:
    """ERROR/MISSING nodes overlapping bytes [start, end)."""
    count = 0
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte < start or node.start_byte > end:
            continue
        if node.is_error or node.is_missing:
            count += 1
            continue
        if node.has_error:
            stack.extend(node.children)
    return count


def check(language: Language, before: str, after: str, candidate: str) -> str | None:
    """The longest prefix of ``candidate`` (whole lines first) that adds no syntax error when
    inserted between ``before`` and ``after``; None when even its first line does."""
    head = "\n".join(before.split("\n")[-WINDOW_LINES:])
    tail = "\n".join(after.split("\n")[:WINDOW_LINES])
    parser = language.parser()
    base = parser.parse((head + tail).encode("utf-8", "surrogatepass"))
    at = len(head.encode("utf-8", "surrogatepass"))
    rest_of_line = tail.split("\n", 1)[0]
    base_errors = _errors(base, at - 1, at + len(rest_of_line.encode()) + 1)

    def adds_errors(text: str) -> bool:
        data = (head + text + tail).encode("utf-8", "surrogatepass")
        tree = parser.parse(data)
        end = at + len(text.encode("utf-8", "surrogatepass")) + len(rest_of_line.encode()) + 1
        return _errors(tree, at - 1, end) > base_errors

    if not adds_errors(candidate):
        return candidate
    lines = candidate.split("\n")
    for keep in range(len(lines) - 1, 0, -1):
        shorter = "\n".join(lines[:keep])
        if not adds_errors(shorter):
            return shorter
    return None
