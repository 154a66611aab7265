"""Rust rule code: is this test code (QL601), and the `?` fix."""

from __future__ import annotations

import tree_sitter as ts

from ..base import FileContext
from ..findings import Edit, Fix
from ..query_rules import RuleMatch, context_filter, fixer


def _attributes_before(node: ts.Node, data: bytes) -> list[bytes]:
    out = []
    prev = node.prev_named_sibling
    while prev is not None and prev.type in ("attribute_item", "line_comment", "block_comment"):
        if prev.type == "attribute_item":
            out.append(data[prev.start_byte : prev.end_byte])
        prev = prev.prev_named_sibling
    return out


def in_test_code(ctx: FileContext, node: ts.Node) -> bool:
    """Inside a ``#[test]`` function, a ``#[cfg(test)]`` module, or a tests/benches/examples
    file."""
    if ctx.is_test_file or ctx.file_name == "build.rs":
        return True
    data = ctx.data
    n = node.parent
    while n is not None:
        if n.type in ("function_item", "mod_item"):
            for attr in _attributes_before(n, data):
                if b"test" in attr:
                    return True
        n = n.parent
    return False


@context_filter("rust.not_test_code")
def not_test_code(ctx: FileContext, match: RuleMatch) -> bool:
    """Keep matches outside test code."""
    span = match.get("finding")
    node = ctx.node_at(*span) if span else None
    return node is not None and not in_test_code(ctx, node)


@fixer("rust.question_mark")
def question_mark(ctx: FileContext, match: RuleMatch) -> Fix | None:
    """``.unwrap()`` -> ``?`` when the enclosing function returns ``Option``/``Result``."""
    span = match.get("finding")
    method = match.get("method")
    if span is None or method is None:
        return None
    node = ctx.node_at(*span)
    if node is None:
        return None
    fn = node.parent
    while fn is not None and fn.type not in ("function_item", "closure_expression"):
        fn = fn.parent
    if fn is None or fn.type != "function_item":
        return None
    ret = fn.child_by_field_name("return_type")
    text = ctx.node_text(ret) if ret is not None else ""
    if not text.startswith(("Option<", "Result<", "io::Result<", "anyhow::Result<")):
        return None
    # From the `.` before `unwrap` to the end of the call.
    dot = ctx.data.rfind(b".", span[0], method[0])
    if dot == -1:
        return None
    return Fix("Propagate with `?`", (Edit(dot, span[1], "?"),), preferred=False)
