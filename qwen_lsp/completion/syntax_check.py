"""Syntax check of a candidate: splice it into the document, parse, and truncate or reject it
where it adds ERROR/MISSING nodes. Parses a window of lines around the cursor (before and after
the splice) rather than the whole file, so the cost stays bounded on large files."""

from __future__ import annotations

import tree_sitter as ts

from ..syntax.languages import Language

WINDOW_LINES = 60


def _error_spans(tree: ts.Tree, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) bytes of the ERROR/MISSING nodes overlapping bytes [start, end)."""
    spans = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte < start or node.start_byte > end:
            continue
        if node.is_error or node.is_missing:
            spans.append((node.start_byte, node.end_byte))
            continue
        if node.has_error:
            stack.extend(node.children)
    return spans


def check(language: Language, before: str, after: str, candidate: str) -> str | None:
    """The longest prefix of ``candidate`` (whole lines first) that adds no syntax error when
    inserted between ``before`` and ``after``; None when even its first line does."""
    head = "\n".join(before.split("\n")[-WINDOW_LINES:])
    tail = "\n".join(after.split("\n")[:WINDOW_LINES])
    parser = language.parser()
    head_bytes = head.encode("utf-8", "surrogatepass")
    base = parser.parse(head_bytes + tail.encode("utf-8", "surrogatepass"))
    at = len(head_bytes)
    rest_of_line = tail.split("\n", 1)[0]
    base_spans = _error_spans(base, at - 1, at + len(rest_of_line.encode()) + 1)
    # The statement the candidate must finish (``data = ``): an error that ends where only
    # blanks separate it from the cursor, with none running across the cursor (an unclosed
    # bracket lines above would; then the code before is at fault, not the candidate).
    finishing = not any(s < at < e for s, e in base_spans) and any(
        s < at and not head_bytes[e:at].strip() for s, e in base_spans
    )

    def adds_errors(text: str) -> bool:
        data = (head + text + tail).encode("utf-8", "surrogatepass")
        tree = parser.parse(data)
        size = len(text.encode("utf-8", "surrogatepass"))
        end = at + size + len(rest_of_line.encode()) + 1
        spans = _error_spans(tree, at - 1, end)
        # A count alone misses an error of the text's own when an error of the code before it
        # (an unclosed bracket lines above) stops reaching the cursor: the same number. An
        # error that starts inside the inserted text is the text's own, and so is one that the
        # text stretches: the unfinished statement's error now running on into it
        # (``data = `` + ``f.read())``).
        return (
            len(spans) > len(base_spans)
            or any(at < s < at + size for s, _ in spans)
            or (finishing and any(s < at < e for s, e in spans))
        )

    if not adds_errors(candidate):
        return candidate
    lines = candidate.split("\n")
    for keep in range(len(lines) - 1, 0, -1):
        shorter = "\n".join(lines[:keep])
        if not adds_errors(shorter):
            return shorter
    return None
