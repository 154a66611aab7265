"""Small helpers over Python syntax trees that several rules share (statements, literals, edits
that delete a statement cleanly)."""

from __future__ import annotations

import tree_sitter as ts

from ..findings import Edit

STATEMENT_PARENTS = frozenset({"block", "module"})
STRING_TYPES = frozenset({"string", "concatenated_string"})
# Calls whose result is a fresh list (membership tests on it scan it).
_LIST_BUILDERS = frozenset({"list", "sorted"})


def statement_of(node: ts.Node) -> ts.Node:
    """The statement holding ``node`` (the ancestor whose parent is a block or the module)."""
    while node.parent is not None and node.parent.type not in STATEMENT_PARENTS:
        node = node.parent
    return node


def string_prefix(node: ts.Node, data: bytes) -> str:
    """The prefix letters of a ``string`` node (``f``, ``rb``...), lower-cased."""
    if data[node.start_byte : node.start_byte + 1] in (b'"', b"'"):
        return ""  # most strings: no prefix, no need to look at the children
    start = node.child(0)
    if start is None or start.type != "string_start":
        return ""
    return data[start.start_byte : start.end_byte].decode().rstrip("'\"").lower()


def literal_type(node: ts.Node | None, data: bytes) -> str | None:
    """``str``, ``bytes``, ``int``, ``float``, ``list``, ``dict``, ``tuple``, ``set`` or
    ``None`` for a literal node, else None (unknown)."""
    if node is None:
        return None
    t = node.type
    if t == "string":
        return "bytes" if "b" in string_prefix(node, data) else "str"
    if t == "concatenated_string":
        first = node.named_children[0] if node.named_child_count else None
        return literal_type(first, data)
    if t == "integer":
        return "int"
    if t == "float":
        return "float"
    if t in ("list", "list_comprehension"):
        return "list"
    if t in ("dictionary", "dictionary_comprehension"):
        return "dict"
    if t == "tuple":
        return "tuple"
    if t in ("set", "set_comprehension"):
        return "set"
    if t == "parenthesized_expression" and node.named_child_count == 1:
        return literal_type(node.named_children[0], data)
    if t == "unary_operator":
        arg = node.child_by_field_name("argument")
        inner = literal_type(arg, data)
        return inner if inner in ("int", "float") else None
    if t == "call":
        fn = node.child_by_field_name("function")
        if fn is not None and fn.type == "identifier":
            name = data[fn.start_byte : fn.end_byte].decode()
            if name in ("str", "repr", "format", "chr", "ascii", "hex", "oct", "bin"):
                return "str"
            if name in ("len", "int", "ord"):
                return "int"
            if name in _LIST_BUILDERS:
                return "list"
    return None


def is_constant(node: ts.Node, data: bytes) -> bool:
    """Whether ``node`` is a constant (hashable) literal: numbers, plain strings, True/False/
    None, tuples of those."""
    t = node.type
    if t in ("integer", "float", "true", "false", "none"):
        return True
    if t == "string":
        return not any(c.type == "interpolation" for c in node.named_children)
    if t == "concatenated_string":
        return all(is_constant(c, data) for c in node.named_children)
    if t == "unary_operator":
        arg = node.child_by_field_name("argument")
        return arg is not None and arg.type in ("integer", "float")
    if t == "tuple":
        return all(is_constant(c, data) for c in node.named_children)
    return False


def line_bounds(data: bytes, start: int, end: int) -> tuple[int, int]:
    """``[line start, next line start)`` of the lines spanning ``[start, end)``."""
    a = data.rfind(b"\n", 0, start) + 1
    b = data.find(b"\n", end)
    return a, (len(data) if b == -1 else b + 1)


def alone_on_lines(data: bytes, node: ts.Node) -> bool:
    """Whether nothing but whitespace (or a comment after it) shares ``node``'s lines."""
    a, b = line_bounds(data, node.start_byte, node.end_byte)
    before = data[a : node.start_byte]
    after = data[node.end_byte : b].strip()
    return not before.strip() and (not after or after.startswith(b"#"))


def delete_statement(data: bytes, stmt: ts.Node, indent: str = "    ") -> Edit | None:
    """An edit removing ``stmt`` with its line; ``pass`` in its place when it is the only
    statement of its block. None when the statement shares its line with other code."""
    if not alone_on_lines(data, stmt):
        return None
    parent = stmt.parent
    siblings = [c for c in parent.named_children if c.type != "comment"] if parent else []
    a, b = line_bounds(data, stmt.start_byte, stmt.end_byte)
    if parent is not None and parent.type == "block" and len(siblings) == 1:
        return Edit(stmt.start_byte, stmt.end_byte, "pass")
    return Edit(a, b, "")


def has_side_effects(node: ts.Node) -> bool:
    """Whether evaluating ``node`` may do something (calls, awaits, yields, walrus)."""
    cursor = node.walk()
    while True:
        n = cursor.node
        if n is not None and n.type in ("call", "await", "yield", "named_expression", "subscript"):
            return True
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == node:
                return False


def contains_type(node: ts.Node, types: frozenset[str], stop: frozenset[str] = frozenset()) -> bool:
    """Whether ``node`` has a descendant of one of ``types`` (not looking inside ``stop``)."""
    stack = list(node.named_children)
    while stack:
        n = stack.pop()
        if n.type in types:
            return True
        if n.type not in stop:
            stack.extend(n.named_children)
    return False


def dotted(node: ts.Node | None, data: bytes) -> str:
    """Text of a name or attribute chain (``os.environ.get``), '' for anything else."""
    if node is None:
        return ""
    if node.type == "identifier":
        return data[node.start_byte : node.end_byte].decode()
    if node.type == "attribute":
        obj = dotted(node.child_by_field_name("object"), data)
        attr = node.child_by_field_name("attribute")
        if obj and attr is not None:
            return f"{obj}.{data[attr.start_byte : attr.end_byte].decode()}"
    return ""


def fresh_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is not in ``taken``."""
    if base not in taken:
        return base
    i = 2
    while f"{base}_{i}" in taken:
        i += 1
    return f"{base}_{i}"
