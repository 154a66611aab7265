"""Back ends: the conversion IR written in JavaScript, TypeScript, Java or Python.

Shared here: the tables (``tables/<language>.toml``), template filling, indentation, which
variables are declared already, and the record of the rules used (the rows of
``docs/conversion.md``).
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

from . import ir
from .ir import Unsupported

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TABLES = Path(__file__).with_name("tables")


@cache
def table(name: str) -> dict:
    """A conversion table (``tables/<name>.toml``)."""
    return tomllib.loads((TABLES / f"{name}.toml").read_text(encoding="utf-8"))


def _template(entries: dict[str, str], name: str, arity: int) -> str | None:
    return entries.get(f"{name}/{arity}", entries.get(name))


def js_string(value: str) -> str:
    """A double-quoted string literal (JSON escapes are valid in JS and Java)."""
    return json.dumps(value, ensure_ascii=False)


_ATOMIC = (
    ir.Name,
    ir.Num,
    ir.Str,
    ir.Bool,
    ir.Null,
    ir.ListLit,
    ir.DictLit,
    ir.Call,
    ir.Method,
    ir.Attr,
    ir.Index,
    ir.Slice,
    ir.FStr,
    ir.TupleLit,
)


class Writer:
    """Common machinery of the back ends."""

    language = ""
    indent_unit = "    "

    def __init__(self) -> None:
        self.rules: list[str] = []
        self.declared: list[set[str]] = [set()]
        self.assigned_later: set[str] = set()

    # -- bookkeeping ---------------------------------------------------------------------

    def used(self, rule: str) -> None:
        if rule not in self.rules:
            self.rules.append(rule)

    def is_declared(self, name: str) -> bool:
        return any(name in scope for scope in self.declared)

    def declare(self, name: str) -> None:
        self.declared[-1].add(name)

    def fill(self, template: str, args: list[ir.Expr], receiver: ir.Expr | None = None) -> str:
        """A template with its placeholders replaced; a receiver or argument followed by
        ``.``/``[`` is written as an atom (parenthesised when needed)."""

        def one(m: re.Match[str]) -> str:
            key = m.group(1)
            follows = template[m.end() : m.end() + 1]
            if key == "*":
                return ", ".join(self.expr(a) for a in args)
            if key == "self":
                assert receiver is not None
                return self.atom(receiver) if follows in ".[" else self.expr(receiver)
            index = int(key)
            if index >= len(args):
                raise Unsupported("a call with fewer arguments")
            return self.atom(args[index]) if follows in ".[" else self.expr(args[index])

        return re.sub(r"\{(\*|self|\d+)\}", one, template)

    def atom(self, e: ir.Expr) -> str:
        text = self.expr(e)
        return text if isinstance(e, _ATOMIC) else f"({text})"

    # -- to implement --------------------------------------------------------------------

    def expr(self, e: ir.Expr) -> str:
        raise NotImplementedError

    def statements(self, body: list[ir.Stmt], depth: int = 0) -> list[str]:
        out: list[str] = []
        for s in body:
            out.extend(self.statement(s, depth))
        return out

    def statement(self, s: ir.Stmt, depth: int) -> list[str]:
        raise NotImplementedError

    def pad(self, depth: int) -> str:
        return self.indent_unit * depth


def assigned_names(body: list[ir.Stmt]) -> dict[str, int]:
    """How many times each plain name is assigned in ``body`` (nested blocks included)."""
    counts: dict[str, int] = {}

    def walk(stmts: list[ir.Stmt]) -> None:
        for s in stmts:
            if isinstance(s, (ir.Assign, ir.AugAssign)) and isinstance(s.target, ir.Name):
                counts[s.target.id] = counts.get(s.target.id, 0) + (
                    2 if isinstance(s, ir.AugAssign) else 1
                )
            elif isinstance(s, ir.If):
                walk(s.body)
                walk(s.orelse)
            elif isinstance(s, (ir.For, ir.While, ir.ForRange)):
                walk(s.body)
                if isinstance(s, ir.For):
                    for name in s.target:
                        counts[name] = counts.get(name, 0)

    walk(body)
    return counts
