"""Convert a selection of code to another language: rules over the syntax tree first, the
model for the statements no rule covers, and the result parsed with the target grammar (a
result that does not parse is never offered).

    convert(text, "python", "javascript", start, end) -> Conversion

The selection is widened to whole statements (or taken as one expression when it lies inside
one). Each top-level statement is converted by the rules or, when a rule is missing, handed to
the model with a file header in the target language (:mod:`.model`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tree_sitter as ts

from ..syntax.languages import Language, default_registry
from . import ir
from .backend import Writer, table
from .c_family import CFamilyWriter, JavaScriptWriter, JavaWriter
from .ir import Unsupported

# source language -> target languages the rules write
TARGETS: dict[str, tuple[str, ...]] = {
    "python": ("javascript", "typescript", "java"),
    "javascript": ("python", "typescript"),
    "typescript": ("python", "javascript"),
}
NAMES = {"python": "Python", "javascript": "JavaScript", "typescript": "TypeScript", "java": "Java"}
_STATEMENT_PARENTS = {
    "python": ("module", "block"),
    "javascript": ("program", "statement_block"),
    "typescript": ("program", "statement_block"),
    "java": ("program", "block", "class_body"),
}

# (target language, prompt: a file header in the target language, the source quoted in
# comments, the code converted so far) -> the model's code for the statement, or None
ModelHook = Callable[[str, str], "str | None"]


@dataclass
class Conversion:
    """The outcome of one conversion."""

    source: str
    target: str
    text: str = ""
    rules: list[str] = field(default_factory=list)
    by_model: list[str] = field(default_factory=list)  # statements the model converted
    uncovered: list[str] = field(default_factory=list)  # what no rule (nor model) converted
    parses: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        """Whether the result may be offered: complete and parsed by the target grammar."""
        return self.parses and not self.uncovered and bool(self.text.strip())


def writer_for(target: str) -> Writer:
    """The back end of ``target``."""
    if target in ("javascript", "typescript"):
        return JavaScriptWriter(typescript=target == "typescript")
    if target == "java":
        return JavaWriter()
    if target == "python":
        from .python_back import PythonWriter

        return PythonWriter()
    raise ValueError(f"no rules write {target}")


def front_for(source: str, data: bytes):
    """The front end of ``source``."""
    if source == "python":
        from .python_front import PythonFront

        return PythonFront(data)
    if source in ("javascript", "typescript"):
        from .script_front import ScriptFront

        return ScriptFront(data, typescript=source == "typescript")
    raise ValueError(f"no rules read {source}")


def _selection(root: ts.Node, language: str, start: int, end: int) -> tuple[str, list[ts.Node]]:
    """``("statements", nodes)`` or ``("expression", [node])`` for a byte range."""
    end = max(start, end)
    node = root.descendant_for_byte_range(start, max(start, end - 1)) if end > start else None
    parents = _STATEMENT_PARENTS[language]
    # An expression strictly inside one statement: convert just the expression.
    if node is not None:
        candidate = node
        while candidate.parent is not None and candidate.parent.type not in parents:
            if candidate.start_byte <= start and candidate.end_byte >= end and candidate.is_named:
                break
            candidate = candidate.parent
        text = candidate.text.decode("utf-8", "replace").strip() if candidate.text else ""
        selected_text = root.text[start:end].decode("utf-8", "replace").strip() if root.text else ""
        if (
            candidate.parent is not None
            and candidate.parent.type not in parents
            and text == selected_text
            and not candidate.type.endswith(("statement", "definition", "declaration"))
        ):
            return "expression", [candidate]
    container = root
    while True:
        inner = next(
            (
                c
                for c in container.named_children
                if c.start_byte <= start
                and end <= c.end_byte
                and (c.end_byte - c.start_byte) > (end - start)
            ),
            None,
        )
        if inner is None:
            break
        if inner.type in parents:
            container = inner
            continue
        deeper = _find_container(inner, start, end, parents)
        if deeper is None:
            break
        container = deeper
    nodes = [c for c in container.named_children if c.end_byte > start and c.start_byte < end]
    if not nodes:
        nodes = [c for c in container.named_children if c.start_byte <= start <= c.end_byte]
    return "statements", nodes


def _find_container(
    node: ts.Node, start: int, end: int, parents: tuple[str, ...]
) -> ts.Node | None:
    for child in node.named_children:
        if child.start_byte <= start and end <= child.end_byte:
            if child.type in parents and any(
                c.end_byte > start and c.start_byte < end for c in child.named_children
            ):
                return child
            return _find_container(child, start, end, parents)
    return None


def _dedent(nodes_text: str, column: int) -> str:
    """A node's text with the indentation of its first line (``column``) taken off the rest."""
    lines = nodes_text.splitlines()
    rest = [line[column:] if line[:column].strip() == "" else line.lstrip() for line in lines[1:]]
    return "\n".join([lines[0], *rest])


def check(target: str, text: str, members: bool, registry=None) -> str:
    """'' when ``text`` parses in ``target`` (wrapped as the table says), else the problem."""
    registry = registry or default_registry()
    language = registry.by_id(target)
    if language is None:
        return f"no grammar for {target}"
    wrap = table(target).get("wrap", {}) if target in ("javascript", "java") else {}
    if target == "typescript":
        wrap = table("javascript").get("wrap", {})
    template = wrap.get("members" if members else "statements", "{code}")
    code = template.replace("{code}", text)
    tree = language.parser().parse(code.encode("utf-8"))
    if tree.root_node.has_error:
        bad = _first_error(tree.root_node)
        line = bad.start_point[0] + 1 if bad is not None else 0
        return f"the {NAMES.get(target, target)} result does not parse (line {line})"
    return ""


def _first_error(node: ts.Node) -> ts.Node | None:
    if node.is_error or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_error or child.is_missing:
            found = _first_error(child)
            if found is not None:
                return found
    return None


def convert(
    text: str,
    source: str,
    target: str,
    start: int = 0,
    end: int | None = None,
    model: ModelHook | None = None,
    file_name: str = "",
    tree: Any | None = None,
) -> Conversion:
    """Convert the byte range ``[start, end)`` of ``text`` from ``source`` to ``target``
    (``tree``: the text's tree-sitter tree when the caller has it, to skip a parse)."""
    try:
        return _convert(text, source, target, start, end, model, file_name, tree)
    except RecursionError:
        # The rules walk the tree recursively; code nested deeper than Python's stack allows
        # (thousands of brackets) is refused rather than failing the request.
        result = Conversion(source, target)
        result.error = "the selection is nested too deeply to convert"
        return result


def _convert(
    text: str,
    source: str,
    target: str,
    start: int,
    end: int | None,
    model: ModelHook | None,
    file_name: str,
    tree: Any | None,
) -> Conversion:
    result = Conversion(source, target)
    if target not in TARGETS.get(source, ()):
        result.error = (
            f"no rules convert {NAMES.get(source, source)} to {NAMES.get(target, target)}"
        )
        return result
    registry = default_registry()
    language: Language | None = registry.by_id(source)
    if language is None:
        result.error = f"no grammar for {source}"
        return result
    data = text.encode("utf-8")
    end = len(data) if end is None else end
    if tree is None:
        tree = language.parser().parse(data)
    mode, nodes = _selection(tree.root_node, source, start, end)
    if not nodes:
        result.error = "nothing to convert in the selection"
        return result
    if any(n.has_error for n in nodes):
        result.error = "the selection has syntax errors"
        return result
    front = front_for(source, data)
    writer = writer_for(target)
    pieces: list[str] = []
    members = False
    if mode == "expression":
        try:
            pieces.append(writer.expr(front.expr(nodes[0])))
        except Unsupported as exc:
            result.uncovered.append(exc.what)
    else:
        definitions = ("function_definition", "function_declaration", "method_declaration")
        members = all(n.type in (*definitions, "comment") for n in nodes) and any(
            n.type != "comment" for n in nodes
        )
        if isinstance(writer, CFamilyWriter):  # the writers with block_scope
            # const or let, and declarations hoisted out of blocks, over the whole selection
            irs: list[ir.Stmt] = []
            for node in nodes:
                try:
                    if node.type != "comment":
                        irs.append(front.statement(node))
                except Unsupported:
                    continue
            writer.block_scope(irs, [])
            if target in ("javascript", "typescript"):
                for name in sorted(writer.hoisted):  # first set inside a block, used after it
                    pieces.append(f"let {name};")
                    writer.declare(name)
        for node in nodes:
            source_text = (
                _dedent(node.text.decode("utf-8", "replace"), node.start_point[1])
                if node.text
                else ""
            )
            try:
                if node.type == "comment":
                    stmts = front.statements([node])
                else:
                    stmts = [front.statement(node)]
                lines = writer.statements(stmts, 0)
                pieces.append("\n".join(lines))
            except Unsupported as exc:
                converted = None
                if model is not None:
                    prompt = _model_prompt(
                        source, target, source_text, "\n".join(pieces), file_name
                    )
                    converted = _usable(target, model(target, prompt), source_text)
                if converted:
                    pieces.append(converted)
                    result.by_model.append(exc.what)
                else:
                    result.uncovered.append(exc.what)
    result.rules = list(writer.rules)
    result.text = "\n".join(p for p in pieces if p is not None).strip("\n")
    if result.uncovered:
        result.error = "no rule converts " + ", ".join(dict.fromkeys(result.uncovered))
        return result
    checked = result.text
    if mode == "expression":
        checked = {"java": f"Object converted = {checked};", "python": f"({checked})"}.get(
            target, f"({checked});"
        )
    problem = check(target, _indent_for(target, checked, members), members)
    result.parses = not problem
    result.error = problem
    return result


_KEYWORDS = {
    "if",
    "else",
    "for",
    "while",
    "return",
    "def",
    "function",
    "const",
    "let",
    "var",
    "in",
    "of",
    "and",
    "or",
    "not",
    "new",
    "this",
    "self",
    "true",
    "false",
    "True",
    "False",
    "None",
    "null",
    "import",
    "from",
    "class",
    "public",
    "static",
    "void",
    "int",
    "print",
    "console",
    "log",
}


def _usable(target: str, text: str | None, original: str) -> str | None:
    """The model's answer for one statement, kept only if it looks like that statement: its
    first block of code (leading and trailing comments dropped, cut at the first blank line),
    no longer than a few times the source, sharing a name with the source, and parsing on its
    own in ``target``."""
    if not text or not text.strip():
        return None
    mark = "#" if target == "python" else "//"
    lines = text.rstrip().splitlines()
    while lines and (not lines[0].strip() or lines[0].strip().startswith(mark)):
        lines.pop(0)
    if "" in [line.strip() for line in lines]:
        lines = lines[: [line.strip() for line in lines].index("")]
    while lines and lines[-1].strip().startswith(mark):
        lines.pop()
    if not lines or len(lines) > max(4, 3 * len(original.splitlines())):
        return None
    code = "\n".join(lines)
    names = {n for n in re.findall(r"[A-Za-z_]\w+", original) if n not in _KEYWORDS}
    if names and not any(re.search(rf"\b{re.escape(n)}\b", code) for n in names):
        return None  # about something else
    for members in (False, True):
        if not check(target, _indent_for(target, code, members), members):
            return code
    return None


def _indent_for(target: str, text: str, members: bool) -> str:
    if target != "java":
        return text
    pad = "    " if members else "        "
    return "\n".join(pad + line if line else line for line in text.splitlines())


def _comment(target: str, text: str) -> str:
    mark = "#" if target == "python" else "//"
    return "\n".join(f"{mark} {line}".rstrip() for line in text.splitlines())


def _model_prompt(source: str, target: str, original: str, so_far: str, file_name: str) -> str:
    """What the model continues: a file header in the target language, the code converted so
    far, then the statement to convert quoted in comments and a comment naming the target."""
    ext = {"python": "py", "javascript": "js", "typescript": "ts", "java": "java"}[target]
    name = re.sub(r"\.\w+$", f".{ext}", file_name) if file_name else f"converted.{ext}"
    header = _comment(target, f"{name}: {NAMES[source]} code converted to {NAMES[target]}.")
    quoted = _comment(
        target, f"{NAMES[source]}:\n" + "\n".join("  " + line for line in original.splitlines())
    )
    body = (so_far.rstrip() + "\n\n") if so_far.strip() else ""
    return f"{header}\n\n{body}{quoted}\n{_comment(target, NAMES[target] + ':')}\n"
