"""Syntax diagnostics from tree-sitter ERROR and MISSING nodes, with messages a person can
act on ("missing `)`", "unexpected `else`", "`(` is never closed") and a fix that inserts a
missing token where tree-sitter knows which one.

Works for every language: it reads node kinds that all grammars share (ERROR, MISSING, and
the bracket tokens), never the nodes of one language.
"""

from __future__ import annotations

import tree_sitter as ts

from .findings import Edit, Finding, Fix, Severity
from .rules import Rule

RULE_ID = "QL001"
RULE = Rule(
    RULE_ID,
    "syntax-error",
    ("*",),
    Severity.ERROR,
    "syntax",
    "Code the language's grammar cannot parse (every supported language).",
    """
**What.** tree-sitter could not parse part of the file: a token is missing (`)`, `]`, `:`,
`;`...), a bracket is never closed or closed twice, or a token appears where the grammar does
not allow it.

**Why.** The file will not compile or import; everything after the error may be misread by the
editor too.

**Fix.** When tree-sitter knows the missing token, the quick fix inserts it ("Insert `)`");
for a bracket that is never closed, a fix inserts the closer at the end of its line (not
preferred: the right place may be further on).
""",
    fixable=True,
    origin=__name__,
)
_MAX_FINDINGS = 50
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}


def _snippet(data: bytes, node: ts.Node, limit: int = 24) -> str:
    text = data[node.start_byte : node.end_byte].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_missing(node: ts.Node) -> str:
    kind = node.type
    if not node.is_named or len(kind) <= 3:
        return f"missing `{kind}`"
    return f"missing {kind.replace('_', ' ')}"


_MAX_LEAVES = 20_000  # a bound on the token scan below, for an ERROR node spanning a huge file


def _unclosed_opener(error: ts.Node) -> ts.Node | None:
    """The last bracket opened inside an ERROR node and not closed there: among its children,
    else among all its tokens (error recovery can bury the bracket in nested nodes, e.g. an
    unclosed ``print(`` followed by a ``def`` makes the whole module one ERROR node)."""
    stack: list[ts.Node] = []
    for child in error.children:
        if child.type in _OPENERS:
            stack.append(child)
        elif child.type in _CLOSERS and stack and stack[-1].type == _CLOSERS[child.type]:
            stack.pop()
    return stack[-1] if stack else _unclosed_token(error)


def _unclosed_token(error: ts.Node) -> ts.Node | None:
    """The innermost bracket token left open at the end of ``error`` (zero-width MISSING
    tokens that recovery inserted do not count: they are not in the text)."""
    stack: list[ts.Node] = []
    cursor = error.walk()
    seen = 0
    while seen < _MAX_LEAVES:
        node = cursor.node
        if node is not None and node.child_count == 0 and not node.is_missing:
            seen += 1
            if node.type in _OPENERS:
                stack.append(node)
            elif node.type in _CLOSERS:
                if not stack or stack[-1].type != _CLOSERS[node.type]:
                    return None  # a stray closer: not a bracket left open
                stack.pop()
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():  # back at ``error``, where this cursor began
                return stack[-1] if stack else None
    return None


def _unmatched_closer(error: ts.Node) -> ts.Node | None:
    """A closing bracket inside an ERROR node with no opener before it there."""
    depth: list[str] = []
    for child in error.children:
        if child.type in _OPENERS:
            depth.append(child.type)
        elif child.type in _CLOSERS:
            if depth and depth[-1] == _CLOSERS[child.type]:
                depth.pop()
            else:
                return child
    return None


def _describe_error(error: ts.Node, data: bytes) -> tuple[str, int, int]:
    """Message and byte range for an ERROR node."""
    opener = _unclosed_opener(error)
    if opener is not None:
        return (f"`{opener.type}` is never closed", opener.start_byte, opener.end_byte)
    closer = _unmatched_closer(error)
    if closer is not None:
        return (f"unmatched `{closer.type}`", closer.start_byte, closer.end_byte)
    last = error.child(error.child_count - 1) if error.child_count else None
    if last is not None and not last.is_named and last.child_count == 0 and error.child_count > 1:
        token = _snippet(data, last)
        return (f"incomplete expression after `{token}`", last.start_byte, last.end_byte)
    first = error.child(0) if error.child_count else None  # child() raises past the end
    if first is not None and first.child_count == 0 and error.child_count <= 2:
        token = _snippet(data, first)
        where = (
            f" in {error.parent.type.replace('_', ' ')}"
            if error.parent and error.parent.parent
            else ""
        )
        return (f"syntax error: unexpected `{token}`{where}", error.start_byte, error.end_byte)
    if error.end_byte - error.start_byte == 0:
        return ("syntax error", error.start_byte, error.end_byte)
    return (
        f"syntax error: cannot parse `{_snippet(data, error)}`",
        error.start_byte,
        _first_line_end(data, error.start_byte, error.end_byte),
    )


def _closing_position(data: bytes, after: int) -> int:
    """Where to insert a missing closer: the end of the opener's line, but before a trailing
    block opener (``:`` or ``{``) that belongs after the closed bracket."""
    end = _first_line_end(data, after, len(data))
    line = data[after:end].rstrip()
    at = after + len(line)
    if line.endswith((b":", b"{")) and len(line) > 0:
        at -= 1
        while at > after and data[at - 1 : at] in (b" ", b"\t"):
            at -= 1
    return at


def _first_line_end(data: bytes, start: int, end: int) -> int:
    nl = data.find(b"\n", start, end)
    return end if nl == -1 else nl


def syntax_findings(tree: ts.Tree, data: bytes) -> list[Finding]:
    """ERROR and MISSING nodes of ``tree`` as findings (at most 50, outermost first)."""
    findings: list[Finding] = []
    if not tree.root_node.has_error:
        return findings
    cursor = tree.walk()
    visited_children = False
    while len(findings) < _MAX_FINDINGS:
        node = cursor.node
        if node is None:
            break
        if not visited_children:
            if node.is_missing:
                text = node.type if not node.is_named else ""
                fix = (
                    Fix(f"Insert `{text}`", (Edit(node.start_byte, node.start_byte, text),))
                    if text
                    else None
                )
                findings.append(
                    Finding(
                        RULE_ID,
                        _describe_missing(node),
                        node.start_byte,
                        node.end_byte,
                        Severity.ERROR,
                        fix,
                        "syntax",
                    )
                )
            elif node.is_error:
                message, start, end = _describe_error(node, data)
                fix = None
                opener = _unclosed_opener(node)
                if opener is not None:
                    closer = _OPENERS[opener.type]
                    at = _closing_position(data, opener.end_byte)
                    fix = Fix(f"Insert `{closer}`", (Edit(at, at, closer),), preferred=False)
                findings.append(
                    Finding(RULE_ID, message, start, end, Severity.ERROR, fix, "syntax")
                )
                # Nested errors inside an ERROR node repeat the same problem: skip them,
                # but still report MISSING tokens tree-sitter inserted inside.
                visited_children = True
                continue
            if node.has_error and cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited_children = False
            continue
        if not cursor.goto_parent():
            break
        visited_children = True
    return findings
