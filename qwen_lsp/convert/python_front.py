"""Python syntax tree -> the conversion IR (statements of a selection, or whole functions)."""

from __future__ import annotations

import ast
import contextlib
import re

import tree_sitter as ts

from . import ir
from .ir import Unsupported

_BINOPS = {"+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>", "@"}


def _t(node: ts.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _field(node: ts.Node, name: str) -> ts.Node:
    """A child the grammar requires (always there in a tree without errors)."""
    child = node.child_by_field_name(name)
    if child is None:
        raise Unsupported(f"{ir.kind(node.type)} without its {name}", _t(node))
    return child


def parse_type(text: str) -> ir.Type:
    """A type annotation's text as an IR type (``Optional[X]`` and ``X | None`` optional)."""
    text = text.strip().strip("'\"")
    parts = _split_top(text, "|")
    if len(parts) > 1:
        rest = [p for p in parts if p.strip() != "None"]
        if len(rest) == 1:
            inner = parse_type(rest[0])
            inner.optional = True
            return inner
        return ir.Type("Union", [parse_type(p) for p in rest])
    m = re.match(r"^([\w.]+)\s*(?:\[(.*)\])?$", text, re.S)
    if not m:
        raise Unsupported("a type annotation", text)
    name = m.group(1).split(".")[-1]
    args = [parse_type(a) for a in _split_top(m.group(2), ",")] if m.group(2) else []
    if name == "Optional" and len(args) == 1:
        args[0].optional = True
        return args[0]
    aliases = {
        "List": "list",
        "Dict": "dict",
        "Set": "set",
        "Tuple": "tuple",
        "FrozenSet": "set",
        "Sequence": "list",
        "Iterable": "list",
        "Mapping": "dict",
        "MutableMapping": "dict",
    }
    return ir.Type(aliases.get(name, name), args)


def _split_top(text: str, sep: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[(<":
            depth += 1
        elif ch in "])>":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    out.append(text[start:].strip())
    return [p for p in out if p]


class PythonFront:
    """Reads Python statements and expressions."""

    def __init__(self, source: bytes) -> None:
        self.source = source

    # -- statements -----------------------------------------------------------------------

    def statements(self, nodes: list[ts.Node]) -> list[ir.Stmt]:
        out: list[ir.Stmt] = []
        for node in nodes:
            if node.type == "comment":
                out.append(ir.Comment(_t(node).lstrip("#").strip()))
                continue
            out.append(self.statement(node))
        return out

    def statement(self, node: ts.Node) -> ir.Stmt:
        t = node.type
        if t == "expression_statement":
            inner = node.named_children[0]
            if inner.type == "assignment":
                return self._assignment(inner)
            if inner.type == "augmented_assignment":
                op = _t(inner.child_by_field_name("operator"))[:-1]
                return ir.AugAssign(
                    self.expr(inner.child_by_field_name("left")),
                    op,
                    self.expr(inner.child_by_field_name("right")),
                )
            if inner.type == "string":
                # A plain string statement is a docstring; an f-string (whatever its other
                # prefixes: rf"..." too) is an expression.
                string = self._string(inner)
                if isinstance(string, ir.Str):
                    return ir.Comment(string.value.strip())
                return ir.ExprStmt(string)
            return ir.ExprStmt(self.expr(inner))
        if t == "return_statement":
            value = node.named_children[0] if node.named_children else None
            return ir.Return(self.expr(value) if value is not None else None)
        if t == "if_statement":
            return self._if(node)
        if t == "for_statement":
            return self._for(node)
        if t == "while_statement":
            if node.child_by_field_name("alternative") is not None:
                raise Unsupported("while ... else", _t(node))
            return ir.While(
                self.expr(node.child_by_field_name("condition")),
                self.block(node.child_by_field_name("body")),
            )
        if t == "break_statement":
            return ir.Break()
        if t == "continue_statement":
            return ir.Continue()
        if t == "pass_statement":
            return ir.Pass()
        if t == "function_definition":
            return self.function(node)
        if t == "decorated_definition":
            raise Unsupported("a decorated definition", _t(node))
        raise Unsupported(ir.kind(t), _t(node))

    def block(self, node: ts.Node | None) -> list[ir.Stmt]:
        if node is None:
            return []
        return self.statements(list(node.named_children))

    def _assignment(self, node: ts.Node) -> ir.Stmt:
        left = _field(node, "left")
        right = node.child_by_field_name("right")
        annotation = node.child_by_field_name("type")
        if right is None:
            raise Unsupported("a declaration without a value", _t(node))
        if right.type == "assignment":
            raise Unsupported("a chained assignment", _t(node))
        if left.type in ("pattern_list", "tuple_pattern"):
            raise Unsupported("tuple unpacking", _t(node))
        return ir.Assign(
            self.expr(left),
            self.expr(right),
            parse_type(_t(annotation)) if annotation is not None else None,
        )

    def _if(self, node: ts.Node) -> ir.If:
        result = ir.If(
            self.expr(node.child_by_field_name("condition")),
            self.block(node.child_by_field_name("consequence")),
        )
        tail = result
        for alt in node.children_by_field_name("alternative"):
            if alt.type == "elif_clause":
                nested = ir.If(
                    self.expr(alt.child_by_field_name("condition")),
                    self.block(alt.child_by_field_name("consequence")),
                )
                tail.orelse = [nested]
                tail = nested
            elif alt.type == "else_clause":
                tail.orelse = self.block(alt.child_by_field_name("body"))
        return result

    def _for(self, node: ts.Node) -> ir.Stmt:
        if node.child_by_field_name("alternative") is not None:
            raise Unsupported("for ... else", _t(node))
        if any(c.type == "async" for c in node.children):
            raise Unsupported("async for", _t(node))
        target = self._targets(_field(node, "left"))
        iterable = self.expr(node.child_by_field_name("right"))
        body = self.block(node.child_by_field_name("body"))
        if (
            isinstance(iterable, ir.Call)
            and iterable.func == "range"
            and len(target) == 1
            and 1 <= len(iterable.args) <= 3
        ):
            args = iterable.args
            start, stop = (ir.Num("0"), args[0]) if len(args) == 1 else (args[0], args[1])
            step = args[2] if len(args) == 3 else None
            return ir.ForRange(target[0], start, stop, step, body)
        return ir.For(target, iterable, body)

    def _targets(self, node: ts.Node) -> list[str]:
        if node.type == "identifier":
            return [_t(node)]
        if node.type in ("pattern_list", "tuple_pattern", "tuple"):
            names = [c for c in node.named_children]
            if all(n.type == "identifier" for n in names):
                return [_t(n) for n in names]
        raise Unsupported("a nested loop target", _t(node))

    def function(self, node: ts.Node) -> ir.FunctionDef:
        if any(c.type == "async" for c in node.children):
            raise Unsupported("an async function", _t(node))
        params: list[ir.Param] = []
        for p in _field(node, "parameters").named_children:
            if p.type == "identifier":
                params.append(ir.Param(_t(p)))
            elif p.type == "typed_parameter":
                inner = p.named_children[0]
                if inner.type != "identifier":
                    raise Unsupported("*args / **kwargs", _t(p))
                params.append(ir.Param(_t(inner), parse_type(_t(p.child_by_field_name("type")))))
            elif p.type in ("default_parameter", "typed_default_parameter"):
                annotation = p.child_by_field_name("type")
                params.append(
                    ir.Param(
                        _t(p.child_by_field_name("name")),
                        parse_type(_t(annotation)) if annotation is not None else None,
                        self.expr(p.child_by_field_name("value")),
                    )
                )
            else:
                raise Unsupported("*args, **kwargs or a parameter separator", _t(p))
        returns = node.child_by_field_name("return_type")
        body_node = node.child_by_field_name("body")
        body = self.block(body_node)
        doc = ""
        if (
            body
            and isinstance(body[0], ir.Comment)
            and body_node is not None  # (it is when body is not empty)
            and body_node.named_children[0].type == "expression_statement"
        ):
            doc = body.pop(0).text  # type: ignore[attr-defined]
        return ir.FunctionDef(
            _t(node.child_by_field_name("name")),
            params,
            parse_type(_t(returns)) if returns is not None else None,
            body,
            doc,
        )

    # -- expressions ----------------------------------------------------------------------

    def expr(self, node: ts.Node | None) -> ir.Expr:
        if node is None:
            raise Unsupported("a missing expression")
        t = node.type
        if t == "identifier":
            return ir.Name(_t(node))
        if t == "integer":
            return ir.Num(_t(node).replace("_", ""))
        if t == "float":
            return ir.Num(_t(node).replace("_", ""), is_float=True)
        if t == "true":
            return ir.Bool(True)
        if t == "false":
            return ir.Bool(False)
        if t == "none":
            return ir.Null()
        if t == "string":
            return self._string(node)
        if t == "concatenated_string":
            pieces = [self._string(c) for c in node.named_children]
            strings = [p for p in pieces if isinstance(p, ir.Str)]
            if len(strings) == len(pieces):
                return ir.Str("".join(s.value for s in strings))
            raise Unsupported("concatenated f-strings", _t(node))
        if t == "parenthesized_expression":
            return self.expr(node.named_children[0])
        if t == "list":
            return ir.ListLit([self.expr(c) for c in node.named_children])
        if t == "tuple":
            return ir.TupleLit([self.expr(c) for c in node.named_children])
        if t == "set":
            return ir.SetLit([self.expr(c) for c in node.named_children])
        if t == "dictionary":
            pairs = []
            for c in node.named_children:
                if c.type != "pair":
                    raise Unsupported("** in a dict literal", _t(c))
                pairs.append(
                    (
                        self.expr(c.child_by_field_name("key")),
                        self.expr(c.child_by_field_name("value")),
                    )
                )
            return ir.DictLit(pairs)
        if t == "binary_operator":
            op = _t(node.child_by_field_name("operator"))
            if op not in _BINOPS or op == "@":
                raise Unsupported(f"the {op} operator", _t(node))
            return ir.BinOp(
                op,
                self.expr(node.child_by_field_name("left")),
                self.expr(node.child_by_field_name("right")),
            )
        if t == "unary_operator":
            return ir.Unary(
                _t(node.child_by_field_name("operator")),
                self.expr(node.child_by_field_name("argument")),
            )
        if t == "not_operator":
            return ir.Unary("not", self.expr(node.child_by_field_name("argument")))
        if t == "boolean_operator":
            op = _t(node.child_by_field_name("operator"))
            left, right = (
                self.expr(node.child_by_field_name("left")),
                self.expr(node.child_by_field_name("right")),
            )
            values = (left.values if isinstance(left, ir.BoolOp) and left.op == op else [left]) + [
                right
            ]
            return ir.BoolOp(op, values)
        if t == "comparison_operator":
            return self._compare(node)
        if t == "call":
            return self._call(node)
        if t == "attribute":
            return ir.Attr(
                self.expr(node.child_by_field_name("object")),
                _t(node.child_by_field_name("attribute")),
            )
        if t == "subscript":
            value = self.expr(node.child_by_field_name("value"))
            subs = node.children_by_field_name("subscript")
            if len(subs) != 1:
                raise Unsupported("a multi-dimensional subscript", _t(node))
            sub = subs[0]
            if sub.type == "slice":
                parts: list[ir.Expr | None] = [None, None]
                i = 0
                for c in sub.children:
                    if c.type == ":":
                        i += 1
                        if i > 1:
                            raise Unsupported("a slice with a step", _t(node))
                    elif c.is_named:
                        parts[i] = self.expr(c)
                return ir.Slice(value, parts[0], parts[1])
            return ir.Index(value, self.expr(sub))
        if t == "conditional_expression":
            body, test, orelse = node.named_children[:3]
            return ir.Cond(self.expr(test), self.expr(body), self.expr(orelse))
        if t in (
            "list_comprehension",
            "set_comprehension",
            "generator_expression",
            "dictionary_comprehension",
        ):
            return self._comprehension(node)
        if t == "lambda":
            params = node.child_by_field_name("parameters")
            names = [_t(p) for p in params.named_children] if params is not None else []
            if params is not None and any(p.type != "identifier" for p in params.named_children):
                raise Unsupported("a lambda with defaults", _t(node))
            return ir.Lambda(names, self.expr(node.child_by_field_name("body")))
        raise Unsupported(ir.kind(t), _t(node))

    def _string(self, node: ts.Node) -> ir.Expr:
        text = _t(node)
        prefix = re.match(r"^[A-Za-z]*", text).group(0).lower()  # type: ignore[union-attr]
        if "f" not in prefix:
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError) as exc:
                raise Unsupported("a string literal", text) from exc
            if isinstance(value, bytes):
                raise Unsupported("a bytes literal", text)
            return ir.Str(value)
        parts: list[str | tuple[ir.Expr, str]] = []
        for child in node.named_children:
            if child.type == "string_content":
                raw = _t(child).replace("{{", "{").replace("}}", "}")
                with contextlib.suppress(ValueError, SyntaxError):
                    raw = (
                        ast.literal_eval('"""' + raw.replace('"""', '\\"\\"\\"') + '"""')
                        if "\\" in raw and "r" not in prefix
                        else raw
                    )
                parts.append(raw)
            elif child.type == "interpolation":
                if child.child_by_field_name("type_conversion") is not None:
                    raise Unsupported("!r / !s in an f-string", _t(child))
                spec = child.child_by_field_name("format_specifier")
                parts.append(
                    (
                        self.expr(child.child_by_field_name("expression")),
                        _t(spec).lstrip(":") if spec else "",
                    )
                )
            elif child.type == "escape_sequence":
                parts.append(ast.literal_eval('"' + _t(child) + '"'))
        return ir.FStr(parts)

    def _compare(self, node: ts.Node) -> ir.Expr:
        operands = [c for c in node.children if c.is_named]
        operators = [_t(c).replace("  ", " ") for c in node.children_by_field_name("operators")]
        operators = [" ".join(op.split()) for op in operators]
        exprs = [self.expr(o) for o in operands]
        pairs = [ir.Compare(op, exprs[i], exprs[i + 1]) for i, op in enumerate(operators)]
        return pairs[0] if len(pairs) == 1 else ir.BoolOp("and", list(pairs))

    def _call(self, node: ts.Node) -> ir.Expr:
        func = _field(node, "function")
        args_node = _field(node, "arguments")
        args: list[ir.Expr] = []
        kwargs: list[tuple[str, ir.Expr]] = []
        if args_node.type == "generator_expression":
            args = [self._comprehension(args_node)]
        else:
            for a in args_node.named_children:
                if a.type == "keyword_argument":
                    kwargs.append(
                        (
                            _t(a.child_by_field_name("name")),
                            self.expr(a.child_by_field_name("value")),
                        )
                    )
                elif a.type in ("list_splat", "dictionary_splat"):
                    raise Unsupported("*args / **kwargs in a call", _t(a))
                elif a.type == "comment":
                    continue
                else:
                    args.append(self.expr(a))
        if func.type == "identifier":
            return ir.Call(_t(func), args, kwargs)
        if func.type == "attribute":
            if kwargs:
                raise Unsupported("keyword arguments to a method", _t(node))
            return ir.Method(
                self.expr(func.child_by_field_name("object")),
                _t(func.child_by_field_name("attribute")),
                args,
            )
        raise Unsupported("a call of a computed function", _t(node))

    def _comprehension(self, node: ts.Node) -> ir.Comp:
        kind = {
            "list_comprehension": "list",
            "set_comprehension": "set",
            "generator_expression": "gen",
            "dictionary_comprehension": "dict",
        }[node.type]
        body = _field(node, "body")
        key = None
        if kind == "dict":
            key = self.expr(body.child_by_field_name("key"))
            elt = self.expr(body.child_by_field_name("value"))
        else:
            elt = self.expr(body)
        gens: list[ir.Generator] = []
        for c in node.named_children:
            if c.type == "for_in_clause":
                if any(x.type == "async" for x in c.children):
                    raise Unsupported("async comprehensions", _t(c))
                rights = c.children_by_field_name("right")
                gens.append(ir.Generator(self._targets(_field(c, "left")), self.expr(rights[0])))
            elif c.type == "if_clause":
                gens[-1].conds.append(self.expr(c.named_children[0]))
        return ir.Comp(kind, elt, gens, key)
