"""Analyzers of the JavaScript/TypeScript query rules (``grammars/javascript/rules``): unused
variables (QL302) and missing ``await`` (QL304). The queries capture declarations and calls;
the scope reasoning is here."""

from __future__ import annotations

import re

import tree_sitter as ts

from ..base import FileContext
from ..findings import Edit, Finding, Fix
from ..query_rules import QuerySpec, RuleMatch, analyzer, file_filter, query_predicate

_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
    }
)
_BLOCKS = frozenset({"statement_block", "program", "switch_body", "class_static_block"})
_LOOPS = frozenset({"for_statement", "for_in_statement"})
_BLOCK_SCOPED = re.compile(rb"(?m)^[ \t]*(?:export[ \t]+)?(?:const|let)[ \t]+[\w$\[{]")
_PURE_VALUES = frozenset(
    {
        "number",
        "string",
        "template_string",
        "true",
        "false",
        "null",
        "undefined",
        "identifier",
        "arrow_function",
        "function_expression",
        "function",
        "regex",
        "member_expression",
    }
)


def _is_module(ctx: FileContext) -> bool:
    """ES module or CommonJS: its top-level names are its own (a plain script's are globals
    other scripts may use)."""
    for child in ctx.root.named_children:
        if child.type in ("import_statement", "export_statement"):
            return True
    data = ctx.data
    return b"require(" in data or b"module.exports" in data or b"exports." in data


def _is_word_at(data: bytes, i: int, n: int) -> bool:
    """Whether ``data[i:i+n]`` is a whole identifier that is not a property (``.name``);
    a spread (``...name``) counts."""
    before = data[i - 1 : i]
    after = data[i + n : i + n + 1]
    if after and (after.isalnum() or after in b"_$"):
        return False
    if before and (before.isalnum() or before in b"_$#"):
        return False
    return not (before == b"." and data[i - 3 : i] != b"...")


def _occurs_in(data: bytes, name: bytes, lo: int, hi: int) -> bool:
    """Whether ``name`` occurs as a word in ``data[lo:hi]``."""
    i = data.find(name, lo, hi)
    while i != -1:
        if _is_word_at(data, i, len(name)):
            return True
        i = data.find(name, i + 1, hi)
    return False


def _occurs_elsewhere(data: bytes, name: bytes, lo: int, hi: int, at: int) -> bool:
    """Whether ``name`` occurs as a word in ``data[lo:hi]`` other than at ``at``: first
    after the declaration (where uses usually are), then before it (hoisting)."""
    n = len(name)
    for a, b in ((at + n, hi), (lo, at)):
        i = data.find(name, a, b)
        while i != -1:
            if _is_word_at(data, i, n):
                return True
            i = data.find(name, i + 1, b)
    return False


def _declaration_scope(node: ts.Node) -> tuple[ts.Node | None, ts.Node | None, bool]:
    """``(scope, declaration statement, exported)`` of a declared identifier."""
    declaration: ts.Node | None = None
    kind = None
    n = node.parent
    while n is not None:
        t = n.type
        if t == "export_statement":
            return None, declaration, True
        if t == "object_pattern" and any(c.type == "rest_pattern" for c in n.named_children):
            return None, declaration, False  # omitting a key from `...rest` is the point
        if t in ("variable_declaration", "lexical_declaration"):
            declaration = n
            kind = "var" if t == "variable_declaration" else "let"
        elif (
            t in ("function_declaration", "generator_function_declaration") and declaration is None
        ):
            declaration = n
            kind = "let"  # block-scoped in modern code
            n = n.parent
            continue
        elif t in ("import_statement",):
            return _root(n), n, False
        if declaration is not None:
            if kind == "var" and (t in _FUNCTIONS or t == "program"):
                return n, declaration, False
            if kind == "let" and (t in _BLOCKS or t in _LOOPS or t in _FUNCTIONS):
                return n, declaration, False
        n = n.parent
    return None, declaration, False


def _root(node: ts.Node) -> ts.Node:
    while node.parent is not None:
        node = node.parent
    return node


def _remove_declaration(ctx: FileContext, declaration: ts.Node, ident: ts.Node) -> Fix | None:
    data = ctx.data
    if declaration.type in ("function_declaration", "generator_function_declaration"):
        return None
    if declaration.type == "import_statement":
        return _remove_import(ctx, declaration, ident)
    declarators = [c for c in declaration.named_children if c.type == "variable_declarator"]
    if len(declarators) != 1:
        return None
    declarator = declarators[0]
    if declarator.child_by_field_name("name") != ident:
        return None
    value = declarator.child_by_field_name("value")
    if value is not None and value.type not in _PURE_VALUES:
        return None
    start = ctx.line_start(declaration.start_byte)
    end = data.find(b"\n", declaration.end_byte)
    end = len(data) if end == -1 else end + 1
    if data[start : declaration.start_byte].strip() or data[declaration.end_byte : end].strip():
        return None
    name = data[ident.start_byte : ident.end_byte].decode()
    return Fix(f"Remove the declaration of `{name}`", (Edit(start, end, ""),))


def _remove_import(ctx: FileContext, statement: ts.Node, ident: ts.Node) -> Fix | None:
    data = ctx.data
    bindings = []
    stack = [statement]
    while stack:
        n = stack.pop()
        if n.type == "string":
            continue
        if n.type == "identifier":
            bindings.append(n)
        stack.extend(n.named_children)
    name = data[ident.start_byte : ident.end_byte].decode()
    if len(bindings) == 1:
        start = ctx.line_start(statement.start_byte)
        end = data.find(b"\n", statement.end_byte)
        end = len(data) if end == -1 else end + 1
        return Fix(f"Remove the unused import of `{name}`", (Edit(start, end, ""),))
    specifier = ident.parent
    if specifier is None or specifier.type != "import_specifier":
        return None
    clause = specifier.parent
    if clause is None:
        return None
    siblings = [c for c in clause.named_children if c.type == "import_specifier"]
    i = next(k for k, s in enumerate(siblings) if s == specifier)
    if len(siblings) == 1:
        return None
    if i + 1 < len(siblings):
        edit = Edit(specifier.start_byte, siblings[i + 1].start_byte, "")
    else:
        edit = Edit(siblings[i - 1].end_byte, specifier.end_byte, "")
    return Fix(f"Remove `{name}` from the import", (edit,))


@analyzer("javascript.unused_variables")
def unused_variables(ctx: FileContext, spec: QuerySpec, matches: list[RuleMatch]) -> list[Finding]:
    """Declared names that never occur again in their scope (text occurrences count, so a
    name mentioned only in a comment or string is not reported: no false alarms)."""
    if ctx.path.endswith((".d.ts", ".d.mts", ".d.cts")):
        return []
    module = _is_module(ctx)
    data = ctx.data
    out: list[Finding] = []
    for match in matches:
        for capture, start, end in match.captures:
            if not capture.startswith("decl"):
                continue
            name = data[start:end]
            if name.startswith(b"_") or name == b"React":
                continue
            ident = ctx.node_at(start, end)
            if ident is None:
                continue
            scope, declaration, exported = _declaration_scope(ident)
            if exported or scope is None or declaration is None:
                continue
            if scope.type == "program" and not module:
                continue
            if declaration.type == "import_statement":
                # The module path ("./whole.js") is not a use of `whole`.
                if _occurs_in(data, name, scope.start_byte, declaration.start_byte) or (
                    _occurs_in(data, name, declaration.end_byte, scope.end_byte)
                ):
                    continue
            elif _occurs_elsewhere(data, name, scope.start_byte, scope.end_byte, start):
                continue
            what = "imported" if capture == "decl.import" else "declared"
            out.append(
                Finding(
                    spec.rule.id,
                    f"`{name.decode()}` is {what} but never used: dead code, or the use it was "
                    "meant for has a typo",
                    start,
                    end,
                    spec.severity,
                    _remove_declaration(ctx, declaration, ident),
                    tags=("unnecessary",),
                )
            )
    return out


def _enclosing_function(node: ts.Node) -> ts.Node | None:
    n = node.parent
    while n is not None:
        if n.type in _FUNCTIONS:
            return n
        n = n.parent
    return None


def _is_async(fn: ts.Node) -> bool:
    return any(c.type == "async" for c in fn.children)


@analyzer("javascript.missing_await")
def missing_await(ctx: FileContext, spec: QuerySpec, matches: list[RuleMatch]) -> list[Finding]:
    """Calls of functions declared ``async`` in this file, used as statements inside an
    ``async`` function without ``await``: the promise floats."""
    data = ctx.data
    functions: dict[bool, set[bytes]] = {True: set(), False: set()}
    methods: dict[bool, set[bytes]] = {True: set(), False: set()}
    calls: list[tuple[bytes, int, int, str]] = []
    for match in matches:
        fn_span = match.get("fn")
        for capture, start, end in match.captures:
            if capture in ("fn.name", "method.name") and fn_span is not None:
                fn = ctx.node_at(*fn_span)
                if fn is None:
                    continue
                target = functions if capture == "fn.name" else methods
                target[_is_async(fn)].add(data[start:end])
            elif capture in ("call.name", "call.method"):
                call = match.get("call")
                if call is not None:
                    calls.append((data[start:end], call[0], call[1], capture))
    async_of = {
        "call.name": functions[True] - functions[False],
        "call.method": methods[True] - methods[False],
    }
    out: list[Finding] = []
    for name, start, end, kind in calls:
        if name not in async_of[kind]:
            continue
        call_node = ctx.node_at(start, end, "call_expression")
        if call_node is None:
            continue
        fn = _enclosing_function(call_node)
        if fn is None or not _is_async(fn):
            continue
        shown = data[start:end].decode()
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        out.append(
            Finding(
                spec.rule.id,
                f"`{shown}` returns a promise that is not awaited: its errors are lost and "
                "the next line runs before it finishes",
                start,
                end,
                spec.severity,
                Fix("Add `await`", (Edit(start, start, "await "),)),
            )
        )
    return out


@file_filter("javascript.block_scoped_file")
def block_scoped_file(ctx: FileContext) -> bool:
    """TypeScript, or JavaScript that already declares with ``let``/``const`` (not ``.d.ts``
    files: ``declare var`` is how they declare globals)."""
    if ctx.path.endswith((".d.ts", ".d.mts", ".d.cts")):
        return False
    if ctx.language_id != "javascript":
        return True
    # Text, not the tree: one regex pass (a `let` in a comment can only make the rule speak).
    return _BLOCK_SCOPED.search(ctx.data) is not None


@query_predicate("not-parent")
def not_parent(args: list) -> bool:
    """``(#not-parent? @c "type")``: the node's parent is not of that type."""
    nodes = args[0] if isinstance(args[0], list) else []
    return all(n.parent is None or n.parent.type != args[1] for n in nodes)
