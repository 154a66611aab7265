"""The Python back end: the conversion IR written as Python (from JavaScript, TypeScript and
Java), with type annotations from typed signatures."""

from __future__ import annotations

from . import ir
from .backend import Writer
from .ir import Unsupported

# Binding strength in Python (higher binds tighter).
_PREC = {
    "or": 2,
    "and": 3,
    "|": 6,
    "^": 7,
    "&": 8,
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
    """How tightly ``e`` binds in Python."""
    if isinstance(e, ir.Lambda):
        return 0
    if isinstance(e, ir.Cond):
        return 1
    if isinstance(e, ir.BoolOp):
        return _PREC[e.op]
    if isinstance(e, ir.Unary):
        return 4 if e.op == "not" else 12
    if isinstance(e, ir.Compare):
        return 5
    if isinstance(e, ir.BinOp):
        return _PREC.get(e.op, 11)
    return 20


class PythonWriter(Writer):
    """IR -> Python."""

    language = "python"

    def sub(self, e: ir.Expr, parent: int, right: bool = False) -> str:
        text = self.expr(e)
        p = prec(e)
        return f"({text})" if p < parent or (right and p == parent) else text

    def type(self, t: ir.Type) -> str:
        if t.name == "Union":
            text = " | ".join(self.type(a) for a in t.args)
        elif t.args:
            text = f"{t.name}[{', '.join(self.type(a) for a in t.args)}]"
        else:
            text = t.name
        return f"{text} | None" if t.optional else text

    def expr(self, e: ir.Expr) -> str:
        if isinstance(e, ir.Name):
            return "self" if e.id == "this" else e.id
        if isinstance(e, ir.Num):
            return e.text
        if isinstance(e, ir.Str):
            return repr(e.value)
        if isinstance(e, ir.Bool):
            return "True" if e.value else "False"
        if isinstance(e, ir.Null):
            return "None"
        if isinstance(e, ir.ListLit):
            self.used("literal:list")
            return "[" + ", ".join(self.expr(x) for x in e.elts) + "]"
        if isinstance(e, ir.TupleLit):
            inner = ", ".join(self.expr(x) for x in e.elts)
            return f"({inner},)" if len(e.elts) == 1 else f"({inner})"
        if isinstance(e, ir.SetLit):
            self.used("literal:set")
            return "{" + ", ".join(self.expr(x) for x in e.elts) + "}" if e.elts else "set()"
        if isinstance(e, ir.DictLit):
            self.used("literal:dict")
            return "{" + ", ".join(f"{self.expr(k)}: {self.expr(v)}" for k, v in e.pairs) + "}"
        if isinstance(e, ir.FStr):
            return self.fstring(e)
        if isinstance(e, ir.BinOp):
            self.used("operators")
            p = _PREC.get(e.op, 11)
            if e.op == "**":
                return f"{self.sub(e.left, p, right=True)} ** {self.sub(e.right, p)}"
            return f"{self.sub(e.left, p)} {e.op} {self.sub(e.right, p, right=True)}"
        if isinstance(e, ir.Unary):
            if e.op == "not":
                return f"not {self.sub(e.operand, 4)}"
            return f"{e.op}{self.sub(e.operand, 12)}"
        if isinstance(e, ir.BoolOp):
            self.used("operators")
            return f" {e.op} ".join(self.sub(v, _PREC[e.op], right=True) for v in e.values)
        if isinstance(e, ir.Compare):
            self.used("operators")
            return f"{self.sub(e.left, 6)} {e.op} {self.sub(e.right, 6)}"
        if isinstance(e, ir.Call):
            args = [self.expr(a) for a in e.args] + [f"{k}={self.expr(v)}" for k, v in e.kwargs]
            if e.func.startswith("math."):
                self.used("builtin:math")
            return f"{e.func}({', '.join(args)})"
        if isinstance(e, ir.Method):
            if e.name == "join" and len(e.args) == 1:
                return f"{self.atom(e.obj)}.join({self.expr(e.args[0])})"
            return f"{self.atom(e.obj)}.{e.name}({', '.join(self.expr(a) for a in e.args)})"
        if isinstance(e, ir.Attr):
            return f"{self.atom(e.obj)}.{e.name}"
        if isinstance(e, ir.Index):
            return f"{self.atom(e.obj)}[{self.expr(e.index)}]"
        if isinstance(e, ir.Slice):
            lower = self.expr(e.lower) if e.lower is not None else ""
            upper = self.expr(e.upper) if e.upper is not None else ""
            return f"{self.atom(e.obj)}[{lower}:{upper}]"
        if isinstance(e, ir.Cond):
            self.used("conditional")
            return f"{self.sub(e.body, 2)} if {self.sub(e.test, 2)} else {self.sub(e.orelse, 1)}"
        if isinstance(e, ir.Comp):
            return self.comprehension(e)
        if isinstance(e, ir.Lambda):
            self.used("lambda")
            return f"lambda {', '.join(e.params)}: {self.sub(e.body, 1)}"
        raise Unsupported(type(e).__name__)

    def fstring(self, e: ir.FStr) -> str:
        self.used("f-string")
        out = []
        quote = '"'
        for part in e.parts:
            if isinstance(part, str):
                text = part.replace("\\", "\\\\").replace("{", "{{").replace("}", "}}")
                out.append(text.replace('"', '\\"').replace("\n", "\\n"))
            else:
                value, spec = part
                inner = self.expr(value)
                if '"' in inner:
                    inner = inner.replace('"', "'")
                out.append("{" + inner + (f":{spec}" if spec else "") + "}")
        return "f" + quote + "".join(out) + quote

    def comprehension(self, e: ir.Comp) -> str:
        self.used("comprehension")
        clauses = []
        for gen in e.gens:
            target = ", ".join(gen.target)
            clauses.append(f"for {target} in {self.sub(gen.iter, 2)}")
            clauses += [f"if {self.sub(c, 2)}" for c in gen.conds]
        body = self.sub(e.elt, 2)
        if e.kind == "dict":
            return "{" + f"{self.expr(e.key)}: {body} " + " ".join(clauses) + "}"  # type: ignore[arg-type]
        opener, closer = {"list": ("[", "]"), "set": ("{", "}"), "gen": ("(", ")")}[e.kind]
        return f"{opener}{body} {' '.join(clauses)}{closer}"

    # -- statements -----------------------------------------------------------------------------

    def statement(self, s: ir.Stmt, depth: int) -> list[str]:
        pad = self.pad(depth)
        if isinstance(s, ir.Comment):
            return [f"{pad}# {line}".rstrip() for line in s.text.splitlines() or [""]]
        if isinstance(s, ir.Pass):
            return [f"{pad}pass"]
        if isinstance(s, ir.Break):
            return [f"{pad}break"]
        if isinstance(s, ir.Continue):
            return [f"{pad}continue"]
        if isinstance(s, ir.Return):
            return [f"{pad}return" + (f" {self.expr(s.value)}" if s.value is not None else "")]
        if isinstance(s, ir.ExprStmt):
            return [pad + self.expr(s.expr)]
        if isinstance(s, ir.Assign):
            annotation = f": {self.type(s.type)}" if s.type is not None else ""
            return [f"{pad}{self.expr(s.target)}{annotation} = {self.expr(s.value)}"]
        if isinstance(s, ir.AugAssign):
            return [f"{pad}{self.expr(s.target)} {s.op}= {self.expr(s.value)}"]
        if isinstance(s, ir.If):
            lines = [f"{pad}if {self.expr(s.test)}:", *self.block(s.body, depth + 1)]
            orelse = s.orelse
            while len(orelse) == 1 and isinstance(orelse[0], ir.If):
                lines += [
                    f"{pad}elif {self.expr(orelse[0].test)}:",
                    *self.block(orelse[0].body, depth + 1),
                ]
                orelse = orelse[0].orelse
            if orelse:
                lines += [f"{pad}else:", *self.block(orelse, depth + 1)]
            return lines
        if isinstance(s, ir.While):
            self.used("loop:while")
            return [f"{pad}while {self.expr(s.test)}:", *self.block(s.body, depth + 1)]
        if isinstance(s, ir.ForRange):
            self.used("loop:range")
            args = (
                [self.expr(s.stop)]
                if _is_zero(s.start) and s.step is None
                else [self.expr(s.start), self.expr(s.stop)]
            )
            if s.step is not None:
                args.append(self.expr(s.step))
            return [
                f"{pad}for {s.var} in range({', '.join(args)}):",
                *self.block(s.body, depth + 1),
            ]
        if isinstance(s, ir.For):
            self.used("loop:for-each")
            return [
                f"{pad}for {', '.join(s.target)} in {self.expr(s.iter)}:",
                *self.block(s.body, depth + 1),
            ]
        if isinstance(s, ir.FunctionDef):
            self.used("signature")
            params = []
            for p in s.params:
                text = p.name + (f": {self.type(p.type)}" if p.type is not None else "")
                if p.default is not None:
                    text += (
                        f" = {self.expr(p.default)}"
                        if p.type is not None
                        else f"={self.expr(p.default)}"
                    )
                params.append(text)
            returns = f" -> {self.type(s.returns)}" if s.returns is not None else ""
            lines = [f"{pad}def {s.name}({', '.join(params)}){returns}:"]
            if s.doc:
                lines.append(f'{self.pad(depth + 1)}"""{s.doc.strip()}"""')
            return lines + self.block(s.body, depth + 1, allow_empty=bool(s.doc))
        raise Unsupported(type(s).__name__)

    def block(self, body: list[ir.Stmt], depth: int, allow_empty: bool = False) -> list[str]:
        lines = self.statements(body, depth)
        if (
            not any(line.strip() and not line.strip().startswith("#") for line in lines)
            and not allow_empty
        ):
            lines.append(f"{self.pad(depth)}pass")
        return lines


def _is_zero(e: ir.Expr) -> bool:
    return isinstance(e, ir.Num) and e.text == "0"
