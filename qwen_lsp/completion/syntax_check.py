"""Syntax check of a candidate: splice it into the document, parse, and truncate or reject it
where it adds ERROR/MISSING nodes. Parses a window of lines around the cursor (before and after
the splice) rather than the whole file, so the cost stays bounded on large files."""

from __future__ import annotations

import tree_sitter as ts

from ..syntax.languages import Language

WINDOW_LINES = 60


def _errors(tree: ts.Tree, start: int, end: int) -> int:
    """ERROR/MISSING nodes overlapping bytes [start, end)."""
    return len(_error_starts(tree, start, end))


def _error_starts(tree: ts.Tree, start: int, end: int) -> list[int]:
    """Start bytes of the ERROR/MISSING nodes overlapping bytes [start, end)."""
    starts = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte < start or node.start_byte > end:
            continue
        if node.is_error or node.is_missing:
            starts.append(node.start_byte)
            continue
        if node.has_error:
            stack.extend(node.children)
    return starts


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
        size = len(text.encode("utf-8", "surrogatepass"))
        end = at + size + len(rest_of_line.encode()) + 1
        starts = _error_starts(tree, at - 1, end)
        # A count alone misses an error of the text's own when an error of the code before it
        # (an unclosed bracket lines above) stops reaching the cursor: the same number. An
        # error that starts inside the inserted text is the text's own.
        return len(starts) > base_errors or any(at < s < at + size for s in starts)

    if not adds_errors(candidate):
        return candidate
    lines = candidate.split("\n")
    for keep in range(len(lines) - 1, 0, -1):
        shorter = "\n".join(lines[:keep])
        if not adds_errors(shorter):
            return shorter
    return None
