"""From parsed errors to explanations: the innermost frame in the workspace, what caused the
error, the steps to fix it, and a corrected line where a rule can write it.

Knowledge per error kind is a small function registered with :func:`explains`; each gets the
error, the file's bytes and tree, and the frame's line, and returns an :class:`Advice`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import tree_sitter as ts

from ...syntax.languages import Language, default_registry
from ..findings import Edit, Fix
from .parse import Frame, LogError

# Folders inside a workspace that hold other people's code.
_VENDORED = {".venv", "venv", "site-packages", "node_modules", "dist-packages", "vendor", ".tox"}
# Import names whose distribution is named differently on PyPI.
_PIP_NAMES = {
    "cv2": "opencv-python",
    "yaml": "PyYAML",
    "PIL": "Pillow",
    "sklearn": "scikit-learn",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "PyJWT",
    "serial": "pyserial",
    "Crypto": "pycryptodome",
    "attr": "attrs",
    "magic": "python-magic",
    "google.protobuf": "protobuf",
    "OpenSSL": "pyOpenSSL",
    "win32api": "pywin32",
}


class Workspace(Protocol):
    """What explanations need from the project (the server or the CLI provides it)."""

    roots: list[Path]

    def read(self, path: str) -> bytes | None:
        """Current bytes of a file (the open buffer if it is open), None if unreadable."""

    def similar_names(self, name: str) -> list[str]:
        """Names defined in the project that look like ``name`` (for did-you-mean)."""

    def files_defining(self, name: str) -> list[str]:
        """Paths of project files that define ``name`` at top level."""


@dataclass
class Advice:
    """What a handler says about one error."""

    cause: str
    steps: list[str] = field(default_factory=list)
    fix: Fix | None = None


@dataclass
class Explanation:
    """One error, explained at its innermost workspace frame."""

    error: LogError
    frame: Frame | None
    path: str | None  # the frame's file, resolved inside the workspace
    cause: str
    steps: list[str]
    fix: Fix | None = None
    corrected_line: str | None = None
    line_span: tuple[int, int] | None = None  # byte range of the frame's line
    call_chain: list[tuple[str, Frame]] = field(default_factory=list)  # outer workspace frames

    @property
    def title(self) -> str:
        """``TypeError: unsupported operand type(s)...``."""
        return (
            f"{self.error.short_kind}: {self.error.message}"
            if self.error.message
            else self.error.short_kind
        )


@dataclass
class Site:
    """Where an error happened, with the file parsed."""

    error: LogError
    frame: Frame
    path: str
    data: bytes
    language: Language | None
    tree: ts.Tree | None
    line_start: int
    line_end: int
    workspace: Workspace

    @property
    def line_text(self) -> str:
        """The frame's line as it is in the file now."""
        return self.data[self.line_start : self.line_end].decode("utf-8", "replace")

    def column_offset(self) -> int | None:
        """Byte offset of the frame's column, if the log gave one."""
        if self.frame.column is None:
            return None
        text = self.line_text
        prefix = text[: max(0, self.frame.column - 1)]
        return self.line_start + len(prefix.encode("utf-8"))

    def nodes(self, *types: str) -> list[ts.Node]:
        """Nodes of these types that start on the frame's line, outermost first."""
        if self.tree is None:
            return []
        out: list[ts.Node] = []
        stack = [self.tree.root_node]
        while stack:
            n = stack.pop()
            if n.end_byte <= self.line_start or n.start_byte >= self.line_end:
                continue
            if n.type in types and n.start_byte >= self.line_start:
                out.append(n)
            stack.extend(reversed(n.children))
        out.sort(key=lambda n: (n.start_byte, -(n.end_byte - n.start_byte)))
        return out

    def text(self, node: ts.Node) -> str:
        """Source of a node."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def indent(self) -> str:
        """Leading whitespace of the frame's line."""
        text = self.line_text
        return text[: len(text) - len(text.lstrip())]


Handler = Callable[[Site], Advice | None]
_HANDLERS: dict[tuple[str, str], Handler] = {}


def explains(language: str, *kinds: str) -> Callable[[Handler], Handler]:
    """Register the handler of these error kinds (short names) of ``language``."""

    def deco(fn: Handler) -> Handler:
        for kind in kinds:
            _HANDLERS[(language, kind)] = fn
        return fn

    return deco


# -- frames to files ----------------------------------------------------------------------


def _inside(path: Path, roots: list[Path]) -> bool:
    for root in roots:
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        return not (_VENDORED & set(rel.parts))
    return False


def resolve_frame(frame: Frame, roots: list[Path]) -> str | None:
    """The workspace file a frame points to (absolute, relative to a root, or a path suffix
    such as Java's ``com/shop/Cart.java``), None outside the workspace or vendored code."""
    raw = frame.path
    if raw.startswith(("<", "node:", "internal/")) or not raw:
        return None
    p = Path(raw)
    if p.is_absolute():
        try:
            resolved = p.resolve()
        except OSError:
            return None
        return str(resolved) if resolved.is_file() and _inside(resolved, roots) else None
    for root in roots:
        candidate = (root / p).resolve()
        if candidate.is_file() and _inside(candidate, roots):
            return str(candidate)
    # A suffix: search the roots (bounded) for a file ending with it.
    name = p.name
    for root in roots:
        for seen, candidate in enumerate(root.rglob(name)):
            if seen >= 2000:
                break
            if candidate.as_posix().endswith("/" + p.as_posix()) and _inside(candidate, roots):
                return str(candidate.resolve())
    return None


def line_span(data: bytes, line: int) -> tuple[int, int] | None:
    start = 0
    for _ in range(line - 1):
        nl = data.find(b"\n", start)
        if nl == -1:
            return None
        start = nl + 1
    end = data.find(b"\n", start)
    end = len(data) if end == -1 else end
    if end > start and data[end - 1 : end] == b"\r":
        end -= 1
    return start, end


def explain_errors(errors: list[LogError], workspace: Workspace) -> list[Explanation]:
    """An explanation for every error (and chained cause) that has a frame in the workspace,
    or none at all (then the explanation has no file)."""
    out: list[Explanation] = []
    for error in errors:
        for e in [*error.causes, error]:
            out.append(_explain_one(e, workspace))
    return out


def _explain_one(error: LogError, workspace: Workspace) -> Explanation:
    resolved: list[tuple[str, Frame]] = []
    for frame in error.frames:
        path = resolve_frame(frame, workspace.roots)
        if path is not None:
            resolved.append((path, frame))
    if not resolved:
        generic = _generic_advice(error)
        return Explanation(error, None, None, generic.cause, generic.steps)
    path, frame = resolved[-1]
    chain = resolved[:-1]
    data = workspace.read(path) or b""
    span = line_span(data, frame.line)
    registry = default_registry()
    language = registry.for_path(path)
    tree = None
    if language is not None and span is not None:
        try:
            tree = language.parser().parse(data)
        except Exception:
            tree = None
    advice: Advice | None = None
    if span is not None:
        site = Site(error, frame, path, data, language, tree, span[0], span[1], workspace)
        handler = _HANDLERS.get((error.language, error.short_kind)) or _HANDLERS.get(
            ("*", error.short_kind)
        )
        if handler is not None:
            try:
                advice = handler(site)
            except Exception:  # a handler must never break the whole explanation
                advice = None
    if advice is None:
        advice = _generic_advice(error)
    corrected = None
    if advice.fix is not None and span is not None:
        corrected = _apply_to_line(data, span, advice.fix)
    if error.repeated and error.short_kind == "RecursionError" and chain:
        chain = chain[-3:]
    return Explanation(
        error, frame, path, advice.cause, advice.steps, advice.fix, corrected, span, chain
    )


def _apply_to_line(data: bytes, span: tuple[int, int], fix: Fix) -> str | None:
    """The frame's line(s) after the fix (only edits touching that line count)."""
    a, b = span
    edits = sorted(fix.edits, key=lambda e: e.start)
    if not edits:
        return None
    lo = min(a, *(e.start for e in edits))
    hi = max(b, *(e.end for e in edits))
    lo = data.rfind(b"\n", 0, lo) + 1
    nl = data.find(b"\n", hi)
    hi = len(data) if nl == -1 else nl
    out = bytearray()
    pos = lo
    for e in edits:
        if e.start < lo or e.end > hi:
            continue
        out += data[pos : e.start] + e.text.encode("utf-8")
        pos = e.end
    out += data[pos:hi]
    return out.decode("utf-8", "replace")


def _generic_advice(error: LogError) -> Advice:
    kind = error.short_kind
    if error.language == "generic":
        return Advice(
            f"the tool reported: {error.message}",
            [
                "Open the line and read the message; fix the first error first, later ones often follow from it."
            ],
        )
    return Advice(
        f"`{kind}` was raised{': ' + error.message if error.message else ''}",
        [
            "Read the innermost frame below: the values there are what the code did not expect.",
            "Reproduce with a small input, then add a check or handle the case where it happens.",
        ],
    )


# -- Python ---------------------------------------------------------------------------------

_OPERANDS = re.compile(
    r"unsupported operand type\(s\) for (?P<op>\S+): '(?P<left>\w+)' and '(?P<right>\w+)'"
)
_CONCAT = re.compile(r'can only concatenate (?P<left>\w+) \(not "(?P<right>\w+)"\) to \w+')
_NAME = re.compile(r"name '(?P<name>\w+)' is not defined(?:\. Did you mean: '(?P<hint>\w+)'\?)?")
_NONE_ATTR = re.compile(r"'NoneType' object has no attribute '(?P<attr>\w+)'")
_NOT_SUBSCRIPTABLE = re.compile(r"'NoneType' object is not (?:subscriptable|iterable|callable)")
_MODULE = re.compile(r"No module named '(?P<module>[\w.]+)'")


@explains("python", "TypeError")
def _python_type_error(site: Site) -> Advice | None:
    message = site.error.message
    m = _OPERANDS.search(message)
    c = _CONCAT.search(message)
    operands = m or c
    if operands is None:
        if _NOT_SUBSCRIPTABLE.search(message):
            return _none_guard(site, None)
        return None
    left_type = operands["left"]
    right_type = operands["right"]
    op = m["op"] if m else "+"
    numbers = {"int", "float"}
    cause = (
        f"`{op}` got a `{left_type}` on the left and a `{right_type}` on the right; Python never "
        "converts between text and numbers implicitly"
    )
    steps = [
        "Decide what the line means: joining text, or adding numbers.",
        "For text, convert the number with `str(...)` (or use an f-string); for a sum, convert "
        "the text with `int(...)`/`float(...)`.",
    ]
    if op not in ("+", "+="):
        return Advice(cause, steps)
    str_side = "left" if left_type == "str" else "right" if right_type == "str" else None
    if str_side is None or not ({left_type, right_type} & numbers):
        return Advice(cause, steps)
    for node in site.nodes("binary_operator", "augmented_assignment"):
        operator = node.child_by_field_name("operator")
        if operator is None or operator.type not in ("+", "+="):
            continue
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            continue
        number = left if str_side == "right" else right
        if node.type == "augmented_assignment" and number is left:
            continue
        text = site.text(number)
        fix = Fix(
            f"Wrap `{text}` in `str()`", (Edit(number.start_byte, number.end_byte, f"str({text})"),)
        )
        return Advice(cause, steps, fix)
    return Advice(cause, steps)


@explains("python", "NameError", "UnboundLocalError")
def _python_name_error(site: Site) -> Advice | None:
    m = _NAME.search(site.error.message)
    if m is None:
        return None
    name = m["name"]
    candidates = set(site.workspace.similar_names(name))
    if site.tree is not None:
        candidates |= _identifiers(site.tree.root_node, site.data)
    candidates.discard(name)
    hint = m["hint"] or next(
        iter(difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)), None
    )
    steps = []
    fix = None
    definers = [p for p in site.workspace.files_defining(name) if p != site.path]
    if hint:
        steps.append(f"Did you mean `{hint}`? It is defined and spelled almost the same.")
        for node in site.nodes("identifier"):
            if site.text(node) == name:
                fix = Fix(f"Change to `{hint}`", (Edit(node.start_byte, node.end_byte, hint),))
                break
    if definers:
        module = _module_name(definers[0], site.workspace.roots)
        steps.append(
            f"`{name}` is defined in {definers[0]}: import it (`from {module} import {name}`)."
        )
        if fix is None and module:
            at = _python_import_line(site.data)
            fix = Fix(
                f"Add `from {module} import {name}`",
                (Edit(at, at, f"from {module} import {name}\n"),),
            )
    steps.append(
        "Otherwise define it before this line runs (a typo, a missing import, or a variable assigned only in another branch)."
    )
    return Advice(f"`{name}` is not bound when this line runs", steps, fix)


@explains("python", "AttributeError")
def _python_attribute_error(site: Site) -> Advice | None:
    m = _NONE_ATTR.search(site.error.message)
    if m is None:
        return Advice(
            f"the object has no attribute from this message: {site.error.message}",
            [
                "Check the object's type at this line (print `type(obj)`): it is not what the code expects.",
                "Check the attribute's spelling against the class definition.",
            ],
        )
    return _none_guard(site, m["attr"])


def _none_guard(site: Site, attr: str | None) -> Advice:
    cause = (
        (f"the object before `.{attr}` is None" if attr else "a value used here is None")
        + ": a call returned None (no regex match, a missing dict key with `.get`, a function without `return`)"
    )
    steps = [
        "Find where the value comes from and why it can be None.",
        "Handle that case before using it: `if x is None: ...` (or give `.get` a default).",
    ]
    target: ts.Node | None = None
    for node in site.nodes("attribute"):
        name = node.child_by_field_name("attribute")
        if name is not None and (attr is None or site.text(name) == attr):
            target = node.child_by_field_name("object")
            break
    fix = None
    if target is not None:
        if target.type == "call":
            fn = target.child_by_field_name("function")
            args = target.child_by_field_name("arguments")
            fn_text = site.text(fn) if fn is not None else ""
            if fn_text.endswith(".get") and args is not None and args.named_child_count == 1:
                key = site.text(args.named_children[0])
                obj = fn_text[: -len(".get")]
                replacement = f"{obj}[{key}]"
                fix = Fix(
                    f"Use `{replacement}` (a KeyError names the key)",
                    (Edit(target.start_byte, target.end_byte, replacement),),
                )
        elif target.type == "identifier":
            var_name = site.text(target)
            stmt = target
            while stmt.parent is not None and stmt.parent.type not in ("block", "module"):
                stmt = stmt.parent
            if site.data[site.line_start : stmt.start_byte].strip() == b"":
                indent = site.indent()
                guard = (
                    f"{indent}if {var_name} is None:\n"
                    f'{indent}    raise ValueError("{var_name} is None")\n'
                )
                fix = Fix(
                    f"Add a guard: `if {var_name} is None`",
                    (Edit(site.line_start, site.line_start, guard),),
                )
    return Advice(cause, steps, fix)


@explains("python", "KeyError")
def _python_key_error(site: Site) -> Advice | None:
    key = site.error.message.strip()
    steps = [
        f"The dict has no key {key} at this point: check where it should have been added.",
        "If the key may be missing, use `d.get(key)` (or `d.get(key, default)`) and handle None.",
    ]
    fix = None
    for node in site.nodes("subscript"):
        parent = node.parent
        if (
            parent is not None
            and parent.type in ("assignment", "augmented_assignment")
            and (parent.child_by_field_name("left") == node)
        ):
            continue
        index = node.child_by_field_name("subscript")
        value = node.child_by_field_name("value")
        if index is None or value is None:
            continue
        if (
            key
            and site.text(index) not in (key, key.replace("'", '"'))
            and index.type != "identifier"
        ):
            continue
        replacement = f"{site.text(value)}.get({site.text(index)})"
        fix = Fix(
            f"Use `{replacement}`",
            (Edit(node.start_byte, node.end_byte, replacement),),
            preferred=False,
        )
        break
    return Advice(f"the key {key} is not in the dict", steps, fix)


@explains("python", "ModuleNotFoundError", "ImportError")
def _python_module_error(site: Site) -> Advice | None:
    m = _MODULE.search(site.error.message)
    if m is None:
        return None
    module = m["module"]
    top = module.split(".")[0]
    dist = _PIP_NAMES.get(module) or _PIP_NAMES.get(top) or top
    steps = [
        f"Install it in the environment that runs this code: `python -m pip install {dist}`.",
        "Check that the interpreter is the one of your virtual environment (`python -c 'import sys; print(sys.executable)'`).",
    ]
    local = [p for p in site.workspace.roots if (p / top).is_dir() or (p / f"{top}.py").is_file()]
    for root in site.workspace.roots:
        for candidate in (root / "src" / top, root / "src" / f"{top}.py"):
            if candidate.exists():
                local.append(root)
    if local:
        steps.insert(
            0,
            f"`{top}` is in the workspace ({local[0]}): run from the project root, or install the "
            "project in editable mode (`pip install -e .`), so that it is importable.",
        )
    return Advice(f"Python cannot find the module `{module}` on its path", steps)


@explains("python", "IndexError")
def _python_index_error(site: Site) -> Advice | None:
    return Advice(
        "an index is past the end of the sequence (or the sequence is empty)",
        [
            "Print the length and the index at this line; off-by-one (`len(x)` instead of `len(x) - 1`) is common.",
            "If the sequence may be empty, check `if x:` before indexing, or iterate instead of indexing.",
        ],
    )


@explains("python", "ZeroDivisionError")
def _python_zero_division(site: Site) -> Advice | None:
    fix = None
    for node in site.nodes("binary_operator"):
        op = node.child_by_field_name("operator")
        right = node.child_by_field_name("right")
        if op is None or right is None or op.type not in ("/", "//", "%"):
            continue
        divisor = site.text(right)
        whole = site.text(node)
        replacement = f"({whole} if {divisor} else 0)"
        fix = Fix(
            f"Use 0 when `{divisor}` is 0",
            (Edit(node.start_byte, node.end_byte, replacement),),
            preferred=False,
        )
        break
    return Advice(
        "the divisor is zero",
        [
            "Find why the divisor is zero here (an empty list's length, a count that was never incremented).",
            "Decide what the result should be then, and check the divisor before dividing.",
        ],
        fix,
    )


@explains("python", "RecursionError")
def _python_recursion(site: Site) -> Advice | None:
    function = site.frame.function or "this function"
    return Advice(
        f"`{function}` calls itself (directly or through others) without reaching a base case",
        [
            "Check the base case: the condition that stops the recursion must become true.",
            "Check that each call moves towards it (a smaller argument, a shorter list).",
            "For deep but finite recursion, rewrite it as a loop with an explicit stack.",
        ],
    )


# -- JavaScript ------------------------------------------------------------------------------

_JS_UNDEFINED = re.compile(
    r"Cannot read propert(?:y|ies) (?:of (?:undefined|null) \(reading '(?P<prop>[^']+)'\)|'(?P<old>[^']+)' of (?:undefined|null))"
)
_JS_NOT_DEFINED = re.compile(r"(?P<name>[\w$]+) is not defined")


@explains("javascript", "TypeError")
def _js_type_error(site: Site) -> Advice | None:
    m = _JS_UNDEFINED.search(site.error.message)
    if m is None:
        return None
    prop = m["prop"] or m["old"]
    cause = f"the value before `.{prop}` is undefined or null"
    steps = [
        "Find where that value should have been set (a missing property, an unresolved promise, a wrong key).",
        "If it may legitimately be missing, use optional chaining (`a?.b`) and a default (`?? ''`).",
    ]
    at = site.column_offset()
    fix = None
    for node in site.nodes("member_expression"):
        prop_node = node.child_by_field_name("property")
        if prop_node is None or site.text(prop_node) != prop:
            continue
        if at is not None and not (prop_node.start_byte <= at <= prop_node.end_byte):
            continue
        dot = next((c for c in node.children if c.type in (".", "?.")), None)
        if dot is None or dot.type == "?.":
            continue
        fix = Fix(
            f"Use optional chaining (`?.{prop}`)", (Edit(dot.start_byte, dot.end_byte, "?."),)
        )
        break
    return Advice(cause, steps, fix)


@explains("javascript", "ReferenceError")
def _js_reference_error(site: Site) -> Advice | None:
    m = _JS_NOT_DEFINED.search(site.error.message)
    if m is None:
        return None
    name = m["name"]
    candidates = set(site.workspace.similar_names(name))
    if site.tree is not None:
        candidates |= _identifiers(site.tree.root_node, site.data)
    candidates.discard(name)
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
    fix = None
    steps = ["Declare or import it before use (`import`, `require`, or `const`)."]
    if close:
        steps.insert(0, f"Did you mean `{close[0]}`?")
        for node in site.nodes("identifier"):
            if site.text(node) == name:
                fix = Fix(
                    f"Change to `{close[0]}`", (Edit(node.start_byte, node.end_byte, close[0]),)
                )
                break
    return Advice(f"`{name}` is not declared in any enclosing scope", steps, fix)


# -- Java, Go, Rust -------------------------------------------------------------------------

_NPE_BECAUSE = re.compile(r'because "(?P<what>[^"]+)" is null')


@explains("java", "NullPointerException")
def _java_npe(site: Site) -> Advice | None:
    m = _NPE_BECAUSE.search(site.error.message)
    what = m["what"] if m else "a reference"
    return Advice(
        f"{what} is null at this line and the code calls a method or reads a field on it",
        [
            f"Find where {what} should have been set; a constructor or setter that was not called is common.",
            'If null is a valid value, check it first (`if (x != null)`), use `Objects.requireNonNull(x, "why")` '
            "to fail early with a message, or an `Optional`.",
        ],
    )


@explains(
    "java",
    "ArrayIndexOutOfBoundsException",
    "IndexOutOfBoundsException",
    "StringIndexOutOfBoundsException",
)
def _java_index(site: Site) -> Advice | None:
    return Advice(
        f"an index is outside the array or list: {site.error.message}",
        ["Check the loop bounds (`<` vs `<=` length) and empty collections."],
    )


@explains("java", "NumberFormatException")
def _java_number(site: Site) -> Advice | None:
    return Advice(
        f"text that is not a number was parsed as one: {site.error.message}",
        [
            "Validate or trim the input before `Integer.parseInt`, and catch `NumberFormatException` where input is untrusted."
        ],
    )


@explains("go", "runtime error", "panic")
def _go_panic(site: Site) -> Advice | None:
    message = site.error.message
    if "index out of range" in message:
        return Advice(
            f"a slice or array index is out of range ({message.split('runtime error: ')[-1]})",
            ["Check `len(s)` before indexing, and the loop bounds (`i < len(s)`)."],
        )
    if "nil pointer dereference" in message or "invalid memory address" in message:
        return Advice(
            "a nil pointer was dereferenced: a pointer, map, interface or func value is nil here",
            [
                "Find which value is nil at this line (often the result of a call whose error was ignored).",
                "Check errors right after the call, and check for nil before use.",
            ],
        )
    if "assignment to entry in nil map" in message:
        return Advice(
            "the map was declared but never created",
            ["Create it before writing: `m := make(map[K]V)` (or initialise the struct field)."],
        )
    return None


@explains("rust", "panic")
def _rust_panic(site: Site) -> Advice | None:
    message = site.error.message
    if "unwrap()" in message and "None" in message:
        cause = "`unwrap()` was called on `None`"
    elif "unwrap()" in message and "Err" in message:
        cause = "`unwrap()` was called on an `Err`: " + message.split("value: ", 1)[-1]
    elif "index out of bounds" in message:
        cause = f"an index is out of bounds ({message})"
    elif "overflow" in message:
        cause = f"arithmetic overflowed ({message}); debug builds check it, release builds wrap"
    else:
        return None
    return Advice(
        cause,
        [
            "Handle the missing case with `match`/`if let`, or propagate it with `?` from a function that returns `Option`/`Result`.",
            'Where it truly cannot fail, use `expect("why")` so the panic says which invariant broke.',
        ],
    )


# -- helpers -------------------------------------------------------------------------------


def _identifiers(root: ts.Node, data: bytes, limit: int = 20000) -> set[str]:
    names: set[str] = set()
    cursor = root.walk()
    seen = 0
    while seen < limit:
        n = cursor.node
        seen += 1
        if n is not None and n.type == "identifier":
            names.add(data[n.start_byte : n.end_byte].decode("utf-8", "replace"))
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return names
    return names


def _module_name(path: str, roots: list[Path]) -> str:
    p = Path(path)
    for root in roots:
        try:
            rel = p.relative_to(root)
        except ValueError:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts and parts[0] == "src":
            parts = parts[1:]
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join(parts)
    return p.stem


def _python_import_line(data: bytes) -> int:
    """After the leading docstring/imports: where a new import goes."""
    at = 0
    pos = 0
    in_doc = False
    for line in data.split(b"\n"):
        stripped = line.strip()
        nxt = pos + len(line) + 1
        if in_doc:
            if stripped.endswith((b'"""', b"'''")):
                in_doc = False
                at = nxt
        elif stripped.startswith((b'"""', b"'''")) and at == pos:
            quote = stripped[:3]
            in_doc = not (len(stripped) >= 6 and stripped.endswith(quote))
            at = nxt
        elif (
            stripped.startswith((b"import ", b"from "))
            or (not stripped and at == pos)
            or stripped.startswith(b"#")
        ):
            if stripped.startswith((b"import ", b"from ")):
                at = nxt
        else:
            break
        pos = nxt
    return min(at, len(data))
