"""JavaScript: exported functions and classes from the syntax tree, cases from JSDoc
``@example`` blocks, a ``node:test`` file, and running it with ``node --test``.

Exports are read from ``export`` statements (ES modules) and ``module.exports``/``exports.x``
assignments (CommonJS); the generated file uses the same module system as the source.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter as ts

from .model import Case, GeneratedTest, Param, Target
from .python import Outcome, _short

_FUNCTION_NODES = ("function_declaration", "generator_function_declaration")
_FUNCTION_VALUES = ("arrow_function", "function_expression", "function", "generator_function")
_EXAMPLE = re.compile(
    r"^\s*(?P<call>[A-Za-z_$][\w$.]*\(.*\))\s*;?\s*//\s*(?:=>|→|returns?:?)?\s*(?P<want>.+?)\s*$"
)


def _text(node: ts.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _params(node: ts.Node | None) -> list[Param]:
    out: list[Param] = []
    if node is None:
        return out
    if node.type == "identifier":  # `x => ...`
        return [Param(_text(node))]
    for child in node.named_children:
        if child.type == "identifier":
            out.append(Param(_text(child)))
        elif child.type == "assignment_pattern":
            left = child.child_by_field_name("left")
            name = _text(left) if left is not None and left.type == "identifier" else "options"
            out.append(Param(name, default=_text(child.child_by_field_name("right"))))
        elif child.type == "rest_pattern":
            out.append(Param(_text(child).lstrip("."), kind="var"))
        elif child.type in ("object_pattern", "array_pattern"):
            out.append(Param("options" if child.type == "object_pattern" else "items"))
        elif child.type in ("required_parameter", "optional_parameter"):  # TypeScript
            pattern = child.child_by_field_name("pattern")
            annotation = _text(child.child_by_field_name("type")).lstrip(":").strip()
            value = child.child_by_field_name("value")
            default = (
                _text(value)
                if value is not None
                else ("undefined" if child.type == "optional_parameter" else None)
            )
            out.append(Param(_text(pattern), annotation, default))
    return out


def _jsdoc(node: ts.Node) -> str:
    prev = node.prev_named_sibling
    if prev is not None and prev.type == "comment" and _text(prev).startswith("/**"):
        lines = _text(prev)[3:-2].splitlines()
        return "\n".join(re.sub(r"^\s*\* ?", "", line) for line in lines).strip()
    return ""


def _function(name: str, node: ts.Node, doc_node: ts.Node, owner: str = "") -> Target:
    params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
    return Target(
        name=name,
        kind="method" if owner else "function",
        params=_params(params),
        doc=_jsdoc(doc_node),
        line=doc_node.start_point[0],
        is_async=any(c.type == "async" for c in node.children),
        source=_text(doc_node),
        owner=owner,
    )


def _class(name: str, node: ts.Node, doc_node: ts.Node) -> Target:
    target = Target(
        name=name,
        kind="class",
        doc=_jsdoc(doc_node),
        line=doc_node.start_point[0],
        source=_text(doc_node),
    )
    body = node.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        if member.type != "method_definition":
            continue
        mname = _text(member.child_by_field_name("name"))
        words = [c.type for c in member.children]
        if mname == "constructor":
            target.params = _params(member.child_by_field_name("parameters"))
        elif not mname.startswith(("#", "_")) and "get" not in words and "set" not in words:
            method = _function(mname, member, member, owner=name)
            if "static" in words:
                method.decorators.append("static")
            target.methods.append(method)
    return target


@dataclass
class Module:
    """What a JavaScript source exports."""

    targets: list[Target] = field(default_factory=list)
    esm: bool = False
    default: str = ""  # the name exported as default, if any


def extract(tree: ts.Tree) -> Module:
    """Exported functions and classes (ES modules and CommonJS)."""
    declared: dict[str, tuple[ts.Node, ts.Node]] = {}  # name -> (definition, node with doc)
    exported: list[str] = []
    module = Module()
    for child in tree.root_node.named_children:
        node = child
        is_export = child.type == "export_statement"
        if is_export:
            module.esm = True
            node = child.child_by_field_name("declaration") or child
            if any(c.type == "default" for c in child.children):
                name_node = node.child_by_field_name("name")
                if name_node is not None:
                    module.default = _text(name_node)
            clause = next((c for c in child.named_children if c.type == "export_clause"), None)
            if clause is not None:
                for spec in clause.named_children:
                    exported.append(
                        _text(spec.child_by_field_name("alias") or spec.child_by_field_name("name"))
                    )
        if node.type in (*_FUNCTION_NODES, "class_declaration"):
            name = _text(node.child_by_field_name("name"))
            declared[name] = (node, child)
            if is_export:
                exported.append(name)
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for decl in node.named_children:
                value = decl.child_by_field_name("value")
                if (
                    decl.type == "variable_declarator"
                    and value is not None
                    and value.type in (*_FUNCTION_VALUES, "class")
                ):
                    name = _text(decl.child_by_field_name("name"))
                    declared[name] = (value, child)
                    if is_export:
                        exported.append(name)
        elif node.type == "expression_statement" and node.named_children:
            expr = node.named_children[0]
            if expr.type != "assignment_expression":
                continue
            left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
            target = _text(left)
            if target == "module.exports" and right is not None and right.type == "object":
                for prop in right.named_children:
                    if prop.type == "shorthand_property_identifier":
                        exported.append(_text(prop))
                    elif prop.type == "pair":
                        key = _text(prop.child_by_field_name("key"))
                        value = prop.child_by_field_name("value")
                        if value is not None and value.type in _FUNCTION_VALUES:
                            declared[key] = (value, child)
                        exported.append(key)
            elif target == "module.exports" and right is not None and right.type == "identifier":
                module.default = _text(right)
                exported.append(_text(right))
            elif re.match(r"^(module\.)?exports\.\w+$", target) and right is not None:
                name = target.rsplit(".", 1)[1]
                if right.type in _FUNCTION_VALUES:
                    declared[name] = (right, child)
                exported.append(name)
    for name in dict.fromkeys(exported):
        if name not in declared or name.startswith("_"):
            continue
        node, doc_node = declared[name]
        if node.type in ("class_declaration", "class"):
            module.targets.append(_class(name, node, doc_node))
        else:
            module.targets.append(_function(name, node, doc_node))
    module.targets.sort(key=lambda t: t.line)
    return module


def example_cases(target: Target) -> list[Case]:
    """Cases from ``@example`` lines such as ``add(1, 2) // => 3``."""
    out = []
    in_example = False
    for line in target.doc.splitlines():
        stripped = line.strip()
        if stripped.startswith("@"):
            in_example = stripped.startswith("@example")
            if not in_example:
                continue
            line = stripped[len("@example") :]  # an example on the tag's own line
        m = _EXAMPLE.match(line)
        if not m or (not in_example and "=>" not in line):
            continue
        call, want = m.group("call"), m.group("want").rstrip(";")
        if call.split("(", 1)[0].split(".")[-1] != target.name:
            continue
        out.append(Case(target.qualname, call, "docstring", expected=want))
    return out


# -- rendering -------------------------------------------------------------------------------


@dataclass
class ScriptFile:
    """The pieces of a generated ``node:test`` file."""

    specifier: str  # how the test file imports the source
    esm: bool
    default: str = ""
    names: set[str] = field(default_factory=set)
    tests: list[GeneratedTest] = field(default_factory=list)

    def render(self, header: str) -> str:
        """The file's text."""
        names = sorted(n for n in self.names if n != self.default)
        if self.esm:
            lines = [
                f"// {header}",
                'import { test } from "node:test";',
                'import assert from "node:assert/strict";',
            ]
            parts = []
            if self.default and self.default in self.names:
                parts.append(self.default)
            if names:
                parts.append("{ " + ", ".join(names) + " }")
            if parts:
                lines.append(f"import {', '.join(parts)} from {json.dumps(self.specifier)};")
        else:
            lines = [
                f"// {header}",
                'const { test } = require("node:test");',
                'const assert = require("node:assert/strict");',
            ]
            if self.default and self.default in self.names and not names:
                lines.append(f"const {self.default} = require({json.dumps(self.specifier)});")
            elif self.names:
                lines.append(
                    f"const {{ {', '.join(sorted(self.names))} }} = require({json.dumps(self.specifier)});"
                )
        out = "\n".join(lines) + "\n"
        for test in self.tests:
            out += "\n" + test.code.rstrip() + "\n"
        return out


def case_lines(case: Case) -> list[str]:
    """Statement lines of one case."""
    lines = list(case.setup)
    call = case.call
    if case.raises is not None:
        lines.append(f"assert.throws(() => {call});")
    elif case.expected is not None and case.compare == "is":
        lines.append(f"assert.strictEqual({call}, {case.expected});")
    elif case.expected is not None:
        lines.append(f"assert.deepStrictEqual({call}, {case.expected});")
    elif case.check is not None:
        lines.append(f"assert.ok({case.check.format(result=call)});")
    else:
        lines.append(f"{call};")
    return lines


def test_function(name: str, cases: list[Case], is_async: bool = False) -> str:
    """A ``test(...)`` block running ``cases`` in order."""
    body = [line for case in cases for line in case_lines(case)]
    head = f"test({json.dumps(name)}, {'async ' if is_async else ''}() => {{"
    return head + "\n" + "\n".join("  " + line for line in body) + "\n});"


def parses(code: str, language: object) -> bool:
    """Whether ``code`` parses without errors."""
    tree = language.parser().parse(code.encode())  # type: ignore[attr-defined]
    return not tree.root_node.has_error


# -- running -------------------------------------------------------------------------------


def node_binary() -> str | None:
    """The ``node`` executable, if installed."""
    return shutil.which("node")


def run_node(test_file: Path, timeout: float = 120.0) -> tuple[dict[str, Outcome], list[str], str]:
    """Run one test file with ``node --test``; outcome per test name (from the TAP report)."""
    node = node_binary()
    if node is None:
        return {}, [], "node is not installed"
    command = [node, "--test", "--test-reporter=tap", str(test_file)]
    with tempfile.TemporaryDirectory(prefix="qwen-gen-tests-") as tmp:
        try:
            done = subprocess.run(
                command,
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, "NODE_OPTIONS": ""},
            )
        except subprocess.TimeoutExpired:
            return {}, command, f"node did not finish within {timeout:.0f} s"
    results = _tap(done.stdout)
    error = ""
    if not results:
        error = _short((done.stdout + done.stderr).strip()[-600:] or "node --test failed")
    return results, command, error


def _tap(output: str) -> dict[str, Outcome]:
    out: dict[str, Outcome] = {}
    lines = output.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)(not ok|ok) \d+ - (.*?)(\s+#\s*SKIP.*)?$", line)
        if not m or m.group(1):  # nested subtests are indented: only top-level tests
            continue
        name = m.group(3)
        if m.group(2) == "ok" and not m.group(4):
            out[name] = Outcome(True)
            continue
        out[name] = Outcome(False, "skipped" if m.group(4) else _tap_error(lines[i + 1 :]))
    if out.keys() == {"<unnamed>"} or (len(out) == 1 and next(iter(out)).endswith((".js", ".mjs"))):
        return {}  # the file failed to load: no test ran
    return out


def _tap_error(lines: list[str]) -> str:
    """``name: error`` from the YAML block after a failing test line."""
    fields: dict[str, str] = {}
    block: list[str] = []
    for j, line in enumerate(lines):
        if line.strip() == "..." or re.match(r"^(not ok|ok) ", line):
            break
        m = re.match(r"^(\s+)(error|name):\s*(.*)$", line)
        if not m:
            continue
        value = m.group(3).strip()
        if value in ("|-", "|", ">-"):
            block = []
            for follow in lines[j + 1 :]:
                if len(follow) - len(follow.lstrip()) <= len(m.group(1)) and follow.strip():
                    break
                block.append(follow.strip())
            value = " ".join(b for b in block if b)
        fields[m.group(2)] = value.strip("'\"")
    error = fields.get("error", "failed")
    return _short(f"{fields['name']}: {error}" if "name" in fields else error)


_PROBE = """
const results = {};
function show(v) {
  if (v === undefined) return "undefined";
  try { return JSON.stringify(v); } catch (e) { return null; }
}
async function probe(key, thunk) {
  try {
    let first = thunk(); if (first instanceof Promise) first = await first;
    let second = thunk(); if (second instanceof Promise) second = await second;
    const a = show(first), b = show(second);
    results[key] = { ok: true, repr: a, same: a === b && a !== null,
      type: first === null ? "null" : Array.isArray(first) ? "array" : typeof first };
  } catch (e) {
    results[key] = { ok: false, error: String(e && e.message || e).slice(0, 200) };
  }
}
"""


def probe_calls(
    specifier: str,
    esm: bool,
    names: list[str],
    default: str,
    calls: dict[str, tuple[list[str], str]],
    timeout: float = 60.0,
) -> dict[str, dict]:
    """Run each call twice under node; JSON of the result per key (see the Python probe)."""
    node = node_binary()
    if node is None:
        return {}
    plain = [n for n in names if n != default]
    if esm:
        parts = ([default] if default in names else []) + (
            ["{ " + ", ".join(plain) + " }"] if plain else []
        )
        head = f"import {', '.join(parts)} from {json.dumps(specifier)};\n" if parts else ""
    else:
        if default and default in names and not plain:
            head = f"const {default} = require({json.dumps(specifier)});\n"
        else:
            head = f"const {{ {', '.join(names)} }} = require({json.dumps(specifier)});\n"
    body = _PROBE + "\n(async () => {\n"
    for key, (setup, expr) in calls.items():
        inner = " ".join(setup)
        body += f"  await probe({json.dumps(key)}, () => {{ {inner} return {expr}; }});\n"
    body += "  console.log(JSON.stringify(results));\n})();\n"
    with tempfile.TemporaryDirectory(prefix="qwen-probe-") as tmp:
        script = Path(tmp) / ("probe.mjs" if esm else "probe.cjs")
        script.write_text(head + body, encoding="utf-8")
        try:
            done = subprocess.run(
                [node, str(script)],
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {}
    for line in reversed(done.stdout.strip().splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return {}


def pinned_case(case: Case, result: dict) -> Case | None:
    """A smoke case turned into a check of the observed result."""
    if not result.get("ok") or not result.get("same") or result.get("repr") is None:
        return None
    text = result["repr"]
    if text == "undefined":
        return Case(
            case.target, case.call, "pinned", expected="undefined", compare="is", setup=case.setup
        )
    if len(text) <= 400:
        compare = "is" if result.get("type") in ("number", "string", "boolean", "null") else "eq"
        return Case(
            case.target, case.call, "pinned", expected=text, compare=compare, setup=case.setup
        )
    return None
