"""Python correctness rules that need the scope model or more than one node (QL101-QL105,
QL110-QL113). Rules a tree-sitter query can express live in ``grammars/python/rules/``."""

from __future__ import annotations

import ast
import difflib
import re
import sys
from pathlib import Path

import tree_sitter as ts

from ..findings import Edit, Finding, Fix, Severity
from ..rules import declare
from .scopes import (
    ANNOTATION,
    ATTRIBUTE,
    BUILTINS,
    GUARDED,
    MODULE_NAMES,
    SOFT,
    Binding,
    Scope,
    Walker,
    on_node,
    on_scope_end,
)
from .util import (
    alone_on_lines,
    contains_type,
    delete_statement,
    dotted,
    has_side_effects,
    line_bounds,
    literal_type,
    statement_of,
    string_prefix,
)

_ORIGIN = __name__
_PY = ("python",)

UNDEFINED = declare(
    "QL101",
    "undefined-name",
    languages=_PY,
    severity=Severity.ERROR,
    category="correctness",
    summary="A name that nothing in scope binds: the line raises `NameError`.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** A name is read, but no assignment, import, parameter, `def`, `class`, loop or
`with`/`except ... as` target binds it in any scope that can see it, and it is not a builtin.

**Why.** Python looks names up when the line runs: the line raises `NameError` then, often far
from where the mistake was typed (a typo, a missing import, a variable renamed in one place).

**How it decides.** Scopes as Python has them: class bodies are invisible from their methods,
comprehensions have their own scope, `global`/`nonlocal` move names, `:=` binds in the
enclosing function. A module with `from x import *` or that writes `globals()` is not
checked (any name may come from there); names read inside `try:` blocks that catch
`NameError` are not reported (that is a deliberate probe). Names listed in `__all__` must be
defined too.

**Fix.** When a bound name or builtin is spelled almost the same, the quick fix renames the use
(`lenght` -> `length`). When the name is a standard-library module used as `name.attr`, the fix
adds `import name`.
""",
)

UNUSED_IMPORT = declare(
    "QL102",
    "unused-import",
    languages=_PY,
    severity=Severity.WARNING,
    category="correctness",
    summary="An import that nothing in its scope uses.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** A name imported in a module or function is never read there (counting reads in
nested functions, string annotations, `# type:` comments and `__all__`).

**Why.** The import still runs (it costs start-up time and can fail), it tells readers about a
dependency that does not exist, and it often means the code that used it was removed or the
wrong name was used.

**Not reported.** `__init__.py` files (imports there are usually re-exports), names in
`__all__`, `import x as x` / `from m import x as x` (the explicit re-export idiom),
`from __future__` imports, and imports inside `try:` blocks that catch `ImportError` (an
availability check).

**Fix.** Removes the name from the import statement, or the whole statement when every name
in it is unused.
""",
)

UNUSED_VARIABLE = declare(
    "QL103",
    "unused-variable",
    languages=_PY,
    severity=Severity.WARNING,
    category="correctness",
    summary="A local variable that is assigned but never read.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** Inside a function, a name is assigned (`x = ...`, `except E as e`) and never read
in the function or in functions nested in it.

**Why.** Either the value was meant to be used (a bug: a result computed and dropped, a typo in
the later name) or the assignment is dead code that misleads the reader.

**Not reported.** Names starting with `_` (the convention for "intentionally unused"),
targets of tuple unpacking (`a, b = pair` where only `a` is used), loop and `with` targets,
`global`/`nonlocal` names, and functions that call `locals()`.

**Fix.** Removes the assignment; when the value has side effects (a call, an `await`), keeps
the expression and drops only `x = `. For `except E as e`, removes ` as e`.
""",
)

TYPE_MISMATCH = declare(
    "QL104",
    "str-number-concatenation",
    languages=_PY,
    severity=Severity.ERROR,
    category="correctness",
    summary="`+` between a string and a number: the line raises `TypeError`.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** `+` (or `+=`) with a `str` on one side and an `int`/`float` on the other, where both
types are certain: literals, or local variables bound once to a literal.

**Why.** Python never converts implicitly: `"total: " + 3` raises
`TypeError: can only concatenate str (not "int") to str`, and `3 + "x"` raises
`unsupported operand type(s) for +: 'int' and 'str'`. The same pairing with `bytes` fails too.

**Fix.** Wraps the number in `str()`. When the intent is arithmetic instead, convert the string
with `int()`/`float()` by hand; an f-string (`f"total: {n}"`) is usually clearest.
""",
)

NONE_DEREF = declare(
    "QL105",
    "possible-none-dereference",
    languages=_PY,
    severity=Severity.WARNING,
    category="correctness",
    summary="Attribute access on a value that may be `None` (`dict.get`, `re.match`, "
    "`os.environ.get`) without a check.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** The result of a call that returns `None` when it finds nothing (`re.match`,
`re.search`, `re.fullmatch`, `os.environ.get`, `os.getenv`, `shutil.which`, `.get(key)` on a
dict built in the same function, `.match` of a pattern compiled there) is used with `.attr`,
`[i]` or `(...)` without any test of it: no `if x`, `x is None`, `assert x`, `x and ...`.

**Why.** The day the input does not match or the key is missing, the line raises
`AttributeError: 'NoneType' object has no attribute ...`, far from the cause.

**Fix.** For a variable: inserts a guard before the first use,
`if m is None: raise ValueError(...)`, so the failure says what was missing (replace the
`raise` with a default or an early `return` if that is what the code needs). For a direct
chain: `d.get(k).x` becomes `d[k].x` and `os.environ.get("X").y` becomes
`os.environ["X"].y` (a `KeyError` naming the key).
""",
)

UNREACHABLE = declare(
    "QL110",
    "unreachable-code",
    languages=_PY,
    severity=Severity.WARNING,
    category="correctness",
    summary="Statements after `return`, `raise`, `continue` or `break` in the same block.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** Statements that follow a `return`, `raise`, `continue` or `break` in the same block,
or an `if`/`elif`/`else` whose every branch ends that way.

**Why.** They never run. Usually an early `return` was left in while debugging, or code was
meant to go before the jump (cleanup after `return`, logging after `raise`).

**Not reported.** A `yield` after a `return` (the idiom for an empty generator).

**Fix.** Deletes the unreachable statements (not preferred: moving them above the jump may be
what was meant).
""",
)

FSTRING = declare(
    "QL111",
    "f-string-without-placeholders",
    languages=_PY,
    severity=Severity.WARNING,
    category="correctness",
    summary="An f-string with no `{...}` placeholder.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** A string with the `f` prefix but no replacement field, counting every part of an
implicitly concatenated string.

**Why.** Usually the placeholder was forgotten (`f"hello name"` instead of `f"hello {name}"`);
otherwise the prefix is noise and makes readers look for fields.

**Fix.** Removes the `f` prefix (and turns `{{`/`}}` back into `{`/`}`).
""",
)

DUPLICATE_KEY = declare(
    "QL112",
    "duplicate-dict-key",
    languages=_PY,
    severity=Severity.WARNING,
    category="correctness",
    summary="A key written twice in one dict literal: the first value is silently lost.",
    fixable=True,
    origin=_ORIGIN,
    explain="""
**What.** A dict literal repeats a key (the same constant, or the same variable name). Equal
values count: `1`, `1.0` and `True` are one key.

**Why.** Python keeps the last value without a word, so the first entry is dead. Usually one of
the two keys is a typo for another key.

**Fix.** Removes the earlier entry (what Python does anyway; not preferred, since fixing the
typo may be what is needed).
""",
)

REDEFINED = declare(
    "QL113",
    "redefined-unused-function",
    languages=_PY,
    severity=Severity.WARNING,
    category="correctness",
    summary="A function defined again in the same block before the first one was used.",
    fixable=False,
    origin=_ORIGIN,
    explain="""
**What.** Two `def` statements with the same name in the same block, with no use of the name
between them.

**Why.** The second replaces the first, so the first is dead code. Typically a copy-pasted test
whose name was not changed (so one test never runs) or two versions of a helper.

**Not reported.** Decorated functions (`@overload`, `@property`/`@x.setter`,
`@singledispatch` registrations rely on redefinition) and definitions in different branches
of an `if`/`try`.

**Fix.** None automatic: rename one of them or delete the stale one.
""",
)


# -- QL101 undefined names ------------------------------------------------------------------


_DYNAMIC_GLOBALS = (
    b"globals()",
    b"sys.modules[__name__]",
    b"._convert_(",
    b"vars()",
    b"global_enum",  # enum.global_enum copies an enum's members into the module
)


def _dynamic_globals(data: bytes) -> bool:
    """Whether the module may create globals at run time (``globals()`` written through an
    alias, enums' ``_convert_``, ``sys.modules[__name__].__dict__``)."""
    return any(marker in data for marker in _DYNAMIC_GLOBALS)


def _is_submodule(w: Walker, name: str) -> bool:
    """In a package's ``__init__.py``, ``__all__`` may name submodules."""
    if w.ctx.file_name != "__init__.py":
        return False
    if not w.ctx.path:
        return True
    folder = Path(w.ctx.path).parent
    return (folder / f"{name}.py").is_file() or (folder / name).is_dir() or not folder.is_dir()


def _import_insertion(w: Walker) -> tuple[int, str]:
    """Where a new top-level import goes: after the docstring, `__future__` imports and the
    leading imports; and the text around it."""
    data = w.data
    at = 0
    for child in w.ctx.root.named_children:
        t = child.type
        if t in ("import_statement", "import_from_statement", "future_import_statement") or (
            t == "expression_statement"
            and at == 0
            and child.named_child_count
            and (child.named_children[0].type == "string")
        ):
            at = line_bounds(data, child.start_byte, child.end_byte)[1]
        elif t == "comment":
            continue
        else:
            break
    return at, w.ctx.newline


@on_scope_end
def _undefined_names(scope: Scope, w: Walker) -> None:
    if scope.kind != "module" or scope.star_import or _dynamic_globals(w.data):
        return
    module_names = set(scope.bindings) | w.module_globals
    candidates: list[str] | None = None
    insertion: tuple[int, str] | None = None
    for u in w.unresolved:
        if u.flags & (SOFT | GUARDED):
            continue
        name = u.name
        if name in BUILTINS or name in MODULE_NAMES or name in module_names:
            continue
        if candidates is None:
            candidates = sorted(module_names | {b for b in BUILTINS if not b.startswith("_")})
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.8)
        fix = None
        hint = ""
        if close:
            hint = f"; did you mean `{close[0]}`?"
            fix = Fix(f"Change to `{close[0]}`", (Edit(u.start, u.end, close[0]),))
        elif u.flags & ATTRIBUTE and name in sys.stdlib_module_names:
            hint = f"; `{name}` is a standard-library module that is not imported"
            if insertion is None:
                insertion = _import_insertion(w)
            at, nl = insertion
            fix = Fix(f"Add `import {name}`", (Edit(at, at, f"import {name}{nl}"),))
        consequence = (
            "type checkers and `typing.get_type_hints` fail on this annotation"
            if u.flags & ANNOTATION
            else "so this line raises NameError"
        )
        w.report(
            Finding(
                UNDEFINED.id,
                f"undefined name `{name}`: nothing in scope binds it, {consequence}{hint}",
                u.start,
                u.end,
                UNDEFINED.severity,
                fix,
            )
        )
    for name, start, end in w.all_names:
        if name in module_names or name in BUILTINS or _is_submodule(w, name):
            continue
        w.report(
            Finding(
                UNDEFINED.id,
                f"`__all__` lists `{name}`, which the module never defines: "
                f"`from ... import *` will raise AttributeError",
                start,
                end,
                UNDEFINED.severity,
            )
        )


# -- QL102 unused imports --------------------------------------------------------------------


def _catches_import_error(data: bytes, node: ts.Node) -> bool:
    """Whether ``node`` sits in the body of a ``try`` whose handlers catch ImportError."""
    child = node
    parent = node.parent
    while parent is not None:
        if parent.type == "try_statement" and child.type == "block":
            for clause in parent.named_children:
                if clause.type == "except_clause":
                    text = data[clause.start_byte : clause.end_byte].split(b":", 1)[0]
                    if (
                        b"ImportError" in text
                        or b"ModuleNotFoundError" in text
                        or (text.strip() == b"except")
                    ):
                        return True
        if parent.type in ("function_definition", "class_definition"):
            return False
        child, parent = parent, parent.parent
    return False


def _is_reexport(b: Binding, data: bytes) -> bool:
    value = b.value
    if value is None or value.type != "aliased_import":
        return False
    name = value.child_by_field_name("name")
    alias = value.child_by_field_name("alias")
    if name is None or alias is None:
        return False
    return data[name.start_byte : name.end_byte] == data[alias.start_byte : alias.end_byte]


# Names some protocol looks up in a module by name (unittest's `load_tests`, pytest hooks).
_PROTOCOL_NAMES = frozenset({"load_tests", "pytest_plugins"})


def _reexports_private_module(b: Binding, data: bytes) -> bool:
    """``from _speedups import fast`` at module level: the public module re-exports its
    implementation module's names (the C-accelerator pattern)."""
    if b.kind != "from-import" or b.stmt is None or b.name.startswith("_"):
        return False
    module = b.stmt.child_by_field_name("module_name")
    if module is None:
        return False
    text = data[module.start_byte : module.end_byte].decode().lstrip(".")
    return text.split(".")[-1].startswith("_")


def _loads_submodule(b: Binding, scope: Scope, data: bytes) -> bool:
    """``import a.b`` next to another import of ``a`` (``import a as x``): it is there to load
    the submodule ``a.b``, which is then reached as ``x.b``."""
    value = b.value
    if b.kind != "import" or value is None or value.type != "dotted_name":
        return False
    if value.named_child_count < 2:
        return False
    root = data[value.start_byte : value.end_byte].split(b".")[0]
    for others in scope.bindings.values():
        for other in others:
            if other is b or other.kind != "import" or other.value is None:
                continue
            module = other.value.child_by_field_name("name") or other.value
            if data[module.start_byte : module.end_byte].split(b".")[0] == root:
                return True
    return False


def _import_items(stmt: ts.Node) -> list[ts.Node]:
    return list(stmt.children_by_field_name("name"))


def _remove_item_edit(data: bytes, stmt: ts.Node, item: ts.Node) -> Edit:
    """Remove one ``name`` of an import statement with its comma."""
    items = _import_items(stmt)
    i = next(k for k, it in enumerate(items) if it == item)
    if i + 1 < len(items):
        return Edit(item.start_byte, items[i + 1].start_byte, "")
    return Edit(items[i - 1].end_byte, item.end_byte, "")


@on_scope_end
def _unused_imports(scope: Scope, w: Walker) -> None:
    if scope.kind not in ("module", "function"):
        return
    if scope.kind == "module" and w.ctx.file_name == "__init__.py":
        return
    exported = {n for n, _, _ in w.all_names} if scope.kind == "module" else set()
    unused: dict[ts.Node, list[Binding]] = {}
    data = w.data
    for name, bindings in scope.bindings.items():
        if name in exported:
            continue
        if name in _PROTOCOL_NAMES or (name.startswith("__") and name.endswith("__")):
            continue
        for b in bindings:
            if b.kind not in ("import", "from-import") or b.used or b.stmt is None:
                continue
            if _is_reexport(b, data) or _catches_import_error(data, b.stmt):
                continue
            if scope.kind == "module" and _reexports_private_module(b, data):
                continue
            if _loads_submodule(b, scope, data):
                continue
            unused.setdefault(b.stmt, []).append(b)
    for stmt, bindings in unused.items():
        items = _import_items(stmt)
        whole = len({b.value for b in bindings}) >= len(items)
        for b in bindings:
            if b.value is None:
                continue
            shown = data[b.value.start_byte : b.value.end_byte].decode()
            if whole:
                edit = delete_statement(data, stmt, w.ctx.indent_unit)
                title = "Remove unused import" if len(items) == 1 else "Remove unused imports"
            else:
                edit = _remove_item_edit(data, stmt, b.value)
                title = f"Remove `{shown}` from the import"
            w.report(
                Finding(
                    UNUSED_IMPORT.id,
                    f"`{shown}` is imported but never used"
                    + (" in this function" if scope.kind == "function" else "")
                    + ": the import still runs, and tells readers about a dependency that "
                    "is not there",
                    b.value.start_byte,
                    b.value.end_byte,
                    UNUSED_IMPORT.severity,
                    Fix(title, (edit,)) if edit else None,
                    tags=("unnecessary",),
                )
            )


# -- QL103 unused local variables ---------------------------------------------------------------


@on_scope_end
def _unused_variables(scope: Scope, w: Walker) -> None:
    if scope.kind != "function" or scope.calls_locals:
        return
    for name, bindings in scope.bindings.items():
        if name.startswith("_") or any(b.used for b in bindings):
            continue
        for b in bindings:
            if b.node is None:
                continue
            if b.kind == "assign" and not b.unpacked and b.value is not None:
                fix = _unused_assignment_fix(w, b)
                message = (
                    f"local variable `{name}` is assigned but never read: the value is "
                    f"computed and dropped"
                )
            elif b.kind == "except" and b.stmt is not None:
                fix = _unused_except_fix(b)
                message = f"exception bound to `{name}` is never used: drop `as {name}`, or use it"
            else:
                continue
            w.report(
                Finding(
                    UNUSED_VARIABLE.id,
                    message,
                    b.node.start_byte,
                    b.node.end_byte,
                    UNUSED_VARIABLE.severity,
                    fix,
                    tags=("unnecessary",),
                )
            )


def _unused_assignment_fix(w: Walker, b: Binding) -> Fix | None:
    assignment = b.node.parent if b.node is not None else None
    if assignment is None or assignment.type != "assignment" or b.value is None:
        return None
    stmt = assignment.parent
    if stmt is None or stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return None
    if has_side_effects(b.value):
        return Fix(
            f"Remove `{b.name} =`, keep the expression",
            (Edit(assignment.start_byte, b.value.start_byte, ""),),
        )
    edit = delete_statement(w.data, stmt)
    return Fix(f"Remove the assignment to `{b.name}`", (edit,)) if edit else None


def _unused_except_fix(b: Binding) -> Fix | None:
    node = b.node
    pattern = node.parent if node is not None else None
    while pattern is not None and pattern.type != "as_pattern":
        pattern = pattern.parent
    if pattern is None or not pattern.named_child_count:
        return None
    caught = pattern.named_children[0]
    return Fix(f"Remove `as {b.name}`", (Edit(caught.end_byte, pattern.end_byte, ""),))


# -- QL104 str + number ---------------------------------------------------------------------------


@on_node("binary_operator", "augmented_assignment")
def _note_plus(node: ts.Node, w: Walker) -> None:
    op = node.child_by_field_name("operator")
    if op is not None and op.type in ("+", "+="):
        w.function_scope().fact("plus").append(node)


def _operand_type(node: ts.Node, scope: Scope, data: bytes) -> str | None:
    known = literal_type(node, data)
    if known is not None or node.type != "identifier":
        return known
    bindings = scope.bindings.get(data[node.start_byte : node.end_byte].decode())
    if not bindings or len(bindings) != 1:
        return None
    b = bindings[0]
    if b.kind != "assign" or b.unpacked or b.value is None or b.scope is not scope:
        return None
    if b.value.type in ("list", "dictionary", "call"):
        return None  # containers and calls: the type is certain but not worth a guess here
    return literal_type(b.value, data)


_NUMBERS = ("int", "float")


@on_scope_end
def _str_number_plus(scope: Scope, w: Walker) -> None:
    data = w.data
    for node in scope.facts.get("plus", ()):
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            continue
        lt = _operand_type(left, scope, data)
        rt = _operand_type(right, scope, data)
        if lt is None or rt is None:
            continue
        pair = {lt, rt}
        if not (("str" in pair and pair & set(_NUMBERS)) or pair == {"bytes", "str"}):
            continue
        augmented = node.type == "augmented_assignment"
        fix = None
        if "bytes" not in pair:
            number = right if rt in _NUMBERS else left
            if not (augmented and number is left):
                text = data[number.start_byte : number.end_byte].decode()
                fix = Fix(
                    f"Wrap `{text}` in `str()`",
                    (Edit(number.start_byte, number.end_byte, f"str({text})"),),
                )
        op = "+=" if augmented else "+"
        w.report(
            Finding(
                TYPE_MISMATCH.id,
                f"`{op}` between {lt} and {rt} raises TypeError: Python does not convert "
                f"{'numbers to text' if 'bytes' not in pair else 'between bytes and str'} "
                "implicitly",
                node.start_byte,
                node.end_byte,
                TYPE_MISMATCH.severity,
                fix,
            )
        )


# -- QL105 possible None dereference ---------------------------------------------------------


_MAYBE_NONE = {
    "re.match": "no match",
    "re.search": "no match",
    "re.fullmatch": "no match",
    "os.environ.get": "environment variable {arg} is not set",
    "os.getenv": "environment variable {arg} is not set",
    "shutil.which": "{arg} is not on PATH",
}
_PATTERN_METHODS = ("match", "search", "fullmatch")
_DICT_VALUES = ("dictionary", "dictionary_comprehension")


def _maybe_none(call: ts.Node, scope: Scope, data: bytes) -> str | None:
    """Why ``call`` may return None (a phrase for the guard), or None if it cannot."""
    if call.type != "call":
        return None
    fn = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    if fn is None or args is None or args.type != "argument_list":
        return None
    name = dotted(fn, data)
    first = args.named_children[0] if args.named_child_count else None
    arg = data[first.start_byte : first.end_byte].decode() if first is not None else "?"
    if name in _MAYBE_NONE:
        if name in ("os.environ.get", "os.getenv") and args.named_child_count != 1:
            return None  # a default was given
        if name in ("re.match", "re.search") and first is not None and _always_matches(first, data):
            return None
        return _MAYBE_NONE[name].format(arg=arg.strip("'\""))
    if fn.type != "attribute":
        return None
    obj = fn.child_by_field_name("object")
    method = fn.child_by_field_name("attribute")
    if obj is None or method is None or obj.type != "identifier":
        return None
    method_name = data[method.start_byte : method.end_byte].decode()
    bindings = scope.bindings.get(data[obj.start_byte : obj.end_byte].decode())
    if not bindings or len(bindings) != 1 or bindings[0].value is None:
        return None
    value = bindings[0].value
    builder = dotted(value.child_by_field_name("function"), data) if value.type == "call" else ""
    if (
        method_name == "get"
        and args.named_child_count == 1
        and (value.type in _DICT_VALUES or builder == "dict")
    ):
        return f"key {arg} is missing"
    if method_name in _PATTERN_METHODS and builder == "re.compile":
        return "no match"
    return None


_POSITIONAL = re.compile(r"\$|\\[ZbBA]|\(\?[=!<]")


def _always_matches(pattern: ts.Node, data: bytes) -> bool:
    r"""A constant pattern that matches the empty string without anchors or lookarounds
    (`^\s*`) matches at the start of every string: `re.match` never returns None."""
    if pattern.type != "string" or contains_type(pattern, frozenset({"interpolation"})):
        return False
    try:
        text = ast.literal_eval(data[pattern.start_byte : pattern.end_byte].decode())
        compiled = re.compile(text)
    except (ValueError, SyntaxError, re.error, TypeError, MemoryError, RecursionError):
        return False
    source = text if isinstance(text, str) else text.decode("latin-1")
    empty = "" if isinstance(text, str) else b""
    return compiled.match(empty) is not None and not _POSITIONAL.search(source)


_TEST_PARENTS = frozenset(
    {
        "if_statement",
        "elif_clause",
        "while_statement",
        "boolean_operator",
        "not_operator",
        "assert_statement",
        "conditional_expression",
        "if_clause",
    }
)


def _is_checked(ident: ts.Node) -> bool:
    """Whether this read of a name tests it (truthiness, `is None`, assert...)."""
    parent = ident.parent
    if parent is None:
        return False
    if parent.type in _TEST_PARENTS:
        return True
    if parent.type == "comparison_operator":
        return True
    if parent.type == "parenthesized_expression":
        return _is_checked(parent)
    return False


def _deref_kind(ident: ts.Node) -> str | None:
    parent = ident.parent
    if parent is None:
        return None
    if parent.type == "attribute" and parent.child_by_field_name("object") == ident:
        return "attribute"
    if parent.type == "subscript" and parent.child_by_field_name("value") == ident:
        return "subscript"
    if parent.type == "call" and parent.child_by_field_name("function") == ident:
        return "call"
    return None


def _could_return_none(call: ts.Node, data: bytes) -> bool:
    """A cheap first look (the scope decides later): calls named like the ones that may
    return None."""
    fn = call.child_by_field_name("function")
    if fn is None or fn.type != "attribute":
        return False
    attr = fn.child_by_field_name("attribute")
    if attr is None:
        return False
    name = data[attr.start_byte : attr.end_byte]
    return name in (b"get", b"match", b"search", b"fullmatch", b"getenv", b"which")


@on_node("attribute", "subscript")
def _note_chain(node: ts.Node, w: Walker) -> None:
    inner = node.child_by_field_name("object" if node.type == "attribute" else "value")
    if inner is not None and inner.type == "call" and _could_return_none(inner, w.data):
        w.function_scope().fact("deref-chain").append((node, inner))


@on_node("assignment")
def _note_maybe_none_binding(node: ts.Node, w: Walker) -> None:
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if (
        left is not None
        and right is not None
        and left.type == "identifier"
        and right.type == "call"
        and _could_return_none(right, w.data)
    ):
        w.function_scope().fact("maybe-none").append((left, right))


def _guard_fix(w: Walker, name: str, use: ts.Node, why: str) -> Fix | None:
    stmt = statement_of(use)
    if not alone_on_lines(w.data, stmt) or stmt.type in (
        "elif_clause",
        "else_clause",
        "except_clause",
    ):
        return None
    indent = w.ctx.indent_at(stmt.start_byte)
    line_start = w.ctx.line_start(stmt.start_byte)
    nl = w.ctx.newline
    message = why.replace("\\", "\\\\").replace('"', '\\"')
    guard = (
        f"{indent}if {name} is None:{nl}{indent}{w.ctx.indent_unit}"
        f'raise ValueError("{message}"){nl}'
    )
    return Fix(f"Add a guard: `if {name} is None: raise`", (Edit(line_start, line_start, guard),))


@on_scope_end
def _none_dereference(scope: Scope, w: Walker) -> None:
    if w.ctx.is_test_file:
        return  # a test that dereferences None fails anyway, and says where
    data = w.data
    root = w.ctx.root
    for left, call in scope.facts.get("maybe-none", ()):
        name = data[left.start_byte : left.end_byte].decode()
        bindings = scope.bindings.get(name)
        if not bindings or len(bindings) != 1 or bindings[0].node != left:
            continue
        why = _maybe_none(call, scope, data)
        if why is None:
            continue
        first_deref: ts.Node | None = None
        checked = False
        for u in scope.all_uses():
            if u.name != name:
                continue
            ident = root.descendant_for_byte_range(u.start, u.end)
            if ident is None or ident.type != "identifier":
                continue
            if _is_checked(ident) or u.flags & GUARDED:
                checked = True
                break
            if (
                u.start > left.end_byte
                and _deref_kind(ident)
                and (first_deref is None or u.start < first_deref.start_byte)
            ):
                first_deref = ident
        if checked or first_deref is None:
            continue
        if _inside_handler_of(first_deref, (b"AttributeError", b"TypeError"), data):
            continue
        w.report(
            Finding(
                NONE_DEREF.id,
                f"`{name}` may be None here ({why}): "
                f"`{data[call.start_byte : call.end_byte].decode()[:40]}` returns None then, "
                "and this line raises AttributeError/TypeError",
                first_deref.start_byte,
                first_deref.end_byte,
                NONE_DEREF.severity,
                _guard_fix(w, name, first_deref, why),
            )
        )
    for outer, call in scope.facts.get("deref-chain", ()):
        why = _maybe_none(call, scope, data)
        if why is None:
            continue
        if _inside_handler_of(outer, (b"AttributeError", b"TypeError"), data):
            continue
        fix = _chain_fix(call, data)
        call_text = data[call.start_byte : call.end_byte].decode()
        w.report(
            Finding(
                NONE_DEREF.id,
                f"`{call_text[:40]}` may return None ({why}); using its result directly "
                "raises AttributeError/TypeError then",
                call.start_byte,
                outer.end_byte,
                NONE_DEREF.severity,
                fix,
            )
        )


def _chain_fix(call: ts.Node, data: bytes) -> Fix | None:
    fn = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    if fn is None or args is None or args.named_child_count != 1:
        return None
    key = data[args.named_children[0].start_byte : args.named_children[0].end_byte].decode()
    name = dotted(fn, data)
    if name == "os.getenv":
        target = "os.environ"
    elif fn.type == "attribute" and name.endswith(".get"):
        obj = fn.child_by_field_name("object")
        target = data[obj.start_byte : obj.end_byte].decode() if obj is not None else ""
    else:
        return None
    if not target:
        return None
    text = f"{target}[{key}]"
    return Fix(
        f"Use `{text}` (KeyError names the key)", (Edit(call.start_byte, call.end_byte, text),)
    )


def _inside_handler_of(node: ts.Node, names: tuple[bytes, ...], data: bytes) -> bool:
    child, parent = node, node.parent
    while parent is not None and parent.type not in ("function_definition", "class_definition"):
        if parent.type == "try_statement" and child.type == "block":
            for clause in parent.named_children:
                if clause.type == "except_clause":
                    head = data[clause.start_byte : clause.end_byte].split(b":", 1)[0]
                    if any(n in head for n in names) or head.strip() == b"except":
                        return True
        child, parent = parent, parent.parent
    return False


# -- QL110 unreachable code, QL113 redefined functions (statement lists) -------------------------

_JUMPS = frozenset({"return_statement", "raise_statement", "continue_statement", "break_statement"})


def _terminates(stmt: ts.Node) -> bool:
    t = stmt.type
    if t in _JUMPS:
        return True
    if t == "if_statement":
        has_else = False
        consequence = stmt.child_by_field_name("consequence")
        if consequence is None or not _block_terminates(consequence):
            return False
        for clause in stmt.children_by_field_name("alternative"):
            body = clause.child_by_field_name("consequence") or clause.child_by_field_name("body")
            if body is None:
                body = next((c for c in clause.named_children if c.type == "block"), None)
            if body is None or not _block_terminates(body):
                return False
            if clause.type == "else_clause":
                has_else = True
        return has_else
    return False


def _block_terminates(block: ts.Node) -> bool:
    stmts = [c for c in block.named_children if c.type != "comment"]
    return bool(stmts) and _terminates(stmts[-1])


@on_node("block", "module")
def _statement_list(node: ts.Node, w: Walker) -> None:
    stmts = [c for c in node.named_children if c.type != "comment"]
    _unreachable(stmts, w)
    _redefined(stmts, w)


def _unreachable(stmts: list[ts.Node], w: Walker) -> None:
    for i, stmt in enumerate(stmts[:-1]):
        if not _terminates(stmt):
            continue
        rest = stmts[i + 1 :]
        first, last = rest[0], rest[-1]
        data = w.data
        if b"yield" in data[first.start_byte : last.end_byte]:
            return
        jump = stmt.type.split("_")[0] if stmt.type in _JUMPS else "if/else whose branches all end"
        a = line_bounds(data, stmt.start_byte, stmt.end_byte)[1]
        b = line_bounds(data, last.start_byte, last.end_byte)[1]
        fix = None
        if alone_on_lines(data, first) and alone_on_lines(data, last):
            fix = Fix("Delete the unreachable code", (Edit(a, b, ""),), preferred=False)
        w.report(
            Finding(
                UNREACHABLE.id,
                f"unreachable code: it follows a `{jump}`, so it never runs",
                first.start_byte,
                last.end_byte,
                UNREACHABLE.severity,
                fix,
                tags=("unnecessary",),
            )
        )
        return


def _redefined(stmts: list[ts.Node], w: Walker) -> None:
    seen: dict[bytes, ts.Node] = {}
    data = w.data
    for stmt in stmts:
        if stmt.type == "decorated_definition":
            definition = stmt.child_by_field_name("definition")
            if definition is not None and definition.type == "function_definition":
                name = definition.child_by_field_name("name")
                if name is not None:
                    seen.pop(data[name.start_byte : name.end_byte], None)
            continue
        if stmt.type != "function_definition":
            continue
        name = stmt.child_by_field_name("name")
        if name is None:
            continue
        key = data[name.start_byte : name.end_byte]
        previous = seen.get(key)
        seen[key] = stmt
        if previous is None:
            continue
        between = data[previous.end_byte : stmt.start_byte]
        if re.search(rb"(?<![\w.])" + re.escape(key) + rb"\b", between):
            continue
        # A distance, not a line number: the finding is cached with its chunk and may move.
        lines = data.count(b"\n", previous.start_byte, name.start_byte)
        w.report(
            Finding(
                REDEFINED.id,
                f"`{key.decode()}` is defined again here: the definition {lines} lines up is "
                "never used",
                name.start_byte,
                name.end_byte,
                REDEFINED.severity,
            )
        )


# -- QL111 f-strings without placeholders ------------------------------------------------------------


def _fstring_parts(node: ts.Node, data: bytes) -> list[ts.Node]:
    parts = node.named_children if node.type == "concatenated_string" else [node]
    return [p for p in parts if p.type == "string" and "f" in string_prefix(p, data)]


@on_node("string", "concatenated_string")
def _fstring_without_placeholders(node: ts.Node, w: Walker) -> None:
    data = w.data
    if node.type == "string":
        if data[node.start_byte : node.start_byte + 1] in (b'"', b"'"):
            return  # no prefix: the common case, decided without looking at the children
        if node.parent is not None and node.parent.type == "concatenated_string":
            return  # judged as a whole
    fparts = _fstring_parts(node, data)
    if not fparts:
        return
    if contains_type(node, frozenset({"interpolation"})):
        return
    edits = []
    for part in fparts:
        start = part.child(0)
        if start is None:
            continue
        prefix = data[start.start_byte : start.end_byte].decode()
        new_prefix = prefix.replace("f", "").replace("F", "")
        edits.append(Edit(start.start_byte, start.end_byte, new_prefix))
        for child in part.named_children:
            if child.type == "string_content":
                text = data[child.start_byte : child.end_byte].decode()
                if "{{" in text or "}}" in text:
                    edits.append(
                        Edit(
                            child.start_byte,
                            child.end_byte,
                            text.replace("{{", "{").replace("}}", "}"),
                        )
                    )
            elif child.type == "escape_sequence":
                pass
    w.report(
        Finding(
            FSTRING.id,
            "f-string without any `{...}` placeholder: was a field forgotten? If not, drop the `f`",
            fparts[0].start_byte,
            node.end_byte if len(fparts) > 1 else fparts[0].end_byte,
            FSTRING.severity,
            Fix("Remove the `f` prefix", tuple(edits)),
        )
    )


# -- QL112 duplicate dict keys -------------------------------------------------------------------------


def _key_identity(key: ts.Node, data: bytes) -> tuple[str, object] | None:
    t = key.type
    text = data[key.start_byte : key.end_byte].decode("utf-8", "replace")
    if t == "identifier":
        return ("name", text)
    if t in ("string", "concatenated_string"):
        if contains_type(key, frozenset({"interpolation"})):
            return None
    elif t not in ("integer", "float", "true", "false", "none", "unary_operator"):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    try:
        hash(value)
    except TypeError:
        return None
    return ("value", value)


@on_node("dictionary")
def _duplicate_keys(node: ts.Node, w: Walker) -> None:
    data = w.data
    pairs = [p for p in node.named_children if p.type == "pair"]
    if len(pairs) < 2:
        return
    seen: dict[tuple[str, object], ts.Node] = {}
    for pair in pairs:
        key = pair.child_by_field_name("key")
        if key is None:
            continue
        ident = _key_identity(key, data)
        if ident is None:
            continue
        previous = seen.get(ident)
        seen[ident] = pair
        if previous is None:
            continue
        children = node.named_children
        i = next(k for k, c in enumerate(children) if c == previous)
        end = children[i + 1].start_byte
        key_text = data[key.start_byte : key.end_byte].decode()
        w.report(
            Finding(
                DUPLICATE_KEY.id,
                f"key `{key_text}` appears twice in this dict: the earlier value is silently "
                "replaced by this one",
                key.start_byte,
                key.end_byte,
                DUPLICATE_KEY.severity,
                Fix(
                    f"Remove the earlier `{key_text}` entry",
                    (Edit(previous.start_byte, end, ""),),
                    preferred=False,
                ),
            )
        )
