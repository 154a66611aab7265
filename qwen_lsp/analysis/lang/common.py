"""Predicates any language's rule queries may use."""

from __future__ import annotations

from typing import Any

import tree_sitter as ts

from ..query_rules import query_predicate


def _nodes(value: Any) -> list[ts.Node]:
    return value if isinstance(value, list) else []


@query_predicate("no-descendant")
def no_descendant(args: list[Any]) -> bool:
    """``(#no-descendant? @c "type" ...)``: no node of these types under ``@c``."""
    nodes = _nodes(args[0])
    types = {a for a in args[1:] if isinstance(a, str)}
    for node in nodes:
        stack = list(node.named_children)
        while stack:
            n = stack.pop()
            if n.type in types:
                return False
            stack.extend(n.named_children)
    return True


@query_predicate("empty")
def empty(args: list[Any]) -> bool:
    """``(#empty? @block)``: the node has no named children (a comment counts as content:
    an explained empty block is deliberate)."""
    return all(n.named_child_count == 0 for n in _nodes(args[0]))
