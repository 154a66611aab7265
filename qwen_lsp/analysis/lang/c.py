"""C/C++ rule code: does a switch case fall through (QL702), and its fixes."""

from __future__ import annotations

from typing import Any

import tree_sitter as ts

from ..base import FileContext
from ..findings import Edit, Fix
from ..query_rules import RuleMatch, fixer, query_predicate

_JUMPS = frozenset(
    {
        "break_statement",
        "return_statement",
        "continue_statement",
        "goto_statement",
        "throw_statement",
    }
)
_NORETURN = (
    b"exit(",
    b"abort(",
    b"_exit(",
    b"_Exit(",
    b"longjmp(",
    b"panic(",
    b"throw ",
    b"quick_exit(",
)


def _ends_flow(stmt: ts.Node) -> bool:
    t = stmt.type
    text = stmt.text or b""
    if t in _JUMPS:
        return True
    if t == "expression_statement":
        return text.lstrip().startswith(_NORETURN) or b"unreachable" in text
    if t == "attributed_statement":
        return b"fallthrough" in text
    if t == "compound_statement":
        inner = [c for c in stmt.named_children if "comment" not in c.type]
        return bool(inner) and _ends_flow(inner[-1])
    if t == "if_statement":
        consequence = stmt.child_by_field_name("consequence")
        alternative = stmt.child_by_field_name("alternative")
        if consequence is None or alternative is None:
            return False
        alt_body = alternative.named_children[-1] if alternative.named_child_count else alternative
        return _ends_flow(consequence) and _ends_flow(alt_body)
    return False


@query_predicate("falls-through")
def falls_through(args: list[Any]) -> bool:
    """``(#falls-through? @case)``: the case has statements and the last one neither jumps
    nor is marked (``[[fallthrough]]``, a ``fall through`` comment)."""
    for case in args[0] if isinstance(args[0], list) else []:
        value = case.child_by_field_name("value")
        body = [c for c in case.named_children if c != value]
        if any("comment" in c.type and b"fall" in (c.text or b"").lower() for c in body):
            return False
        statements = [c for c in body if "comment" not in c.type]
        if not statements or _ends_flow(statements[-1]):
            return False
    return True


def _last_statement(case: ts.Node) -> ts.Node | None:
    value = case.child_by_field_name("value")
    statements = [c for c in case.named_children if c != value and "comment" not in c.type]
    return statements[-1] if statements else None


def _insert_after(ctx: FileContext, match: RuleMatch, text: str, title: str) -> Fix | None:
    span = match.get("finding")
    case = ctx.node_at(*span, kind="case_statement") if span else None
    if case is None:
        return None
    last = _last_statement(case)
    if last is None:
        return None
    indent = ctx.indent_at(last.start_byte)
    if ctx.line_start(last.start_byte) == ctx.line_start(case.start_byte):
        indent = ctx.indent_at(case.start_byte) + ctx.indent_unit
    return Fix(title, (Edit(last.end_byte, last.end_byte, f"{ctx.newline}{indent}{text}"),), False)


@fixer("c.add_break")
def add_break(ctx: FileContext, match: RuleMatch) -> Fix | None:
    """Insert ``break;`` after the case's last statement."""
    return _insert_after(ctx, match, "break;", "Add `break;`")


@fixer("c.mark_fallthrough")
def mark_fallthrough(ctx: FileContext, match: RuleMatch) -> Fix | None:
    """Mark the fall-through as intended (``[[fallthrough]];`` in C++, a comment in C)."""
    if ctx.language_id == "cpp":
        return _insert_after(
            ctx, match, "[[fallthrough]];", "Mark as intended (`[[fallthrough]];`)"
        )
    return _insert_after(
        ctx, match, "/* fall through */", "Mark as intended (`/* fall through */`)"
    )
