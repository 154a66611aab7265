"""Back ends for the C-family targets: JavaScript, TypeScript and Java.

Rules (each records its id, a row of ``docs/conversion.md``): comprehensions become
``filter``/``map`` chains (JavaScript) or streams (Java); loops become ``for ... of`` /
enhanced ``for`` and counted loops; f-strings become template literals / ``String.format``;
typed signatures become TypeScript / Java signatures; list, dict and set literals become
arrays, objects, ``List.of``/``Map.of``; builtins and methods go through the tables.
"""

from __future__ import annotations

import builtins
import re

from . import ir
from .backend import Writer, _template, assigned_names, js_string, table
from .ir import Unsupported

_PY_BUILTINS = set(dir(builtins))
_PY_TYPE_METHODS = {
    m for t in (str, list, dict, set, tuple, bytes) for m in dir(t) if not m.startswith("_")
}
_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")

# Binding strength of IR expressions (higher binds tighter), the same scale for every target.
_PREC = {
    "or": 2,
    "and": 3,
    "|": 5,
    "^": 6,
    "&": 7,
    "<<": 9,
    ">>": 9,
    "+": 10,
    "-": 10,
    "*": 11,
    "/": 11,
    "//": 11,
    "%": 11,
    "**": 13,
}


def prec(e: ir.Expr) -> int:
    """How tightly ``e`` binds in a C-family language."""
    if isinstance(e, ir.Cond):
        return 1
    if isinstance(e, ir.BoolOp):
        return _PREC[e.op]
    if isinstance(e, ir.Compare):
        return 8
    if isinstance(e, ir.BinOp):
        return _PREC.get(e.op, 11)
    if isinstance(e, ir.Unary):
        return 12
    if isinstance(e, ir.Lambda):
        return 0
    return 20


class CFamilyWriter(Writer):
    """What JavaScript, TypeScript and Java share."""

    table_name = ""

    def __init__(self) -> None:
        super().__init__()
        self.table = table(self.table_name)
        self.types: list[dict[str, ir.Type]] = [{}]
        self.const_ok: set[str] = set()
        self.hoisted: set[str] = set()

    def sub(self, e: ir.Expr, parent: int, right: bool = False) -> str:
        text = self.expr(e)
        p = prec(e)
        return f"({text})" if p < parent or (right and p == parent) else text

    def type_of(self, e: ir.Expr) -> ir.Type | None:
        if isinstance(e, ir.Name):
            for scope in reversed(self.types):
                if e.id in scope:
                    return scope[e.id]
            return None
        if isinstance(e, (ir.Str, ir.FStr)):
            return ir.Type("str")
        if isinstance(e, ir.ListLit) or (isinstance(e, ir.Comp) and e.kind in ("list", "gen")):
            return ir.Type("list")
        if isinstance(e, ir.DictLit) or (isinstance(e, ir.Comp) and e.kind == "dict"):
            return ir.Type("dict")
        if isinstance(e, ir.Num):
            return ir.Type("float" if e.is_float else "int")
        if isinstance(e, ir.Slice):
            return self.type_of(e.obj)
        if isinstance(e, ir.BinOp) and e.op == "+":
            left, right = self.type_of(e.left), self.type_of(e.right)
            for t in (left, right):
                if t is not None and t.name in ("list", "str"):
                    return t
        if isinstance(e, ir.Method) and e.name in ("upper", "lower", "strip", "replace", "join"):
            return ir.Type("str")
        return None

    def is_list(self, e: ir.Expr) -> bool:
        t = self.type_of(e)
        return t is not None and t.name == "list"

    def sign_free_mod(self, e: ir.BinOp) -> bool:
        """Whether Python's floored ``%`` may be written as the C-family ``%``: non-negative
        literal operands, or a remainder only compared with 0."""
        return all(isinstance(x, ir.Num) and not x.text.startswith("-") for x in (e.left, e.right))

    def zero_test(self, e: ir.Compare, equals: str) -> str | None:
        """``a % b == 0`` (the sign of the remainder does not matter) in the plain form."""
        if e.op not in ("==", "!="):
            return None
        sides = [e.left, e.right]
        zero = [x for x in sides if isinstance(x, ir.Num) and x.text == "0"]
        mod = [x for x in sides if isinstance(x, ir.BinOp) and x.op == "%"]
        if not zero or not mod:
            return None
        self.used("operators")
        m = mod[0]
        assert isinstance(m, ir.BinOp)
        op = equals if e.op == "==" else "!" + equals[1:]
        return f"{self.sub(m.left, 11)} % {self.sub(m.right, 11, right=True)} {op} 0"

    def remember(self, name: str, t: ir.Type | None) -> None:
        if t is not None:
            self.types[-1][name] = t

    # -- calls through the tables -----------------------------------------------------------

    def call(self, e: ir.Call) -> str:
        if e.kwargs:
            raise Unsupported(f"keyword arguments to {e.func}()")
        calls = self.table["calls"]
        template = _template(calls, e.func, len(e.args))
        if template is not None:
            if not template:
                raise Unsupported(f"{e.func}()")
            self.used(f"builtin:{e.func}")
            return self.fill(template, self.call_args(e))
        if e.func in _PY_BUILTINS:
            raise Unsupported(f"the builtin {e.func}()")
        return f"{e.func}({', '.join(self.expr(a) for a in e.args)})"

    def call_args(self, e: ir.Call) -> list[ir.Expr]:
        return e.args

    def method(self, e: ir.Method) -> str:
        template = _template(self.table["methods"], e.name, len(e.args))
        if template is not None:
            self.used(f"method:{e.name}")
            return self.fill(template, e.args, e.obj)
        if e.name in _PY_TYPE_METHODS:
            raise Unsupported(f"the .{e.name}() method")
        return f"{self.atom(e.obj)}.{e.name}({', '.join(self.expr(a) for a in e.args)})"

    # -- statements ---------------------------------------------------------------------------

    def block_scope(self, body: list[ir.Stmt], params: list[str]) -> None:
        """Declarations of a new function (or the selection): which names can be constants,
        which must be declared first (first assigned inside a nested block)."""
        counts = assigned_names(body)
        self.const_ok = {n for n, c in counts.items() if c == 1}
        first_nested: set[str] = set()
        seen = set(params)

        def walk(stmts: list[ir.Stmt], nested: bool) -> None:
            for s in stmts:
                if isinstance(s, (ir.Assign, ir.AugAssign)) and isinstance(s.target, ir.Name):
                    if s.target.id not in seen:
                        seen.add(s.target.id)
                        if nested:
                            first_nested.add(s.target.id)
                elif isinstance(s, ir.If):
                    walk(s.body, True)
                    walk(s.orelse, True)
                elif isinstance(s, (ir.For, ir.While, ir.ForRange)):
                    walk(s.body, True)

        walk(body, False)
        self.hoisted = first_nested

    def statement(self, s: ir.Stmt, depth: int) -> list[str]:
        pad = self.pad(depth)
        if isinstance(s, ir.Comment):
            return [f"{pad}// {line}".rstrip() for line in s.text.splitlines() or [""]]
        if isinstance(s, ir.Pass):
            return []
        if isinstance(s, ir.Break):
            return [f"{pad}break;"]
        if isinstance(s, ir.Continue):
            return [f"{pad}continue;"]
        if isinstance(s, ir.Return):
            return [f"{pad}return{' ' + self.expr(s.value) if s.value is not None else ''};"]
        if isinstance(s, ir.ExprStmt):
            return [f"{pad}{self.expr(s.expr)};"]
        if isinstance(s, ir.Assign):
            return [pad + self.assign(s)]
        if isinstance(s, ir.AugAssign):
            target = self.expr(s.target)
            if s.op == "//":
                return [f"{pad}{target} = {self.floor_div(s.target, s.value)};"]
            if s.op == "**":
                return [f"{pad}{target} = {self.power(s.target, s.value)};"]
            self.used("operators")
            return [f"{pad}{target} {s.op}= {self.expr(s.value)};"]
        if isinstance(s, ir.If):
            return self.if_(s, depth)
        if isinstance(s, ir.While):
            self.used("loop:while")
            return [
                f"{pad}while ({self.expr(s.test)}) {{",
                *self.statements(s.body, depth + 1),
                f"{pad}}}",
            ]
        if isinstance(s, ir.ForRange):
            return self.for_range(s, depth)
        if isinstance(s, ir.For):
            return self.for_each(s, depth)
        if isinstance(s, ir.FunctionDef):
            return self.function(s, depth)
        raise Unsupported(type(s).__name__)

    def if_(self, s: ir.If, depth: int) -> list[str]:
        pad = self.pad(depth)
        lines = [f"{pad}if ({self.expr(s.test)}) {{", *self.statements(s.body, depth + 1)]
        orelse = s.orelse
        while len(orelse) == 1 and isinstance(orelse[0], ir.If):
            nested = orelse[0]
            lines += [
                f"{pad}}} else if ({self.expr(nested.test)}) {{",
                *self.statements(nested.body, depth + 1),
            ]
            orelse = nested.orelse
        rest = self.statements(orelse, depth + 1) if orelse else []
        if rest:
            lines += [f"{pad}}} else {{", *rest]
        return [*lines, f"{pad}}}"]

    def for_range(self, s: ir.ForRange, depth: int) -> list[str]:
        self.used("loop:range")
        pad = self.pad(depth)
        step = s.step
        negative = (isinstance(step, ir.Unary) and step.op == "-") or (
            isinstance(step, ir.Num) and step.text.startswith("-")
        )
        cmp = ">" if negative else "<"
        if step is None:
            inc = f"{s.var}++"
        elif (
            negative
            and isinstance(step, ir.Unary)
            and isinstance(step.operand, ir.Num)
            and step.operand.text == "1"
        ):
            inc = f"{s.var}--"
        else:
            inc = f"{s.var} += {self.expr(step)}"
        head = f"for ({self.counter()} {s.var} = {self.expr(s.start)}; {s.var} {cmp} {self.expr(s.stop)}; {inc})"
        self.types.append({s.var: ir.Type("int")})
        body = self.statements(s.body, depth + 1)
        self.types.pop()
        return [f"{pad}{head} {{", *body, f"{pad}}}"]

    def counter(self) -> str:
        return "let"

    # -- to specialise --------------------------------------------------------------------------

    def assign(self, s: ir.Assign) -> str:
        raise NotImplementedError

    def for_each(self, s: ir.For, depth: int) -> list[str]:
        raise NotImplementedError

    def function(self, s: ir.FunctionDef, depth: int) -> list[str]:
        raise NotImplementedError

    def floor_div(self, a: ir.Expr, b: ir.Expr) -> str:
        raise NotImplementedError

    def power(self, a: ir.Expr, b: ir.Expr) -> str:
        raise NotImplementedError


class JavaScriptWriter(CFamilyWriter):
    """JavaScript, or TypeScript with ``typescript=True``."""

    table_name = "javascript"
    indent_unit = "  "

    def __init__(self, typescript: bool = False) -> None:
        super().__init__()
        self.typescript = typescript
        self.language = "typescript" if typescript else "javascript"

    # -- types -------------------------------------------------------------------------------

    def type(self, t: ir.Type) -> str:
        types = self.table["types"]
        if t.name == "Union":
            text = " | ".join(self.type(a) for a in t.args)
        elif t.name in types:
            template = types[t.name]
            args = [self.type(a) for a in t.args] or ["any"] * template.count("{")
            if t.name == "list" and args:
                inner = args[0]
                text = f"({inner})[]" if "|" in inner or "=>" in inner else f"{inner}[]"
            else:
                text = template.replace("{*}", ", ".join(args))
                for i, a in enumerate(args):
                    text = text.replace(f"{{{i}}}", a)
        elif t.args:
            text = f"{t.name}<{', '.join(self.type(a) for a in t.args)}>"
        else:
            text = t.name
        return f"{text} | null" if t.optional else text

    # -- expressions ------------------------------------------------------------------------

    def expr(self, e: ir.Expr) -> str:
        if isinstance(e, ir.Name):
            return "this" if e.id == "self" else e.id
        if isinstance(e, ir.Num):
            if e.text.lower().endswith("j"):
                raise Unsupported("a complex number")
            return e.text
        if isinstance(e, ir.Str):
            return js_string(e.value)
        if isinstance(e, ir.Bool):
            return "true" if e.value else "false"
        if isinstance(e, ir.Null):
            return "null"
        if isinstance(e, (ir.ListLit, ir.TupleLit)):
            self.used("literal:list")
            return "[" + ", ".join(self.expr(x) for x in e.elts) + "]"
        if isinstance(e, ir.SetLit):
            self.used("literal:set")
            return "new Set([" + ", ".join(self.expr(x) for x in e.elts) + "])"
        if isinstance(e, ir.DictLit):
            return self.dict_lit(e)
        if isinstance(e, ir.FStr):
            return self.template(e)
        if isinstance(e, ir.BinOp):
            if e.op == "//":
                return self.floor_div(e.left, e.right)
            self.used("operators")
            p = _PREC.get(e.op, 11)
            if e.op == "+" and (self.is_list(e.left) or self.is_list(e.right)):
                self.used("list:concat")
                return f"[...{self.sub(e.left, 12)}, ...{self.sub(e.right, 12)}]"
            if e.op == "%" and not self.sign_free_mod(e):
                a, b = self.sub(e.left, 11), self.sub(e.right, 11, right=True)
                return f"(({a} % {b}) + {b}) % {b}"  # floored, as Python's
            if e.op == "**":  # right-associative; a unary operand needs parentheses in JS
                left = self.expr(e.left)
                left = f"({left})" if prec(e.left) <= p else left
                return f"{left} ** {self.sub(e.right, p)}"
            return f"{self.sub(e.left, p)} {e.op} {self.sub(e.right, p, right=True)}"
        if isinstance(e, ir.Unary):
            op = "!" if e.op == "not" else e.op
            return f"{op}{self.sub(e.operand, 12)}"
        if isinstance(e, ir.BoolOp):
            self.used("operators")
            op = "&&" if e.op == "and" else "||"
            return f" {op} ".join(self.sub(v, _PREC[e.op]) for v in e.values)
        if isinstance(e, ir.Compare):
            return self.compare(e)
        if isinstance(e, ir.Call):
            return self.call(e)
        if isinstance(e, ir.Method):
            return self.method(e)
        if isinstance(e, ir.Attr):
            return f"{self.atom(e.obj)}.{e.name}"
        if isinstance(e, ir.Index):
            if (
                isinstance(e.index, ir.Unary)
                and e.index.op == "-"
                and isinstance(e.index.operand, ir.Num)
            ):
                self.used("index:negative")
                return f"{self.atom(e.obj)}.at(-{e.index.operand.text})"
            return f"{self.atom(e.obj)}[{self.expr(e.index)}]"
        if isinstance(e, ir.Slice):
            self.used("index:slice")
            lower = self.expr(e.lower) if e.lower is not None else "0"
            upper = f", {self.expr(e.upper)}" if e.upper is not None else ""
            return f"{self.atom(e.obj)}.slice({lower}{upper})"
        if isinstance(e, ir.Cond):
            self.used("conditional")
            return f"{self.sub(e.test, 2)} ? {self.sub(e.body, 2)} : {self.sub(e.orelse, 1)}"
        if isinstance(e, ir.Comp):
            return self.comprehension(e)
        if isinstance(e, ir.Lambda):
            self.used("lambda")
            return f"({', '.join(e.params)}) => {self.sub(e.body, 1)}"
        raise Unsupported(type(e).__name__)

    def call(self, e: ir.Call) -> str:
        if e.func == "len" and len(e.args) == 1 and not e.kwargs:
            t = self.type_of(e.args[0])
            if t is not None and t.name == "dict":
                self.used("builtin:len")
                return f"Object.keys({self.expr(e.args[0])}).length"
            if t is not None and t.name == "set":
                self.used("builtin:len")
                return f"{self.atom(e.args[0])}.size"
        return super().call(e)

    def dict_lit(self, e: ir.DictLit) -> str:
        self.used("literal:dict")
        if all(isinstance(k, ir.Str) for k, _v in e.pairs):
            items = []
            for k, v in e.pairs:
                key = k.value  # type: ignore[attr-defined]
                items.append(f"{key if _IDENT.match(key) else js_string(key)}: {self.expr(v)}")
            return "{ " + ", ".join(items) + " }" if items else "{}"
        return (
            "new Map([" + ", ".join(f"[{self.expr(k)}, {self.expr(v)}]" for k, v in e.pairs) + "])"
        )

    def template(self, e: ir.FStr) -> str:
        self.used("f-string")
        out = []
        for part in e.parts:
            if isinstance(part, str):
                out.append(part.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${"))
                continue
            value, spec = part
            out.append("${" + self.formatted(value, spec) + "}")
        return "`" + "".join(out) + "`"

    def formatted(self, value: ir.Expr, spec: str) -> str:
        if not spec or spec in ("d", "s"):
            return self.expr(value)
        m = re.fullmatch(r"\.(\d+)f", spec)
        if m:
            return f"{self.atom(value)}.toFixed({m.group(1)})"
        m = re.fullmatch(r"([<>])?(\d+)", spec)
        if m:
            pad = "padEnd" if m.group(1) == "<" else "padStart"
            return f"String({self.expr(value)}).{pad}({m.group(2)})"
        m = re.fullmatch(r"0(\d+)d?", spec)
        if m:
            return f'String({self.expr(value)}).padStart({m.group(1)}, "0")'
        raise Unsupported(f"the format spec :{spec}")

    def compare(self, e: ir.Compare) -> str:
        self.used("operators")
        plain = self.zero_test(e, "===")
        if plain is not None:
            return plain
        if e.op in ("in", "not in"):
            self.used("membership")
            right_type = self.type_of(e.right)
            if right_type is not None and right_type.name == "dict":
                text = f"{self.sub(e.left, 9)} in {self.sub(e.right, 9)}"
                return f"!({text})" if e.op == "not in" else text
            text = f"{self.atom(e.right)}.includes({self.expr(e.left)})"
            return f"!{text}" if e.op == "not in" else text
        op = {"==": "===", "!=": "!==", "is": "===", "is not": "!=="}.get(e.op, e.op)
        return f"{self.sub(e.left, 8)} {op} {self.sub(e.right, 8, right=True)}"

    def floor_div(self, a: ir.Expr, b: ir.Expr) -> str:
        self.used("operators")
        return f"Math.floor({self.sub(a, 11)} / {self.sub(b, 11, right=True)})"

    def power(self, a: ir.Expr, b: ir.Expr) -> str:
        return f"{self.atom(a)} ** {self.sub(b, 13)}"

    def comprehension(self, e: ir.Comp) -> str:
        self.used("comprehension")
        chain = self._chain(e, 0)
        if e.kind == "set":
            return f"new Set({chain})"
        if e.kind == "dict":
            return f"Object.fromEntries({chain})"
        return chain

    def _iterable(self, it: ir.Expr) -> str:
        if isinstance(it, ir.Call) and it.func == "range":
            return self.call(it)
        if isinstance(it, (ir.Str, ir.FStr)):
            return f"[...{self.atom(it)}]"
        t = self.type_of(it)
        if t is not None and t.name == "str":
            return f"[...{self.atom(it)}]"
        if t is not None and t.name == "set":
            return f"[...{self.atom(it)}]"
        if t is not None and t.name == "dict":
            return f"Object.keys({self.expr(it)})"
        return self.atom(it)

    def _chain(self, e: ir.Comp, i: int) -> str:
        gen = e.gens[i]
        param = gen.target[0] if len(gen.target) == 1 else f"[{', '.join(gen.target)}]"
        text = self._iterable(gen.iter)
        scope = {n: ir.Type("Any") for n in gen.target}
        self.types.append(scope)
        try:
            for cond in gen.conds:
                text += f".filter(({param}) => {self.sub(cond, 1)})"
            if i + 1 < len(e.gens):
                text += f".flatMap(({param}) => {self._chain(e, i + 1)})"
            elif e.kind == "dict":
                text += f".map(({param}) => [{self.expr(e.key)}, {self.expr(e.elt)}])"  # type: ignore[arg-type]
            elif not (
                isinstance(e.elt, ir.Name) and len(gen.target) == 1 and e.elt.id == gen.target[0]
            ):
                body = self.expr(e.elt)
                if body.startswith("{"):
                    body = f"({body})"
                text += f".map(({param}) => {body})"
        finally:
            self.types.pop()
        return text

    # -- statements ---------------------------------------------------------------------------

    def assign(self, s: ir.Assign) -> str:
        value = self.expr(s.value)
        if isinstance(s.target, ir.Name):
            name = s.target.id
            self.remember(name, s.type or self.type_of(s.value))
            if not self.is_declared(name) and name not in self.hoisted:
                self.declare(name)
                kind = "const" if name in self.const_ok else "let"
                annotation = f": {self.type(s.type)}" if self.typescript and s.type else ""
                return f"{kind} {name}{annotation} = {value};"
            return f"{name} = {value};"
        if isinstance(s.target, (ir.Attr, ir.Index)):
            return f"{self.expr(s.target)} = {value};"
        raise Unsupported("this assignment target")

    def for_each(self, s: ir.For, depth: int) -> list[str]:
        self.used("loop:for-each")
        pad = self.pad(depth)
        target = s.target[0] if len(s.target) == 1 else f"[{', '.join(s.target)}]"
        iterable = s.iter
        if (
            isinstance(iterable, ir.Call)
            and iterable.func == "enumerate"
            and len(iterable.args) == 1
        ):
            text = f"{self.atom(iterable.args[0])}.entries()"
        else:
            text = self._iterable(iterable)
            if text.startswith("Array.from({ length"):
                text = self.expr(iterable)
        self.types.append({n: ir.Type("Any") for n in s.target})
        body = self.statements(s.body, depth + 1)
        self.types.pop()
        return [f"{pad}for (const {target} of {text}) {{", *body, f"{pad}}}"]

    def function(self, s: ir.FunctionDef, depth: int) -> list[str]:
        self.used("signature")
        pad = self.pad(depth)
        params = []
        scope: dict[str, ir.Type] = {}
        for p in s.params:
            text = p.name
            if self.typescript and p.type is not None:
                text += f": {self.type(p.type)}"
            if p.default is not None:
                text += f" = {self.expr(p.default)}"
            params.append(text)
            if p.type is not None:
                scope[p.name] = p.type
        returns = f": {self.type(s.returns)}" if self.typescript and s.returns is not None else ""
        saved = (self.declared, self.const_ok, self.hoisted)
        self.declared = [{p.name for p in s.params}]
        self.types.append(scope)
        self.block_scope(s.body, [p.name for p in s.params])
        lines: list[str] = []
        if s.doc:
            lines += [
                f"{pad}/**",
                *[f"{pad} * {line}".rstrip() for line in s.doc.splitlines()],
                f"{pad} */",
            ]
        lines.append(f"{pad}function {s.name}({', '.join(params)}){returns} {{")
        for name in sorted(self.hoisted):
            t = self.types[-1].get(name)
            annotation = f": {self.type(t)}" if self.typescript and t is not None else ""
            lines.append(f"{self.pad(depth + 1)}let {name}{annotation};")
            self.declare(name)
        lines += self.statements(s.body, depth + 1)
        lines.append(f"{pad}}}")
        self.types.pop()
        self.declared, self.const_ok, self.hoisted = saved
        return lines


class JavaWriter(CFamilyWriter):
    """Java 17: streams for comprehensions, ``String.format`` for f-strings."""

    table_name = "java"
    language = "java"

    def __init__(self) -> None:
        super().__init__()
        self.returned: dict[str, ir.Type] = {}  # variables returned: declared with the return type

    def type(self, t: ir.Type | None, boxed: bool = False) -> str:
        if t is None:
            return "Object"
        types, box = self.table["types"], self.table["boxed"]
        if t.name in box and (boxed or t.optional):
            return box[t.name]
        if t.name in types:
            template = types[t.name]
            args = [self.type(a, boxed=True) for a in t.args] or ["Object"] * template.count("{")
            text = template
            for i, a in enumerate(args):
                text = text.replace(f"{{{i}}}", a)
            return text
        if t.name == "Union":
            return "Object"
        return (
            t.name if not t.args else f"{t.name}<{', '.join(self.type(a, True) for a in t.args)}>"
        )

    def expr(self, e: ir.Expr) -> str:
        if isinstance(e, ir.Name):
            return "this" if e.id == "self" else e.id
        if isinstance(e, ir.Num):
            if e.text.lower().endswith("j"):
                raise Unsupported("a complex number")
            return e.text
        if isinstance(e, ir.Str):
            return js_string(e.value)
        if isinstance(e, ir.Bool):
            return "true" if e.value else "false"
        if isinstance(e, ir.Null):
            return "null"
        if isinstance(e, (ir.ListLit, ir.TupleLit)):
            self.used("literal:list")
            return "List.of(" + ", ".join(self.expr(x) for x in e.elts) + ")"
        if isinstance(e, ir.SetLit):
            self.used("literal:set")
            return "Set.of(" + ", ".join(self.expr(x) for x in e.elts) + ")"
        if isinstance(e, ir.DictLit):
            self.used("literal:dict")
            if len(e.pairs) > 10:
                raise Unsupported("a dict literal of more than 10 entries")
            return (
                "Map.of(" + ", ".join(f"{self.expr(k)}, {self.expr(v)}" for k, v in e.pairs) + ")"
            )
        if isinstance(e, ir.FStr):
            return self.format(e)
        if isinstance(e, ir.BinOp):
            if e.op == "//":
                return self.floor_div(e.left, e.right)
            if e.op == "**":
                return self.power(e.left, e.right)
            self.used("operators")
            p = _PREC.get(e.op, 11)
            if e.op == "+" and (self.is_list(e.left) or self.is_list(e.right)):
                self.used("list:concat")
                return (
                    f"Stream.concat({self.atom(e.left)}.stream(), {self.atom(e.right)}.stream())"
                    ".collect(Collectors.toList())"
                )
            if e.op == "%" and not self.sign_free_mod(e):
                return f"Math.floorMod({self.expr(e.left)}, {self.expr(e.right)})"
            return f"{self.sub(e.left, p)} {e.op} {self.sub(e.right, p, right=True)}"
        if isinstance(e, ir.Unary):
            op = "!" if e.op == "not" else e.op
            return f"{op}{self.sub(e.operand, 12)}"
        if isinstance(e, ir.BoolOp):
            self.used("operators")
            op = "&&" if e.op == "and" else "||"
            return f" {op} ".join(self.sub(v, _PREC[e.op]) for v in e.values)
        if isinstance(e, ir.Compare):
            return self.compare(e)
        if isinstance(e, ir.Call):
            if e.func == "len" and len(e.args) == 1:
                t = self.type_of(e.args[0])
                self.used("builtin:len")
                return f"{self.atom(e.args[0])}.{'length' if t is not None and t.name == 'str' else 'size'}()"
            if (
                e.func in ("sum", "any", "all")
                and len(e.args) == 1
                and isinstance(e.args[0], ir.Comp)
            ):
                return self.reduce(e.func, e.args[0])
            if e.func == "print" and len(e.args) > 1:
                self.used("builtin:print")
                return (
                    "System.out.println(" + ' + " " + '.join(self.sub(a, 10) for a in e.args) + ")"
                )
            return self.call(e)
        if isinstance(e, ir.Method):
            return self.method(e)
        if isinstance(e, ir.Attr):
            return f"{self.atom(e.obj)}.{e.name}"
        if isinstance(e, ir.Index):
            return self.index(e)
        if isinstance(e, ir.Slice):
            self.used("index:slice")
            t = self.type_of(e.obj)
            obj = self.atom(e.obj)
            lower = self.expr(e.lower) if e.lower is not None else "0"
            if t is not None and t.name == "str":
                upper = f", {self.expr(e.upper)}" if e.upper is not None else ""
                return f"{obj}.substring({lower}{upper})"
            upper = self.expr(e.upper) if e.upper is not None else f"{obj}.size()"
            return f"{obj}.subList({lower}, {upper})"
        if isinstance(e, ir.Cond):
            self.used("conditional")
            return f"{self.sub(e.test, 2)} ? {self.sub(e.body, 2)} : {self.sub(e.orelse, 1)}"
        if isinstance(e, ir.Comp):
            return self.stream(e)
        if isinstance(e, ir.Lambda):
            self.used("lambda")
            params = e.params[0] if len(e.params) == 1 else f"({', '.join(e.params)})"
            return f"{params} -> {self.sub(e.body, 1)}"
        raise Unsupported(type(e).__name__)

    def index(self, e: ir.Index) -> str:
        t = self.type_of(e.obj)
        obj = self.atom(e.obj)
        idx = e.index
        if t is not None and t.name == "dict":
            return f"{obj}.get({self.expr(idx)})"
        if isinstance(idx, ir.Unary) and idx.op == "-" and isinstance(idx.operand, ir.Num):
            self.used("index:negative")
            size = "length()" if t is not None and t.name == "str" else "size()"
            getter = "charAt" if t is not None and t.name == "str" else "get"
            return f"{obj}.{getter}({obj}.{size} - {idx.operand.text})"
        if t is not None and t.name == "str":
            return f"{obj}.charAt({self.expr(idx)})"
        return f"{obj}.get({self.expr(idx)})"

    def format(self, e: ir.FStr) -> str:
        self.used("f-string")
        fmt, args = [], []
        for part in e.parts:
            if isinstance(part, str):
                fmt.append(part.replace("%", "%%"))
                continue
            value, spec = part
            if re.fullmatch(r"\.\d+f", spec):
                # %f takes only floating point values: widen ints, unbox what is unknown
                t = self.type_of(value)
                if t is not None and t.name == "float":
                    args.append(self.expr(value))
                elif t is not None and t.name == "int":
                    args.append(f"(double) {self.sub(value, 12)}")
                else:
                    args.append(f"((Number) {self.sub(value, 12)}).doubleValue()")
                fmt.append(f"%{spec}")
                continue
            args.append(self.expr(value))
            if not spec:
                fmt.append("%s")
            elif spec == "d":
                fmt.append("%d")
            elif re.fullmatch(r"0?\d+d", spec):
                fmt.append(f"%{spec}")
            elif re.fullmatch(r"[<>]?\d+", spec):
                fmt.append(f"%{'-' if spec.startswith('<') else ''}{spec.lstrip('<>')}s")
            else:
                raise Unsupported(f"the format spec :{spec}")
        if not args:
            return js_string("".join(fmt).replace("%%", "%"))
        return f"String.format({js_string(''.join(fmt))}, {', '.join(args)})"

    def compare(self, e: ir.Compare) -> str:
        self.used("operators")
        plain = self.zero_test(e, "==")
        if plain is not None:
            return plain
        if e.op in ("in", "not in"):
            self.used("membership")
            t = self.type_of(e.right)
            method = "containsKey" if t is not None and t.name == "dict" else "contains"
            text = f"{self.atom(e.right)}.{method}({self.expr(e.left)})"
            return f"!{text}" if e.op == "not in" else text
        if e.op in ("is", "is not") or isinstance(e.left, ir.Null) or isinstance(e.right, ir.Null):
            op = "==" if e.op in ("is", "==") else "!="
            return f"{self.sub(e.left, 8)} {op} {self.sub(e.right, 8, True)}"
        if e.op in ("==", "!="):
            numeric = any(isinstance(x, (ir.Num, ir.Bool)) for x in (e.left, e.right)) or any(
                (t := self.type_of(x)) is not None and t.name in ("int", "float", "bool")
                for x in (e.left, e.right)
            )
            if not numeric:
                self.used("equality:objects")
                text = f"Objects.equals({self.expr(e.left)}, {self.expr(e.right)})"
                return f"!{text}" if e.op == "!=" else text
        return f"{self.sub(e.left, 8)} {e.op} {self.sub(e.right, 8, right=True)}"

    def floor_div(self, a: ir.Expr, b: ir.Expr) -> str:
        self.used("operators")
        return f"Math.floorDiv({self.expr(a)}, {self.expr(b)})"

    def power(self, a: ir.Expr, b: ir.Expr) -> str:
        self.used("operators")
        return f"Math.pow({self.expr(a)}, {self.expr(b)})"

    def _source(self, gen: ir.Generator) -> str:
        it = gen.iter
        if isinstance(it, ir.Call) and it.func == "range" and 1 <= len(it.args) <= 2:
            self.used("builtin:range")
            lo, hi = (ir.Num("0"), it.args[0]) if len(it.args) == 1 else (it.args[0], it.args[1])
            return f"IntStream.range({self.expr(lo)}, {self.expr(hi)}).boxed()"
        if isinstance(it, ir.Method) and it.name == "items" and not it.args:
            return f"{self.atom(it.obj)}.entrySet().stream()"
        t = self.type_of(it)
        if t is not None and t.name == "str":
            return f"{self.atom(it)}.chars().mapToObj(c -> String.valueOf((char) c))"
        return f"{self.atom(it)}.stream()"

    def element_scope(self, target: list[str], iterable: ir.Expr) -> dict[str, ir.Type]:
        t = self.type_of(iterable)
        element = (
            t.args[0] if t is not None and t.name in ("list", "set") and t.args else ir.Type("Any")
        )
        return {n: element for n in target}

    def _lambda(self, gen: ir.Generator, body: ir.Expr) -> str:
        if len(gen.target) == 1:
            return f"{gen.target[0]} -> {self.sub(body, 1)}"
        if isinstance(gen.iter, ir.Method) and gen.iter.name == "items" and len(gen.target) == 2:
            key, value = gen.target
            text = self.sub(body, 1)
            text = re.sub(rf"\b{key}\b", "e.getKey()", text)
            text = re.sub(rf"\b{value}\b", "e.getValue()", text)
            return f"e -> {text}"
        raise Unsupported("tuple unpacking in a comprehension")

    def stream(self, e: ir.Comp) -> str:
        self.used("comprehension")
        if len(e.gens) != 1:
            raise Unsupported("a comprehension with several for clauses")
        gen = e.gens[0]
        self.types.append(self.element_scope(gen.target, gen.iter))
        try:
            text = self._source(gen)
            for cond in gen.conds:
                text += f".filter({self._lambda(gen, cond)})"
            if e.kind == "dict":
                if e.key is None:  # the fronts always give a dict comprehension its key
                    raise Unsupported("a dict comprehension without a key")
                return (
                    text
                    + f".collect(Collectors.toMap({self._lambda(gen, e.key)}, {self._lambda(gen, e.elt)}))"
                )
            identity = (
                isinstance(e.elt, ir.Name) and len(gen.target) == 1 and e.elt.id == gen.target[0]
            )
            if not identity:
                text += f".map({self._lambda(gen, e.elt)})"
            collector = "Collectors.toSet()" if e.kind == "set" else "Collectors.toList()"
            return text + f".collect({collector})"
        finally:
            self.types.pop()

    def reduce(self, func: str, comp: ir.Comp) -> str:
        self.used("comprehension")
        self.used(f"builtin:{func}")
        if len(comp.gens) != 1:
            raise Unsupported("a comprehension with several for clauses")
        gen = comp.gens[0]
        self.types.append(self.element_scope(gen.target, gen.iter))
        try:
            text = self._source(gen)
            for cond in gen.conds:
                text += f".filter({self._lambda(gen, cond)})"
            if func == "sum":
                return text + f".mapToInt({self._lambda(gen, comp.elt)}).sum()"
            match = "anyMatch" if func == "any" else "allMatch"
            return text + f".{match}({self._lambda(gen, comp.elt)})"
        finally:
            self.types.pop()

    def counter(self) -> str:
        return "int"

    def assign(self, s: ir.Assign) -> str:
        value = s.value
        if isinstance(value, ir.ListLit):
            self.used("literal:list")
            inner = ", ".join(self.expr(x) for x in value.elts)
            text = f"new ArrayList<>(List.of({inner}))" if inner else "new ArrayList<>()"
        elif isinstance(value, ir.DictLit):
            self.used("literal:dict")
            text = f"new HashMap<>({self.expr(value)})" if value.pairs else "new HashMap<>()"
        else:
            text = self.expr(value)
        if isinstance(s.target, ir.Name):
            name = s.target.id
            self.remember(name, s.type or self.type_of(s.value))
            if not self.is_declared(name):
                if name in self.hoisted:
                    raise Unsupported("a variable first set inside a block")
                self.declare(name)
                declared = s.type or self.returned.get(name)
                if declared is not None and s.type is None:
                    self.used("signature:returned-variable")
                    self.remember(name, declared)
                return f"{self.type(declared) if declared else 'var'} {name} = {text};"
            return f"{name} = {text};"
        if isinstance(s.target, ir.Index):
            t = self.type_of(s.target.obj)
            if t is not None and t.name == "dict":
                return f"{self.atom(s.target.obj)}.put({self.expr(s.target.index)}, {text});"
            if t is not None and t.name == "list":
                return f"{self.atom(s.target.obj)}.set({self.expr(s.target.index)}, {text});"
            raise Unsupported("an item assignment on a value of unknown type")
        if isinstance(s.target, ir.Attr):
            return f"{self.expr(s.target)} = {text};"
        raise Unsupported("this assignment target")

    def for_each(self, s: ir.For, depth: int) -> list[str]:
        self.used("loop:for-each")
        pad, inner = self.pad(depth), self.pad(depth + 1)
        it = s.iter
        head: list[str]
        if len(s.target) == 1:
            t = self.type_of(it)
            source = (
                f"{self.atom(it)}.toCharArray()"
                if t is not None and t.name == "str"
                else self.expr(it)
            )
            head = [f"{pad}for (var {s.target[0]} : {source}) {{"]
        elif isinstance(it, ir.Method) and it.name == "items" and len(s.target) == 2:
            key, value = s.target
            head = [
                f"{pad}for (var entry : {self.atom(it.obj)}.entrySet()) {{",
                f"{inner}var {key} = entry.getKey();",
                f"{inner}var {value} = entry.getValue();",
            ]
        elif (
            isinstance(it, ir.Call)
            and it.func == "enumerate"
            and len(it.args) == 1
            and len(s.target) == 2
        ):
            index, value = s.target
            seq = self.atom(it.args[0])
            head = [
                f"{pad}for (int {index} = 0; {index} < {seq}.size(); {index}++) {{",
                f"{inner}var {value} = {seq}.get({index});",
            ]
        else:
            raise Unsupported("this loop target")
        self.types.append(self.element_scope(s.target, it))
        body = self.statements(s.body, depth + 1)
        self.types.pop()
        return [*head, *body, f"{pad}}}"]

    def function(self, s: ir.FunctionDef, depth: int) -> list[str]:
        self.used("signature")
        pad = self.pad(depth)
        params = []
        scope: dict[str, ir.Type] = {}
        defaults = [p for p in s.params if p.default is not None]
        if defaults and s.params[-len(defaults) :] != defaults:
            raise Unsupported("a parameter default before a parameter without one")
        for p in s.params:
            params.append(f"{self.type(p.type)} {p.name}")
            if p.type is not None:
                scope[p.name] = p.type
        if s.returns is not None:
            returns = self.type(s.returns)
        else:
            returns = "Object" if _returns_value(s.body) else "void"
        saved_returned = self.returned
        self.returned = _returned_names(s.body, s.returns)
        saved = (self.declared, self.const_ok, self.hoisted)
        self.declared = [{p.name for p in s.params}]
        self.types.append(scope)
        self.block_scope(s.body, [p.name for p in s.params])
        lines: list[str] = []
        if s.doc:
            lines += [
                f"{pad}/**",
                *[f"{pad} * {line}".rstrip() for line in s.doc.splitlines()],
                f"{pad} */",
            ]
        lines.append(f"{pad}public static {returns} {s.name}({', '.join(params)}) {{")
        lines += self.statements(s.body, depth + 1)
        lines.append(f"{pad}}}")
        self.types.pop()
        self.returned = saved_returned
        self.declared, self.const_ok, self.hoisted = saved
        # Java has no parameter defaults: one overload per default left out.
        for k in range(1, len(defaults) + 1):
            self.used("signature:defaults")
            kept = s.params[: len(s.params) - k]
            # The last k parameters all have defaults (checked above).
            left_out = [p.default for p in s.params[len(s.params) - k :] if p.default is not None]
            given = [p.name for p in kept] + [self.expr(d) for d in left_out]
            call = f"{s.name}({', '.join(given)})"
            head = ", ".join(f"{self.type(p.type)} {p.name}" for p in kept)
            body = f"return {call};" if returns != "void" else f"{call};"
            lines += [
                "",
                f"{pad}public static {returns} {s.name}({head}) {{",
                f"{self.pad(depth + 1)}{body}",
                f"{pad}}}",
            ]
        return lines


def _returns_value(body: list[ir.Stmt]) -> bool:
    for s in body:
        if isinstance(s, ir.Return) and s.value is not None:
            return True
        if isinstance(s, ir.If) and (_returns_value(s.body) or _returns_value(s.orelse)):
            return True
        if isinstance(s, (ir.For, ir.While, ir.ForRange)) and _returns_value(s.body):
            return True
    return False


def _returned_names(body: list[ir.Stmt], returns: ir.Type | None) -> dict[str, ir.Type]:
    """Variables a function returns by name, with its declared return type."""
    if returns is None:
        return {}
    out: dict[str, ir.Type] = {}
    for st in body:
        if isinstance(st, ir.Return) and isinstance(st.value, ir.Name):
            out[st.value.id] = returns
        elif isinstance(st, ir.If):
            out.update(_returned_names(st.body, returns))
            out.update(_returned_names(st.orelse, returns))
        elif isinstance(st, (ir.For, ir.While, ir.ForRange)):
            out.update(_returned_names(st.body, returns))
    return out
