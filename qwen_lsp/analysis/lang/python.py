"""Predicates and fix writers of the Python query rules (``grammars/python/rules``)."""

from __future__ import annotations

import re
from typing import Any

from ..base import FileContext
from ..findings import Edit, Fix
from ..query_rules import RuleMatch, context_filter, fixer, query_predicate


@query_predicate("not-reraises")
def not_reraises(args: list[Any]) -> bool:
    """``(#not-reraises? @body)``: the handler body has no bare ``raise`` (outside nested
    functions). A bare ``except:`` that cleans up and re-raises is fine."""
    for block in args[0] if isinstance(args[0], list) else []:
        stack = list(block.named_children)
        while stack:
            n = stack.pop()
            if n.type == "raise_statement" and n.named_child_count == 0:
                return False
            if n.type in ("function_definition", "class_definition", "lambda"):
                continue
            stack.extend(n.named_children)
    return True


@fixer("python.mutable_default")
def mutable_default(ctx: FileContext, match: RuleMatch) -> Fix | None:
    """``def f(x=[])`` -> ``def f(x=None)`` and ``if x is None: x = []`` at the top of the
    body (after the docstring)."""
    value_span = match.get("finding")
    name_span = match.get("name")
    body_span = match.get("body")
    if value_span is None or name_span is None or body_span is None:
        return None
    body = ctx.node_at(*body_span, kind="block")
    if body is None or not body.named_child_count:
        return None
    statements = [c for c in body.named_children if c.type != "comment"]
    if not statements:
        return None
    first = statements[0]
    # The body must start on its own line (not `def f(x=[]): return x`).
    if ctx.line_start(first.start_byte) <= ctx.line_start(value_span[0]):
        return None
    anchor = first
    if (
        first.type == "expression_statement"
        and first.named_child_count == 1
        and first.named_children[0].type == "string"
        and len(statements) > 1
    ):
        anchor = statements[1]  # keep the docstring first
    name = ctx.text(*name_span)
    value = ctx.text(*value_span)
    if "\n" in value:
        return None  # a multi-line default would need re-indenting
    indent = ctx.indent_at(anchor.start_byte)
    nl = ctx.newline
    at = ctx.line_start(anchor.start_byte)
    guard = f"{indent}if {name} is None:{nl}{indent}{ctx.indent_unit}{name} = {value}{nl}"
    edits = [Edit(value_span[0], value_span[1], "None")]
    annotation = match.get("type")
    if annotation is not None:
        text = ctx.text(*annotation)
        if "None" not in text and "Optional" not in text:
            edits.append(Edit(annotation[1], annotation[1], " | None"))
    edits.append(Edit(at, at, guard))
    shown = value if len(value) <= 20 else value[:19] + "…"
    return Fix(f"Default to `None`, create `{shown}` in the body", tuple(edits))


_MUTATORS = (
    rb"append|extend|insert|pop|popitem|remove|clear|update|setdefault|add|discard|sort"
    rb"|reverse|__setitem__|__delitem__"
)


@context_filter("python.default_changed_or_escapes")
def default_changed_or_escapes(ctx: FileContext, match: RuleMatch) -> bool:
    """Keep a mutable default only if the function changes it (``x.append``, ``x[k] =``,
    ``x += ...``, ``del x[k]``) or lets it escape (returns, yields or stores it): a default
    that is only read (a lookup table, ``cnf={}`` merged into a new dict) is harmless."""
    name_span = match.get("name")
    body_span = match.get("body")
    if name_span is None or body_span is None:
        return True
    name = re.escape(ctx.data[name_span[0] : name_span[1]])
    body = ctx.data[body_span[0] : body_span[1]]
    changed = re.search(
        rb"(?<![\w.])" + name + rb"\s*(?:\.(?:" + _MUTATORS + rb")\s*\("
        rb"|\[[^\]\n]*\]\s*(?:[-+*/|&^%]|//|<<|>>|\*\*)?=(?!=)"
        rb"|(?:[-+*/|&^%]|//)=)"
        rb"|\bdel\s+" + name + rb"\s*\[",
        body,
    )
    if changed:
        return True
    escapes = re.search(
        rb"(?:\breturn|\byield|[^=!<>]=)\s*" + name + rb"\s*(?:$|[\n;#),\]])", body, re.M
    )
    return escapes is not None
