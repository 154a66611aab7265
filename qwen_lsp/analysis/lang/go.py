"""Go rule code: the `err` shadowing analyzer (QL402) and the `return` fix of QL401."""

from __future__ import annotations

import tree_sitter as ts

from ..base import FileContext
from ..findings import Edit, Finding, Fix
from ..query_rules import QuerySpec, RuleMatch, analyzer, fixer

_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})
_ASSIGNERS = frozenset({"assignment_statement", "short_var_declaration"})
_SCOPES = _FUNCTIONS | {"block", "if_statement", "for_statement"}


def _function_of(node: ts.Node) -> ts.Node | None:
    n = node.parent
    while n is not None and n.type not in _FUNCTIONS:
        n = n.parent
    return n


@fixer("go.return_error")
def return_error(ctx: FileContext, match: RuleMatch) -> Fix | None:
    """Prefix the dropped error with ``return`` when the function returns just ``error``."""
    span = match.get("finding")
    if span is None:
        return None
    stmt = ctx.node_at(*span)
    fn = _function_of(stmt) if stmt is not None else None
    if fn is None:
        return None
    result = fn.child_by_field_name("result")
    if result is None or ctx.node_text(result).strip("() ") != "error":
        return None
    return Fix("Return the error", (Edit(span[0], span[0], "return "),))


def _identifiers(node: ts.Node, data: bytes, name: bytes) -> list[ts.Node]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "identifier" and data[n.start_byte : n.end_byte] == name:
            out.append(n)
        if n.type != "func_literal" or n == node:
            stack.extend(n.named_children)
    return out


def _declares(ident: ts.Node) -> bool:
    """Whether this `err` identifier declares a new variable (`:=`, `var`, a parameter)."""
    parent = ident.parent
    if parent is None:
        return False
    if parent.type in ("var_spec", "parameter_declaration"):
        return True
    if parent.type == "expression_list" and parent.parent is not None:
        owner = parent.parent
        return owner.type == "short_var_declaration" and owner.child_by_field_name("left") == parent
    return False


def _is_assigned(ident: ts.Node) -> bool:
    parent = ident.parent
    if parent is None or parent.type != "expression_list" or parent.parent is None:
        return False
    owner = parent.parent
    return owner.type in _ASSIGNERS and owner.child_by_field_name("left") == parent


def _block_of(node: ts.Node) -> ts.Node | None:
    n = node.parent
    while n is not None and n.type not in _SCOPES:
        n = n.parent
    return n


@analyzer("go.err_shadowing")
def err_shadowing(ctx: FileContext, spec: QuerySpec, matches: list[RuleMatch]) -> list[Finding]:
    """``err :=`` inside an ``if`` that hides an outer ``err`` which is read after the ``if``
    (so the outer one keeps its old value: usually nil)."""
    data = ctx.data
    out: list[Finding] = []
    for match in matches:
        err_span = match.get("err")
        if_span = match.get("if")
        decl_span = match.get("decl")
        if err_span is None or if_span is None or decl_span is None:
            continue
        inner = ctx.node_at(*err_span)
        if_stmt = ctx.node_at(*if_span, kind="if_statement")
        decl = ctx.node_at(*decl_span, kind="short_var_declaration")
        if inner is None or if_stmt is None or decl is None:
            continue
        fn = _function_of(if_stmt)
        if fn is None:
            continue
        idents = _identifiers(fn, data, b"err")
        outer = [
            i
            for i in idents
            if _declares(i)
            and i.start_byte < if_stmt.start_byte
            and (block := _block_of(i)) is not None
            and (
                block.type in _FUNCTIONS or block.start_byte <= if_stmt.start_byte < block.end_byte
            )
        ]
        if not outer:
            continue
        named_result = any(
            i.parent is not None and i.parent.type == "parameter_declaration" for i in outer
        )
        after = sorted(
            (i for i in idents if i.start_byte >= if_stmt.end_byte), key=lambda i: i.start_byte
        )
        read_after = bool(after) and not _is_assigned(after[0]) and not _declares(after[0])
        bare_return = named_result and _bare_return_after(fn, if_stmt.end_byte)
        if not (read_after or bare_return):
            continue
        line = ctx.snapshot.buffer.point_of_offset(outer[-1].start_byte).row + 1
        left = decl.child_by_field_name("left")
        fix = None
        if left is not None and left.named_child_count == 1:
            op = next((c for c in decl.children if c.type == ":="), None)
            if op is not None:
                fix = Fix("Assign the outer `err` (`=`)", (Edit(op.start_byte, op.end_byte, "="),))
        out.append(
            Finding(
                spec.rule.id,
                f"`err :=` declares a new `err` that hides the one from line {line}; the outer "
                "`err` is read after this `if` and never sees this error",
                inner.start_byte,
                inner.end_byte,
                spec.severity,
                fix,
            )
        )
    return out


def _bare_return_after(fn: ts.Node, after: int) -> bool:
    stack = [fn]
    while stack:
        n = stack.pop()
        if n.type == "return_statement" and n.named_child_count == 0 and n.start_byte >= after:
            return True
        if n.type != "func_literal" or n == fn:
            stack.extend(n.named_children)
    return False
