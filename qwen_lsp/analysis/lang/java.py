"""Java rule code: which operands are strings (QL501) and the `equals` fix."""

from __future__ import annotations

import tree_sitter as ts

from ..base import FileContext
from ..findings import Edit, Fix
from ..query_rules import RuleMatch, context_filter, fixer

_SCOPES = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "lambda_expression",
        "class_body",
        "block",
        "program",
    }
)


def _declared_type(ident: ts.Node, data: bytes) -> str | None:
    """The declared type of a local, parameter or field named like ``ident``, looking
    outwards from it (first declaration found wins)."""
    name = data[ident.start_byte : ident.end_byte]
    n = ident.parent
    while n is not None:
        if n.type in _SCOPES:
            for child in n.named_children:
                found = _declaration_in(child, name, data)
                if found is not None:
                    return found
            if n.type == "method_declaration" or n.type == "constructor_declaration":
                params = n.child_by_field_name("parameters")
                if params is not None:
                    for p in params.named_children:
                        pname = p.child_by_field_name("name")
                        ptype = p.child_by_field_name("type")
                        if (
                            pname is not None
                            and ptype is not None
                            and (data[pname.start_byte : pname.end_byte] == name)
                        ):
                            return data[ptype.start_byte : ptype.end_byte].decode()
        n = n.parent
    return None


def _declaration_in(node: ts.Node, name: bytes, data: bytes) -> str | None:
    if node.type not in ("local_variable_declaration", "field_declaration"):
        return None
    ty = node.child_by_field_name("type")
    for d in node.children_by_field_name("declarator"):
        dname = d.child_by_field_name("name")
        if dname is not None and ty is not None and data[dname.start_byte : dname.end_byte] == name:
            return data[ty.start_byte : ty.end_byte].decode()
    return None


@context_filter("java.string_operands")
def string_operands(ctx: FileContext, match: RuleMatch) -> bool:
    """Both operands are variables declared ``String`` (or one is, the other unknown)."""
    types = []
    for name in ("left", "right"):
        span = match.get(name)
        node = ctx.node_at(*span) if span else None
        types.append(_declared_type(node, ctx.data) if node is not None else None)
    return "String" in types and all(t in (None, "String") for t in types)


def _has_objects_import(data: bytes) -> bool:
    return b"import java.util.Objects;" in data or b"import java.util.*;" in data


@fixer("java.string_equals")
def string_equals(ctx: FileContext, match: RuleMatch) -> Fix | None:
    """``a == "x"`` -> ``"x".equals(a)``; two variables -> ``Objects.equals(a, b)``."""
    finding = match.get("finding")
    left = match.text(ctx, "left")
    right = match.text(ctx, "right")
    op = match.text(ctx, "op")
    if finding is None or left is None or right is None or op is None:
        return None
    negate = "!" if op == "!=" else ""
    edits: list[Edit] = []
    if right.startswith('"'):
        text = f"{negate}{right}.equals({left})"
    elif left.startswith('"'):
        text = f"{negate}{left}.equals({right})"
    else:
        text = f"{negate}Objects.equals({left}, {right})"
        if not _has_objects_import(ctx.data):
            edits.append(_import_edit(ctx, "java.util.Objects"))
    edits.append(Edit(finding[0], finding[1], text))
    return Fix(f"Compare with `{'Objects.' if 'Objects' in text else ''}equals`", tuple(edits))


def _import_edit(ctx: FileContext, qualified: str) -> Edit:
    data = ctx.data
    at = 0
    for child in ctx.root.named_children:
        if child.type in ("package_declaration", "import_declaration"):
            end = data.find(b"\n", child.end_byte)
            at = len(data) if end == -1 else end + 1
    return Edit(at, at, f"import {qualified};{ctx.newline}")
