"""Python performance hints (QL201-QL205): work repeated on every iteration of a loop that could
be done once."""

from __future__ import annotations

import re

import tree_sitter as ts

from ..findings import Edit, Finding, Fix, Severity
from ..rules import declare
from .scopes import Scope, Walker, on_node, on_scope_end
from .util import (
    STRING_TYPES,
    alone_on_lines,
    contains_type,
    dotted,
    fresh_name,
    is_constant,
    line_bounds,
    literal_type,
    statement_of,
)

_ORIGIN = __name__
_PY = ("python",)

LIST_MEMBERSHIP = declare(
    "QL201",
    "list-membership-in-loop",
    languages=_PY,
    severity=Severity.INFORMATION,
    category="performance",
    summary="`x in some_list` inside a loop: a linear scan on every iteration.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** A membership test (`in` / `not in`) against a local variable bound to a list (a list
literal, a list comprehension, `list(...)`, `sorted(...)`), inside a loop or comprehension,
where the list is not changed in the loop.

**Why.** `in` on a list compares element by element: O(len) per test, O(n×m) for the loop.
A set answers in O(1) on average.

**Fix.** When the list is only ever used for membership tests and holds constants (or is a
comprehension), the fix turns its definition into a set (`[...]` -> `{...}`). Otherwise it
builds a set once before the loop (`names_set = set(names)`) and tests against that (not
preferred: the elements must be hashable).
""",
)

STRING_CONCAT = declare(
    "QL202",
    "string-concatenation-in-loop",
    languages=_PY,
    severity=Severity.INFORMATION,
    category="performance",
    summary="`s += ...` on a string inside a loop: quadratic copying.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** A local variable bound to a string before a loop and extended with `+=` inside it.

**Why.** Strings are immutable: each `+=` may copy everything built so far, O(n²) for n pieces.
CPython sometimes resizes in place, but not when another reference exists, and PyPy and other
implementations do not. `"".join(parts)` copies once.

**Fix.** When the string starts empty and is not read inside the loop: collect the pieces in a
list (`s_parts.append(...)`) and join once after the loop (`s = "".join(s_parts)`).
""",
)

RANGE_LEN = declare(
    "QL203",
    "range-len-indexing",
    languages=_PY,
    severity=Severity.INFORMATION,
    category="performance",
    summary="`for i in range(len(x))` where `i` is used to index `x`.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** A loop over `range(len(x))` whose index is used to read `x[i]`.

**Why.** Each `x[i]` is an extra lookup, and the index is one more variable to get wrong.
Iterating `x` directly is faster and says what is meant; `enumerate(x)` gives both when the
index is needed too.

**Fix.** When `i` is only used as `x[i]`: `for item in x:` and `item` for each `x[i]`.
Otherwise: `for i, item in enumerate(x):`, with `item` for the reads of `x[i]`.
""",
)

REGEX_IN_LOOP = declare(
    "QL204",
    "regex-compile-in-loop",
    languages=_PY,
    severity=Severity.INFORMATION,
    category="performance",
    summary="`re.compile(...)` / `re.match(pattern, ...)` with a constant pattern inside a loop.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** A call of `re.compile`, `re.match`, `re.search`, `re.fullmatch`, `re.findall`,
`re.finditer`, `re.sub`, `re.subn` or `re.split` with a constant pattern, inside a loop or
comprehension.

**Why.** The pattern is the same on every iteration, but each call parses it again or at best
looks it up in `re`'s small internal cache (a dict lookup plus argument checks per call, and
cache misses once more than a few hundred patterns are in use).

**Fix.** Compiles the pattern once before the outermost loop (`pattern = re.compile(...)`) and
calls the method of the compiled pattern in the loop.
""",
)

NESTED_SEARCH = declare(
    "QL205",
    "nested-loop-search",
    languages=_PY,
    severity=Severity.INFORMATION,
    category="performance",
    summary="A loop inside a loop that searches a list for a matching key: O(n×m).",
    fixable=False,
    origin=_ORIGIN,
    explain="""
**What.** An inner `for` loop whose body starts with `if <inner item>... == <outer item>...`:
the inner loop searches a list for the element matching each outer element.

**Why.** That is O(len(outer) × len(inner)) comparisons. A dict from key to element, built once
before the outer loop, turns each search into one O(1) lookup.

**Fix.** By hand, because the right key and what to do with duplicates depend on the code:

```python
by_id = {item.id: item for item in items}      # once
for order in orders:
    item = by_id.get(order.item_id)          # instead of the inner loop
```
""",
)


# -- QL201 --------------------------------------------------------------------------------------


@on_node("comparison_operator")
def _note_membership(node: ts.Node, w: Walker) -> None:
    if not w.loops:
        return
    ops = [c for c in node.children if c.type in ("in", "not in")]
    if len(ops) != 1 or node.named_child_count != 2:
        return
    container = node.named_children[1]
    if container.type == "identifier":
        w.function_scope().fact("membership").append((container, w.loops[-1], w.loops[0]))


def _mutated_in(name: str, loop: ts.Node, w: Walker) -> bool:
    """Whether the loop's text changes the list in place (methods, item assignment, +=)."""
    text = w.data[loop.start_byte : loop.end_byte]
    pattern = (
        rb"(?<![\w.])" + re.escape(name.encode()) + rb"\s*(\.(append|extend|insert|remove|pop|clear"
        rb"|sort|reverse)\(|\[[^\]]*\]\s*=[^=]|\+=|\*=)"
    )
    return re.search(pattern, text) is not None


def _binding_value(scope: Scope, name: str) -> ts.Node | None:
    bindings = scope.bindings.get(name)
    if not bindings or len(bindings) != 1:
        return None
    b = bindings[0]
    if b.kind != "assign" or b.unpacked:
        return None
    return b.value


@on_scope_end
def _list_membership(scope: Scope, w: Walker) -> None:
    data = w.data
    reported: set[str] = set()
    for container, loop, outermost in scope.facts.get("membership", ()):
        name = data[container.start_byte : container.end_byte].decode()
        if name in reported:
            continue
        value = _binding_value(scope, name)
        if value is None or literal_type(value, data) != "list":
            continue
        binding = scope.bindings[name][0]
        if loop.start_byte <= binding.start < loop.end_byte:
            continue  # rebuilt on every iteration anyway
        if _mutated_in(name, loop, w):
            continue
        reported.add(name)
        w.report(
            Finding(
                LIST_MEMBERSHIP.id,
                f"`in {name}` scans the list `{name}` element by element on every iteration; "
                "a set built once answers in O(1)",
                container.start_byte,
                container.end_byte,
                LIST_MEMBERSHIP.severity,
                _membership_fix(scope, w, name, value, container, outermost),
            )
        )


def _only_membership_uses(scope: Scope, w: Walker, name: str) -> bool:
    root = w.ctx.root
    for u in scope.all_uses():
        if u.name != name:
            continue
        ident = root.descendant_for_byte_range(u.start, u.end)
        parent = ident.parent if ident is not None else None
        if parent is None or parent.type != "comparison_operator":
            return False
        if not any(c.type in ("in", "not in") for c in parent.children):
            return False
        if parent.named_children[-1] != ident:
            return False
    return True


def _membership_fix(
    scope: Scope,
    w: Walker,
    name: str,
    value: ts.Node,
    container: ts.Node,
    outermost: ts.Node,
) -> Fix | None:
    data = w.data
    if _only_membership_uses(scope, w, name):
        if (
            value.type == "list"
            and value.named_child_count
            and all(is_constant(c, data) for c in value.named_children)
        ):
            inner = data[value.start_byte + 1 : value.end_byte - 1].decode()
            return Fix(
                f"Make `{name}` a set", (Edit(value.start_byte, value.end_byte, f"{{{inner}}}"),)
            )
        if value.type == "list_comprehension":
            inner = data[value.start_byte + 1 : value.end_byte - 1].decode()
            return Fix(
                f"Make `{name}` a set comprehension",
                (Edit(value.start_byte, value.end_byte, f"{{{inner}}}"),),
                preferred=False,
            )
    loop_stmt = statement_of(outermost)
    if not alone_on_lines(data, loop_stmt):
        return None
    set_name = fresh_name(f"{name}_set", set(scope.bindings))
    indent = w.ctx.indent_at(loop_stmt.start_byte)
    at = w.ctx.line_start(loop_stmt.start_byte)
    return Fix(
        f"Build `{set_name}` once before the loop",
        (
            Edit(at, at, f"{indent}{set_name} = set({name}){w.ctx.newline}"),
            Edit(container.start_byte, container.end_byte, set_name),
        ),
        preferred=False,
    )


# -- QL202 --------------------------------------------------------------------------------------


@on_node("augmented_assignment")
def _note_string_plus(node: ts.Node, w: Walker) -> None:
    if not w.loops:
        return
    op = node.child_by_field_name("operator")
    left = node.child_by_field_name("left")
    if op is not None and op.type == "+=" and left is not None and left.type == "identifier":
        loop = next(
            (lp for lp in reversed(w.loops) if lp.type in ("for_statement", "while_statement")),
            None,
        )
        if loop is not None:
            w.function_scope().fact("string-plus").append((node, left, loop))


@on_scope_end
def _string_concat(scope: Scope, w: Walker) -> None:
    data = w.data
    facts = scope.facts.get("string-plus", ())
    by_loop: dict[tuple[str, int], list[tuple[ts.Node, ts.Node, ts.Node]]] = {}
    for node, left, loop in facts:
        name = data[left.start_byte : left.end_byte].decode()
        by_loop.setdefault((name, loop.start_byte), []).append((node, left, loop))
    for (name, _), items in by_loop.items():
        loop = items[0][2]
        bindings = [b for b in scope.bindings.get(name, ()) if b.kind == "assign"]
        initial = [b for b in bindings if b.start < loop.start_byte]
        if not initial or any(loop.start_byte <= b.start < loop.end_byte for b in bindings):
            continue
        first = min(initial, key=lambda b: -b.start)  # the binding right before the loop
        if first.unpacked or first.value is None or literal_type(first.value, data) != "str":
            continue
        node = items[0][0]
        w.report(
            Finding(
                STRING_CONCAT.id,
                f"`{name} +=` in a loop copies the whole string each time (quadratic); "
                "collect the pieces in a list and `''.join` them once",
                node.start_byte,
                node.end_byte,
                STRING_CONCAT.severity,
                _join_fix(scope, w, name, first.value, items, loop, len(bindings)),
            )
        )


def _join_fix(
    scope: Scope,
    w: Walker,
    name: str,
    initial: ts.Node,
    items: list[tuple[ts.Node, ts.Node, ts.Node]],
    loop: ts.Node,
    binding_count: int,
) -> Fix | None:
    data = w.data
    if binding_count != 1 or data[initial.start_byte : initial.end_byte] not in (b'""', b"''"):
        return None
    plus_starts = {left.start_byte for _, left, _ in items}
    for u in scope.uses:
        if (
            u.name == name
            and loop.start_byte <= u.start < loop.end_byte
            and u.start not in plus_starts
        ):
            return None  # read inside the loop: it needs the partial string
    for u in scope.pending_uses():
        if u.name == name and loop.start_byte <= u.start < loop.end_byte:
            return None
    assignment = initial.parent
    if assignment is None or assignment.type != "assignment":
        return None
    loop_stmt = statement_of(loop)
    if not alone_on_lines(data, loop_stmt):
        return None
    parts = fresh_name(f"{name}_parts", set(scope.bindings))
    edits = [Edit(assignment.start_byte, assignment.end_byte, f"{parts} = []")]
    for node, _, _ in items:
        right = node.child_by_field_name("right")
        if right is None:
            return None
        text = data[right.start_byte : right.end_byte].decode()
        edits.append(Edit(node.start_byte, node.end_byte, f"{parts}.append({text})"))
    end = line_bounds(data, loop_stmt.start_byte, loop_stmt.end_byte)[1]
    indent = w.ctx.indent_at(loop_stmt.start_byte)
    nl = w.ctx.newline
    tail = f'{indent}{name} = "".join({parts}){nl}'
    if end == len(data) and not data.endswith(b"\n"):
        tail = nl + tail
    edits.append(Edit(end, end, tail))
    return Fix(f"Collect in `{parts}` and join once", tuple(edits))


# -- QL203 --------------------------------------------------------------------------------------


@on_node("for_statement")
def _note_range_len(node: ts.Node, w: Walker) -> None:
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if left is None or right is None or left.type != "identifier" or right.type != "call":
        return
    data = w.data
    if dotted(right.child_by_field_name("function"), data) != "range":
        return
    args = right.child_by_field_name("arguments")
    if args is None or args.named_child_count != 1:
        return
    inner = args.named_children[0]
    if inner.type != "call" or dotted(inner.child_by_field_name("function"), data) != "len":
        return
    inner_args = inner.child_by_field_name("arguments")
    if inner_args is None or inner_args.named_child_count != 1:
        return
    seq = inner_args.named_children[0]
    if not dotted(seq, data):
        return
    w.function_scope().fact("range-len").append((node, left, right, seq))


def _is_store(node: ts.Node) -> bool:
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("assignment", "augmented_assignment"):
        return parent.child_by_field_name("left") == node
    return parent.type in ("delete_statement", "pattern_list", "tuple_pattern")


@on_scope_end
def _range_len(scope: Scope, w: Walker) -> None:
    data = w.data
    root = w.ctx.root
    for loop, index, call, seq in scope.facts.get("range-len", ()):
        body = loop.child_by_field_name("body")
        if body is None:
            continue
        i_name = data[index.start_byte : index.end_byte].decode()
        seq_text = data[seq.start_byte : seq.end_byte].decode()
        base = seq_text.split(".")[-1]
        if any(
            loop.start_byte < b.start < loop.end_byte and b.node != index
            for n in (i_name, base)
            for b in scope.bindings.get(n, ())
        ):
            continue  # the index or the sequence is rebound inside the loop
        reads: list[ts.Node] = []
        other = False
        for u in scope.all_uses():
            if u.name != i_name or not (body.start_byte <= u.start < body.end_byte):
                continue
            ident = root.descendant_for_byte_range(u.start, u.end)
            parent = ident.parent if ident is not None else None
            if (
                parent is not None
                and parent.type == "subscript"
                and parent.child_by_field_name("subscript") == ident
                and dotted(parent.child_by_field_name("value"), data) == seq_text
                and not _is_store(parent)
            ):
                reads.append(parent)
            else:
                other = True
        if not reads:
            continue
        taken = set(scope.bindings) | {u.name for u in scope.uses}
        singular = base[:-1] if base.endswith("s") and len(base) > 2 else "item"
        item = fresh_name(singular, taken)
        if other:
            header = f"{i_name}, {item} in enumerate({seq_text})"
            title = f"Use `enumerate({seq_text})`"
        else:
            header = f"{item} in {seq_text}"
            title = f"Iterate over `{seq_text}` directly"
        left = loop.child_by_field_name("left")
        edits = [Edit(left.start_byte, call.end_byte, header)] if left is not None else []
        edits += [Edit(r.start_byte, r.end_byte, item) for r in reads]
        w.report(
            Finding(
                RANGE_LEN.id,
                (
                    f"`range(len({seq_text}))` to read `{seq_text}[{i_name}]`: "
                    f"`enumerate({seq_text})` gives the index and the item"
                    if other
                    else f"`range(len({seq_text}))` only to read `{seq_text}[{i_name}]`: "
                    f"iterate `{seq_text}` directly"
                ),
                call.start_byte,
                call.end_byte,
                RANGE_LEN.severity,
                Fix(title, tuple(edits)),
            )
        )


# -- QL204 --------------------------------------------------------------------------------------

_RE_FUNCS = {
    # function: index of its `flags` positional argument
    "compile": 1,
    "match": 2,
    "search": 2,
    "fullmatch": 2,
    "findall": 2,
    "finditer": 2,
    "split": 3,
    "sub": 4,
    "subn": 4,
}


def _plain_string(node: ts.Node) -> bool:
    return node.type in STRING_TYPES and not contains_type(node, frozenset({"interpolation"}))


@on_node("call")
def _note_regex(node: ts.Node, w: Walker) -> None:
    if not w.loops:
        return
    fn = node.child_by_field_name("function")
    if fn is None or fn.type != "attribute":
        return
    data = w.data
    name = dotted(fn, data)
    if not name.startswith("re.") or name[3:] not in _RE_FUNCS:
        return
    args = node.child_by_field_name("arguments")
    if args is None or args.type != "argument_list" or not args.named_child_count:
        return
    if not _plain_string(args.named_children[0]):
        return
    w.function_scope().fact("regex").append((node, name[3:], args, w.loops[0]))


@on_scope_end
def _regex_in_loop(scope: Scope, w: Walker) -> None:
    data = w.data
    taken = set(scope.bindings) | scope.names_used()
    for call, func, args, outermost in scope.facts.get("regex", ()):
        pattern = args.named_children[0]
        pattern_text = data[pattern.start_byte : pattern.end_byte].decode()
        fix = None
        positional = [a for a in args.named_children if a.type != "keyword_argument"]
        keywords = [a for a in args.named_children if a.type == "keyword_argument"]
        has_flags = len(positional) > _RE_FUNCS[func] or any(
            (k.child_by_field_name("name") is not None)
            and data[
                k.child_by_field_name("name").start_byte : k.child_by_field_name("name").end_byte
            ]
            == b"flags"
            for k in keywords
        )
        loop_stmt = statement_of(outermost)
        if (func == "compile" or not has_flags) and alone_on_lines(data, loop_stmt):
            var = fresh_name("PATTERN" if scope.kind == "module" else "pattern", taken)
            taken.add(var)
            compile_args = data[args.start_byte + 1 : args.end_byte - 1].decode().strip()
            if func != "compile":
                compile_args = pattern_text
            indent = w.ctx.indent_at(loop_stmt.start_byte)
            at = w.ctx.line_start(loop_stmt.start_byte)
            if func == "compile":
                replacement = var
            else:
                rest = data[pattern.end_byte : args.end_byte - 1].decode().lstrip(", \n")
                replacement = f"{var}.{func}({rest})"
            fix = Fix(
                f"Compile the pattern once before the loop (`{var}`)",
                (
                    Edit(at, at, f"{indent}{var} = re.compile({compile_args}){w.ctx.newline}"),
                    Edit(call.start_byte, call.end_byte, replacement),
                ),
            )
        w.report(
            Finding(
                REGEX_IN_LOOP.id,
                f"`re.{func}` with the constant pattern {pattern_text[:30]} runs inside a loop: "
                "compile it once before the loop",
                call.start_byte,
                call.end_byte,
                REGEX_IN_LOOP.severity,
                fix,
            )
        )


# -- QL205 --------------------------------------------------------------------------------------


def _mentions(node: ts.Node, name: bytes, data: bytes) -> bool:
    if node.type == "identifier":
        return data[node.start_byte : node.end_byte] == name
    stack = list(node.named_children)
    while stack:
        n = stack.pop()
        if n.type == "identifier" and data[n.start_byte : n.end_byte] == name:
            parent = n.parent
            if (
                parent is not None
                and parent.type == "attribute"
                and parent.child_by_field_name("attribute") == n
            ):
                continue
            return True
        stack.extend(n.named_children)
    return False


@on_node("for_statement")
def _nested_search(node: ts.Node, w: Walker) -> None:
    outer = next((lp for lp in reversed(w.loops) if lp.type == "for_statement"), None)
    if outer is None:
        return
    data = w.data
    inner_target = node.child_by_field_name("left")
    outer_target = outer.child_by_field_name("left")
    body = node.child_by_field_name("body")
    if inner_target is None or outer_target is None or body is None:
        return
    if inner_target.type != "identifier" or outer_target.type != "identifier":
        return
    stmts = [c for c in body.named_children if c.type != "comment"]
    if not stmts or stmts[0].type != "if_statement":
        return
    cond = stmts[0].child_by_field_name("condition")
    if cond is None or cond.type != "comparison_operator" or cond.named_child_count != 2:
        return
    if not any(c.type == "==" for c in cond.children):
        return
    inner_name = data[inner_target.start_byte : inner_target.end_byte]
    outer_name = data[outer_target.start_byte : outer_target.end_byte]
    a, b = cond.named_children
    sides = [(_mentions(s, inner_name, data), _mentions(s, outer_name, data)) for s in (a, b)]
    if not (
        (sides[0] == (True, False) and sides[1][1] and not sides[1][0])
        or (sides[1] == (True, False) and sides[0][1] and not sides[0][0])
    ):
        return
    right = node.child_by_field_name("right")
    seq = data[right.start_byte : right.end_byte].decode() if right is not None else "the list"
    w.report(
        Finding(
            NESTED_SEARCH.id,
            f"searching `{seq[:30]}` for a matching `{inner_name.decode()}` inside another loop is "
            "O(n×m): build a dict keyed by the compared value once, then look items up",
            node.start_byte,
            (right.end_byte if right is not None else node.start_byte + 3),
            NESTED_SEARCH.severity,
        )
    )
