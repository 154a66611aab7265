"""Python: targets from the syntax tree, cases from doctests and docstring examples, a pytest
file, and running it.

Targets are the public (no leading ``_``) top-level functions and classes of the index's
summary, with the details read from the tree: parameters (annotations, defaults, ``*``/``/``
separators, ``*args``/``**kwargs``), return annotation, whole docstring, ``async``, decorators,
the public methods of classes and their ``__init__`` (or dataclass fields).
"""

from __future__ import annotations

import ast
import builtins
import doctest
import inspect
import io
import json
import keyword
import os
import re
import subprocess
import sys
import tempfile
import time
import tokenize
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter as ts

from ..index.summary import FileSummary
from .model import Case, GeneratedTest, Param, Target

_BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}
_SKIP_FUNCTIONS = {"main"}


# -- extraction --------------------------------------------------------------------------


def _text(node: ts.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _params(node: ts.Node | None) -> list[Param]:
    out: list[Param] = []
    if node is None:
        return out
    keyword_only = False
    for child in node.named_children:
        t = child.type
        if t == "keyword_separator":
            keyword_only = True
            continue
        if t == "positional_separator" or t == "comment":
            continue
        kind = "keyword" if keyword_only else "positional"
        if t == "identifier":
            out.append(Param(_text(child), kind=kind))
        elif t == "typed_parameter":
            inner = child.named_children[0] if child.named_children else None
            annotation = _text(child.child_by_field_name("type"))
            if inner is not None and inner.type == "list_splat_pattern":
                out.append(Param(_text(inner).lstrip("*"), annotation, kind="var"))
                keyword_only = True
            elif inner is not None and inner.type == "dictionary_splat_pattern":
                out.append(Param(_text(inner).lstrip("*"), annotation, kind="varkw"))
            else:
                out.append(Param(_text(inner), annotation, kind=kind))
        elif t in ("default_parameter", "typed_default_parameter"):
            out.append(
                Param(
                    _text(child.child_by_field_name("name")),
                    _text(child.child_by_field_name("type")),
                    _text(child.child_by_field_name("value")),
                    kind,
                )
            )
        elif t == "list_splat_pattern":
            out.append(Param(_text(child).lstrip("*"), kind="var"))
            keyword_only = True
        elif t == "dictionary_splat_pattern":
            out.append(Param(_text(child).lstrip("*"), kind="varkw"))
    return out


def _docstring(body: ts.Node | None) -> str:
    if body is None or not body.named_children:
        return ""
    first = body.named_children[0]
    if first.type != "expression_statement" or not first.named_children:
        return ""
    node = first.named_children[0]
    if node.type not in ("string", "concatenated_string"):
        return ""
    try:
        value = ast.literal_eval(_text(node))
    except (ValueError, SyntaxError):
        return ""
    return inspect.cleandoc(value) if isinstance(value, str) else ""


def _unwrap(node: ts.Node) -> tuple[ts.Node, list[str]]:
    if node.type == "decorated_definition":
        decorators = [
            _text(d).lstrip("@").strip() for d in node.named_children if d.type == "decorator"
        ]
        definition = node.child_by_field_name("definition")
        return (definition or node), decorators
    return node, []


def _function(node: ts.Node, decorators: list[str], owner: str = "") -> Target:
    params = _params(node.child_by_field_name("parameters"))
    is_static = any(d.split("(")[0] in ("staticmethod",) for d in decorators)
    if owner and not is_static and params and params[0].kind == "positional":
        params = params[1:]  # self / cls
    return Target(
        name=_text(node.child_by_field_name("name")),
        kind="method" if owner else "function",
        params=params,
        returns=_text(node.child_by_field_name("return_type")),
        doc=_docstring(node.child_by_field_name("body")),
        line=node.start_point[0],
        is_async=any(c.type == "async" for c in node.children),
        source=_text(node),
        owner=owner,
        decorators=decorators,
    )


def _class(node: ts.Node, decorators: list[str]) -> Target:
    name = _text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    target = Target(
        name=name,
        kind="class",
        doc=_docstring(body),
        line=node.start_point[0],
        source=_text(node),
        decorators=decorators,
    )
    fields: list[Param] = []
    init: Target | None = None
    for child in body.named_children if body is not None else []:
        inner, decos = _unwrap(child)
        if inner.type == "function_definition":
            method = _function(inner, decos, owner=name)
            if method.name == "__init__":
                init = method
            elif not method.name.startswith("_") and not any(
                d.split("(")[0].split(".")[-1]
                in ("property", "setter", "abstractmethod", "overload")
                or d.endswith(".setter")
                for d in decos
            ):
                target.methods.append(method)
        elif inner.type == "expression_statement" and inner.named_children:
            assign = inner.named_children[0]
            if assign.type == "assignment" and assign.child_by_field_name("type") is not None:
                left = assign.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    right = assign.child_by_field_name("right")
                    fields.append(
                        Param(
                            _text(left),
                            _text(assign.child_by_field_name("type")),
                            _text(right) if right is not None else None,
                        )
                    )
    superclasses = _text(node.child_by_field_name("superclasses"))
    record = any("dataclass" in d for d in decorators) or re.search(
        r"\b(NamedTuple|TypedDict)\b", superclasses
    )
    if init is not None:
        target.params = init.params
    elif record:
        target.params = [f for f in fields if not f.annotation.startswith("ClassVar")]
    return target


def extract(tree: ts.Tree, summary: FileSummary) -> list[Target]:
    """Public top-level functions and classes, in file order."""
    wanted = {
        d.name
        for d in summary.definitions
        if d.parent < 0 and d.kind in ("function", "class") and not d.name.startswith("_")
    }
    out: list[Target] = []
    for child in tree.root_node.named_children:
        node, decorators = _unwrap(child)
        name = _text(node.child_by_field_name("name"))
        if name not in wanted or name.startswith("test"):
            continue
        if node.type == "function_definition" and name not in _SKIP_FUNCTIONS:
            out.append(_function(node, decorators))
        elif node.type == "class_definition":
            out.append(_class(node, decorators))
    return out


# -- cases from the documentation ------------------------------------------------------------


def _is_expression(source: str) -> bool:
    try:
        ast.parse(source, mode="eval")
        return True
    except SyntaxError:
        return False


def _literal(text: str) -> bool:
    try:
        ast.literal_eval(text)
        return True
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def _strip_comments(source: str) -> str:
    """``source`` without its comments (``# doctest: +ELLIPSIS`` directives among them)."""
    if "#" not in source:
        return source
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    lines = source.splitlines()
    for tok in reversed(tokens):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            lines[row - 1] = lines[row - 1][:col].rstrip()
    return "\n".join(lines).strip()


def _exception_name(want: str) -> str:
    last = want.strip().splitlines()[-1] if want.strip() else ""
    return last.split(":", 1)[0].strip()


def doctest_cases(target: Target) -> list[list[Case]]:
    """Cases from the doctest examples of ``target``'s docstring: groups of cases that must
    run together (an example that only sets up state joins the group after it)."""
    try:
        examples = doctest.DocTestParser().get_examples(target.doc)
    except ValueError:
        return []
    groups: list[list[Case]] = []
    setup: list[str] = []
    stateful = False
    current: list[Case] = []
    for ex in examples:
        if ex.options.get(doctest.SKIP):
            continue
        source = _strip_comments(ex.source.strip())
        want = ex.want.rstrip("\n")
        flags = 0
        for flag, on in ex.options.items():
            if on:
                flags |= flag
        if ex.exc_msg is not None:
            current.append(
                Case(target.qualname, source, "doctest", raises=_exception_name(want), setup=setup)
            )
        elif not _is_expression(source):
            if want:
                current.append(Case(target.qualname, source, "doctest", output=want, setup=setup))
            else:
                setup = [*setup, source]
                stateful = True
            continue
        elif not want:
            setup = [*setup, source]
            stateful = True
            continue
        elif re.match(r"^print\s*\(", source):
            current.append(Case(target.qualname, source, "doctest", output=want, setup=setup))
        elif flags & (doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE):
            current.append(
                Case(
                    target.qualname,
                    source,
                    "doctest",
                    expected=want,
                    compare=f"doctest:{flags}",
                    setup=setup,
                )
            )
        elif want in ("None", "True", "False"):
            current.append(
                Case(target.qualname, source, "doctest", expected=want, compare="is", setup=setup)
            )
        elif _literal(want):
            current.append(Case(target.qualname, source, "doctest", expected=want, setup=setup))
        else:
            current.append(
                Case(target.qualname, source, "doctest", expected=want, compare="repr", setup=setup)
            )
        setup = []
    if current:
        if stateful:
            groups.append(current)
        else:
            groups.extend([c] for c in current)
    return groups


def docstring_cases(target: Target) -> list[Case]:
    """Cases from ``call -> result`` statements of a docstring without doctests (on a line of
    their own or inside a sentence: ``for example f(2) -> 4.``)."""
    if ">>>" in target.doc:
        return []
    out = []
    names = {target.name, f"{target.owner}.{target.name}" if target.owner else target.name}
    for line in target.doc.splitlines():
        for name in names:
            for m in re.finditer(rf"(?<![\w.]){re.escape(name)}\(", line):
                found = _example_at(line, m.start(), m.end())
                if found is not None:
                    call, want = found
                    compare = "is" if want in ("None", "True", "False") else "eq"
                    out.append(
                        Case(target.qualname, call, "docstring", expected=want, compare=compare)
                    )
    return out


def _example_at(line: str, start: int, open_end: int) -> tuple[str, str] | None:
    depth, i = 1, open_end
    while i < len(line) and depth:
        depth += {"(": 1, ")": -1}.get(line[i], 0)
        i += 1
    if depth:
        return None
    call = line[start:i]
    arrow = re.match(r"\s*(?:->|=>|==|→|returns?|gives)\s*", line[i:])
    if not arrow or not _is_expression(call):
        return None
    rest = line[i + arrow.end() :].rstrip().rstrip(".;,")
    cuts = [len(rest), *[m.start() for m in re.finditer(r"[\s,;]", rest)][::-1]]
    for cut in cuts:
        want = rest[:cut].rstrip(".;, ")
        if want and _is_expression(want):
            return call, want
    return None


# -- rendering -------------------------------------------------------------------------------


def snake(name: str) -> str:
    """``PriceList`` -> ``price_list``."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s).lower()


@dataclass
class PythonFile:
    """The pieces of a generated pytest file."""

    module: str  # dotted import name of the module under test
    names: set[str] = field(default_factory=set)  # imported from the module
    imports: set[str] = field(default_factory=set)  # other import lines
    fixtures: dict[str, str] = field(default_factory=dict)  # name -> code
    helpers: dict[str, str] = field(default_factory=dict)
    tests: list[GeneratedTest] = field(default_factory=list)

    def render(self, header: str) -> str:
        """The file's text."""
        lines = [f'"""{header}"""', ""]
        needs_pytest = any("pytest." in t.code for t in self.tests) or self.fixtures
        std = sorted(i for i in self.imports if i.startswith("import "))
        frm = sorted(i for i in self.imports if i.startswith("from "))
        if needs_pytest:
            std = sorted({*std, "import pytest"})
        lines += std + frm
        if self.names:
            names = ", ".join(sorted(self.names))
            lines.append(f"from {self.module} import {names}")
        out = "\n".join(lines) + "\n"
        for code in [*self.helpers.values(), *self.fixtures.values()]:
            out += "\n\n" + code.rstrip() + "\n"
        for test in self.tests:
            out += "\n\n" + test.code.rstrip() + "\n"
        return out


def _indent(lines: list[str], depth: int = 1) -> list[str]:
    pad = "    " * depth
    return [pad + line if line else line for line in lines]


def _atom(expr: str) -> str:
    """``expr`` in parentheses unless it binds tighter than a comparison already."""
    try:
        node = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return expr
    simple = (
        ast.Call,
        ast.Name,
        ast.Attribute,
        ast.Subscript,
        ast.Constant,
        ast.List,
        ast.Tuple,
        ast.Dict,
        ast.Set,
        ast.ListComp,
        ast.DictComp,
        ast.SetComp,
        ast.BinOp,
        ast.UnaryOp,
    )
    if isinstance(node, simple) and not (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    ):
        return expr
    return f"({expr})"


def case_lines(case: Case, helpers: dict[str, str]) -> tuple[list[str], list[str]]:
    """Statement lines of one case, and the fixtures it needs."""
    fixtures: list[str] = []
    lines = [line for s in case.setup for line in s.splitlines()]
    call = case.call if case.raises is not None or case.output is not None else _atom(case.call)
    if case.raises is not None:
        exc = case.raises
        lines += [f"with pytest.raises({exc}):", *_indent(call.splitlines())]
    elif case.output is not None:
        fixtures.append("capsys")
        lines += call.splitlines()
        lines.append(f"assert capsys.readouterr().out == {case.output + chr(10)!r}")
    elif case.expected is not None and case.compare == "is":
        lines.append(f"assert {call} is {case.expected}")
    elif case.expected is not None and case.compare == "repr":
        lines.append(f"assert repr({call}) == {case.expected!r}")
    elif case.expected is not None and case.compare.startswith("doctest:"):
        helpers["_doctest_matches"] = (
            "def _doctest_matches(value, want, flags):\n"
            '    """Compare like doctest (ellipsis, whitespace)."""\n'
            "    import doctest\n\n"
            '    return doctest.OutputChecker().check_output(want + "\\n", repr(value) + "\\n", flags)'
        )
        flags = case.compare.split(":", 1)[1]
        lines.append(f"assert _doctest_matches({call}, {case.expected!r}, {flags})")
    elif case.expected is not None and case.compare == "approx":
        lines.append(f"assert {call} == pytest.approx({case.expected})")
    elif case.expected is not None:
        lines.append(f"assert {call} == {case.expected}")
    elif case.check is not None:
        lines += [f"result = {call}", f"assert {case.check.format(result='result')}"]
    else:
        lines.append(call)
    return lines, fixtures


def test_function(
    name: str, cases: list[Case], fixtures: list[str], helpers: dict[str, str]
) -> str:
    """A test function running ``cases`` in order."""
    body: list[str] = []
    needed = list(fixtures)
    for case in cases:
        lines, extra = case_lines(case, helpers)
        body += lines
        needed += [f for f in extra if f not in needed]
    signature = ", ".join(dict.fromkeys(needed))
    return f"def {name}({signature}):\n" + "\n".join(_indent(body or ["pass"]))


def parses(code: str) -> bool:
    """Whether ``code`` is valid Python."""
    try:
        ast.parse(code)
        return True
    except SyntaxError:
        return False


def names_used(code: str) -> set[str]:
    """Free names read by ``code`` (for the import list)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    assigned = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    return {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in assigned
    }


def valid_identifier(name: str) -> bool:
    """A usable Python name."""
    return name.isidentifier() and not keyword.iskeyword(name)


# -- running -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to one test."""

    passed: bool
    message: str = ""


def run_pytest(
    test_file: Path, import_root: Path, timeout: float = 120.0
) -> tuple[dict[str, Outcome], list[str], str]:
    """Run one test file with pytest; outcome per test name, the command, and a file-level
    error (a collection error) if any."""
    with tempfile.TemporaryDirectory(prefix="qwen-gen-tests-") as tmp:
        report = Path(tmp) / "report.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--junitxml",
            str(report),
            "-o",
            "junit_family=xunit1",
            str(test_file),
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(import_root), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
        )
        env.pop("PYTEST_ADDOPTS", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        try:
            done = subprocess.run(
                command,
                cwd=tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {}, command, f"pytest did not finish within {timeout:.0f} s"
        if not report.is_file():
            return {}, command, (done.stdout + done.stderr).strip()[-500:] or "pytest failed"
        return _junit(report.read_text(encoding="utf-8")), command, _collection_error(report)


def _junit(xml: str) -> dict[str, Outcome]:
    out: dict[str, Outcome] = {}
    for case in ET.fromstring(xml).iter("testcase"):
        name = case.get("name", "")
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        skipped = case.find("skipped")
        if problem is not None:
            message = (problem.get("message") or problem.text or "failed").strip()
            out[name] = Outcome(False, _short(message))
        elif skipped is not None:
            out[name] = Outcome(False, "skipped: " + _short(skipped.get("message") or ""))
        else:
            out[name] = Outcome(True)
    return out


def _collection_error(report: Path) -> str:
    root = ET.fromstring(report.read_text(encoding="utf-8"))
    for case in root.iter("testcase"):
        error = case.find("error")
        if error is not None and not case.get("name", "").startswith("test"):
            return _short(error.get("message") or error.text or "collection failed")
    return ""


def _short(message: str, limit: int = 300) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"


# -- probing (pinning observed results) ----------------------------------------------------

_PROBE = """
import asyncio, importlib, inspect, json, signal, sys
results = {}

def _alarm(signum, frame):
    raise TimeoutError("took longer than %(limit)s s")

signal.signal(signal.SIGALRM, _alarm)
try:
    from %(module)s import *  # noqa
    _module = importlib.import_module("%(module)s")
    for _name in %(names)r:  # names bound at import (an import inside a function is not)
        if hasattr(_module, _name):
            globals()[_name] = getattr(_module, _name)
except BaseException as exc:
    print(json.dumps({"__import__": {"ok": False, "error": "%%s: %%s" %% (type(exc).__name__, exc)}}))
    sys.exit(0)

def _value(thunk):
    value = thunk()
    if inspect.iscoroutine(value):
        value = asyncio.run(value)
    return value

_namespace = dict(vars(importlib.import_module("%(module)s")))

def _round_trip(value):
    # Whether the repr, evaluated where the module's names are, gives the value back.
    try:
        back = eval(repr(value), dict(_namespace))
        return type(back) is type(value) and bool(back == value)
    except BaseException:
        return False

def probe(key, thunk):
    signal.alarm(%(limit)s)
    try:
        first = _value(thunk)
        second = _value(thunk)
        results[key] = {"ok": True, "repr": repr(first), "same": repr(first) == repr(second),
                        "type": type(first).__qualname__, "module": type(first).__module__,
                        "round_trip": _round_trip(first)}
    except BaseException as exc:
        results[key] = {"ok": False, "error": "%%s: %%s" %% (type(exc).__name__, str(exc)[:200])}
    finally:
        signal.alarm(0)
"""


def probe_calls(
    module: str,
    names: list[str],
    calls: dict[str, tuple[list[str], str]],
    import_root: Path,
    timeout: float = 60.0,
    per_call: int = 2,
) -> dict[str, dict]:
    """Run each call (``key -> (setup lines, expression)``) twice in a fresh interpreter with
    the module imported; returns per key ``ok``, ``repr``, ``same`` (deterministic), ``type``,
    ``module`` or ``error``. Runs in a temporary folder, stdin closed."""
    script = _PROBE % {"module": module, "names": list(names), "limit": per_call}
    for key, (setup, expr) in calls.items():
        body = "\n".join([*setup, f"return {expr}"])
        script += "\ndef _t():\n" + "\n".join("    " + line for line in body.splitlines())
        script += f"\nprobe({key!r}, _t)\n"
    script += "\nprint(json.dumps(results))\n"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(import_root), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory(prefix="qwen-probe-") as tmp:
        started = time.monotonic()
        try:
            done = subprocess.run(
                [sys.executable, "-c", script],
                cwd=tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {}
        del started
    for line in reversed(done.stdout.strip().splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return {}


def pinned_case(case: Case, result: dict) -> Case | None:
    """A smoke case turned into a check of the observed result (None when the call failed or
    its result is not reproducible)."""
    if not result.get("ok") or not result.get("same"):
        return None
    text = result["repr"]
    if text in ("None", "True", "False"):
        return Case(case.target, case.call, "pinned", expected=text, compare="is", setup=case.setup)
    if _literal(text) and len(text) <= 400:
        try:
            value = ast.literal_eval(text)
            if repr(value) == text:
                compare = "approx" if isinstance(value, float) else "eq"
                return Case(
                    case.target,
                    case.call,
                    "pinned",
                    expected=text,
                    compare=compare,
                    setup=case.setup,
                )
        except (ValueError, SyntaxError):
            pass
    if result.get("round_trip") and len(text) <= 400 and "\n" not in text:
        return Case(case.target, case.call, "pinned", expected=text, setup=case.setup)
    if result.get("module") == "builtins" and result["type"] in vars(builtins):
        return Case(
            case.target,
            case.call,
            "pinned",
            check=f"isinstance({{result}}, {result['type']})",
            setup=case.setup,
        )
    return Case(
        case.target,
        case.call,
        "pinned",
        check=f"type({{result}}).__name__ == {result['type'].split('.')[-1]!r}",
        setup=case.setup,
    )


def exception_reference(name: str, module_names: set[str]) -> str | None:
    """How a test names an exception raised in a doctest (None when it cannot)."""
    short = name.rsplit(".", 1)[-1]
    if short in _BUILTIN_EXCEPTIONS:
        return short
    if short in module_names:
        return short
    return None
