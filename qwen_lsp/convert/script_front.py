"""JavaScript / TypeScript syntax tree -> the conversion IR (the reverse rules): ``filter`` /
``map`` chains become comprehensions, template literals f-strings, ``for ... of`` and counted
loops Python loops, typed signatures annotations; names go through ``tables/python.toml``."""

from __future__ import annotations

import json
import re

import tree_sitter as ts

from . import ir
from .backend import table
from .ir import Unsupported


def _t(node: ts.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _field(node: ts.Node, name: str) -> ts.Node:
    """A child the grammar requires (always there in a tree without errors)."""
    child = node.child_by_field_name(name)
    if child is None:
        raise Unsupported(f"{ir.kind(node.type)} without its {name}", _t(node))
    return child


def rename(e: ir.Expr, old: str, new: str) -> ir.Expr:
    """``e`` with the name ``old`` replaced by ``new`` (lambda parameters of a chain)."""
    if old == new:
        return e
    if isinstance(e, ir.Name):
        return ir.Name(new) if e.id == old else e
    if isinstance(e, ir.Lambda) and old in e.params:
        return e
    fields: dict[str, object] = {}
    for key, value in vars(e).items():
        if isinstance(value, ir.Expr):
            fields[key] = rename(value, old, new)
        elif isinstance(value, list):
            fields[key] = [
                rename(v, old, new)
                if isinstance(v, ir.Expr)
                else (rename(v[0], old, new), v[1])
                if isinstance(v, tuple) and v and isinstance(v[0], ir.Expr)
                else v
                for v in value
            ]
        else:
            fields[key] = value
    return type(e)(**fields)


def _unescape(node: ts.Node) -> str:
    text = _t(node)
    if node.type != "escape_sequence":
        return text
    if text.startswith("\\x"):
        return chr(int(text[2:], 16))
    if text.startswith("\\u{"):
        return chr(int(text[3:-1], 16))
    try:
        return json.loads('"' + text + '"')
    except ValueError:
        return text[1:]  # \' and other identity escapes


class ScriptFront:
    """Reads JavaScript (and TypeScript) statements and expressions."""

    def __init__(self, source: bytes, typescript: bool = False) -> None:
        self.source = source
        self.typescript = typescript
        self.records: set[str] = set()
        names = table("python")["javascript"]
        self.methods: dict[str, str] = names["methods"]
        self.calls: dict[str, str] = names["calls"]
        self.types: dict[str, str] = names["types"]

    # -- types --------------------------------------------------------------------------------

    def type(self, node: ts.Node | None) -> ir.Type | None:
        if node is None:
            return None
        if node.type == "type_annotation":
            node = node.named_children[0]
        t = node.type
        if t in ("predefined_type", "type_identifier"):
            name = _t(node)
            return ir.Type(self.types.get(name, name))
        if t == "array_type":
            inner = self.type(node.named_children[0])
            return ir.Type("list", [inner] if inner else [])
        if t == "generic_type":
            name = _t(node.child_by_field_name("name"))
            args = [self.type(a) for a in _field(node, "type_arguments").named_children]
            return ir.Type(self.types.get(name, name), [a for a in args if a is not None])
        if t == "union_type":
            parts = [c for c in node.named_children]
            nulls = [p for p in parts if _t(p) in ("null", "undefined")]
            rest = [self.type(p) for p in parts if p not in nulls]
            if len(rest) == 1 and rest[0] is not None:
                rest[0].optional = bool(nulls)
                return rest[0]
            return ir.Type("Union", [r for r in rest if r is not None])
        if t == "literal_type" and _t(node) == "null":
            return ir.Type("None")
        if t == "parenthesized_type":
            return self.type(node.named_children[0])
        raise Unsupported("this type", _t(node))

    # -- statements ---------------------------------------------------------------------------

    def statements(self, nodes: list[ts.Node]) -> list[ir.Stmt]:
        out: list[ir.Stmt] = []
        for node in nodes:
            if node.type == "comment":
                text = _t(node)
                text = text[2:] if text.startswith("//") else text[2:-2]
                out.append(
                    ir.Comment(
                        "\n".join(
                            line.strip().lstrip("*").strip() for line in text.strip().splitlines()
                        )
                    )
                )
            elif node.type != "empty_statement":
                out.extend(self._statement(node))
        return out

    def statement(self, node: ts.Node) -> ir.Stmt:
        found = self._statement(node)
        if len(found) != 1:
            raise Unsupported("a declaration of several variables", _t(node))
        return found[0]

    def block(self, node: ts.Node | None) -> list[ir.Stmt]:
        if node is None:
            return []
        if node.type == "statement_block":
            return self.statements(list(node.named_children))
        return self.statements([node])

    def _statement(self, node: ts.Node) -> list[ir.Stmt]:
        t = node.type
        if t in ("lexical_declaration", "variable_declaration"):
            out: list[ir.Stmt] = []
            for decl in node.named_children:
                if decl.type != "variable_declarator":
                    continue
                name = decl.child_by_field_name("name")
                value = decl.child_by_field_name("value")
                if name is None or name.type != "identifier":
                    raise Unsupported("destructuring", _t(decl))
                if value is None:
                    raise Unsupported("a declaration without a value", _t(decl))
                if value.type in ("arrow_function", "function_expression", "function"):
                    out.append(self.function(value, _t(name)))
                    continue
                if value.type == "object":
                    self.records.add(_t(name))  # an object used as a dict: members are keys
                out.append(
                    ir.Assign(
                        ir.Name(_t(name)),
                        self.expr(value),
                        self.type(decl.child_by_field_name("type")),
                    )
                )
            return out
        if t == "expression_statement":
            inner = node.named_children[0]
            if inner.type == "assignment_expression":
                return [
                    ir.Assign(
                        self.expr(inner.child_by_field_name("left")),
                        self.expr(inner.child_by_field_name("right")),
                    )
                ]
            if inner.type == "augmented_assignment_expression":
                op = _t(inner.child_by_field_name("operator"))[:-1]
                if op not in ("+", "-", "*", "/", "%", "**", "|", "&", "^", "<<", ">>"):
                    raise Unsupported(f"the {op}= operator", _t(inner))
                return [
                    ir.AugAssign(
                        self.expr(inner.child_by_field_name("left")),
                        op,
                        self.expr(inner.child_by_field_name("right")),
                    )
                ]
            if inner.type == "update_expression":
                op = "+" if "++" in _t(inner) else "-"
                return [
                    ir.AugAssign(self.expr(inner.child_by_field_name("argument")), op, ir.Num("1"))
                ]
            if inner.type == "call_expression":
                special = self._statement_call(inner)
                if special is not None:
                    return [special]
            return [ir.ExprStmt(self.expr(inner))]
        if t == "return_statement":
            value = node.named_children[0] if node.named_children else None
            return [ir.Return(self.expr(value) if value is not None else None)]
        if t == "if_statement":
            result = ir.If(
                self.expr(node.child_by_field_name("condition")),
                self.block(node.child_by_field_name("consequence")),
            )
            alt = node.child_by_field_name("alternative")
            if alt is not None:
                alt_body = alt.named_children[0] if alt.named_children else None
                result.orelse = self.block(alt_body) if alt_body is not None else []
            return [result]
        if t == "for_in_statement":
            left = _field(node, "left")
            if left.type == "identifier":
                target = [_t(left)]
            elif left.type == "array_pattern" and all(
                c.type == "identifier" for c in left.named_children
            ):
                target = [_t(c) for c in left.named_children]
            else:
                raise Unsupported("this loop target", _t(left))
            iterable = self.expr(node.child_by_field_name("right"))
            if _t(node.child_by_field_name("operator")) == "in":
                iterable = iterable  # keys of an object: the same in Python
            return [ir.For(target, iterable, self.block(node.child_by_field_name("body")))]
        if t == "for_statement":
            return [self._counted(node)]
        if t == "while_statement":
            return [
                ir.While(
                    self.expr(node.child_by_field_name("condition")),
                    self.block(node.child_by_field_name("body")),
                )
            ]
        if t == "break_statement":
            return [ir.Break()]
        if t == "continue_statement":
            return [ir.Continue()]
        if t == "function_declaration":
            return [self.function(node, _t(node.child_by_field_name("name")))]
        if t == "statement_block":
            return self.block(node)
        if t == "export_statement":
            declaration = node.child_by_field_name("declaration")
            if declaration is not None:
                return self._statement(declaration)
        raise Unsupported(ir.kind(t), _t(node))

    def _statement_call(self, node: ts.Node) -> ir.Stmt | None:
        """``d.set(k, v)`` -> ``d[k] = v``."""
        func = _field(node, "function")
        args = [a for a in _field(node, "arguments").named_children if a.type != "comment"]
        if (
            func.type == "member_expression"
            and _t(func.child_by_field_name("property")) == "set"
            and len(args) == 2
        ):
            return ir.Assign(
                ir.Index(self.expr(func.child_by_field_name("object")), self.expr(args[0])),
                self.expr(args[1]),
            )
        return None

    def _counted(self, node: ts.Node) -> ir.Stmt:
        init = node.child_by_field_name("initializer")
        cond = node.child_by_field_name("condition")
        update = node.child_by_field_name("increment")
        body = self.block(node.child_by_field_name("body"))
        decls = [
            d
            for d in (init.named_children if init is not None else [])
            if d.type == "variable_declarator"
        ]
        if len(decls) != 1 or cond is None or update is None:
            raise Unsupported("this for loop", _t(node))
        var = _t(decls[0].child_by_field_name("name"))
        start = self.expr(decls[0].child_by_field_name("value"))
        if cond.type == "expression_statement":
            cond = cond.named_children[0]
        if cond.type != "binary_expression" or _t(cond.child_by_field_name("left")) != var:
            raise Unsupported("this loop condition", _t(cond))
        op = _t(cond.child_by_field_name("operator"))
        stop = self.expr(cond.child_by_field_name("right"))
        text = _t(update).replace(" ", "")
        step: ir.Expr | None
        if text in (f"{var}++", f"++{var}", f"{var}+=1"):
            step = None
        elif text in (f"{var}--", f"--{var}", f"{var}-=1"):
            step = ir.Unary("-", ir.Num("1"))
        elif m := re.fullmatch(rf"{re.escape(var)}\+=(\d+)", text):
            step = ir.Num(m.group(1))
        else:
            raise Unsupported("this loop step", _t(update))
        if op == "<=":
            stop = ir.BinOp("+", stop, ir.Num("1"))
        elif op == ">=":
            stop = ir.BinOp("-", stop, ir.Num("1"))
        elif op not in ("<", ">"):
            raise Unsupported("this loop condition", _t(cond))
        return ir.ForRange(var, start, stop, step, body)

    def function(self, node: ts.Node, name: str) -> ir.FunctionDef:
        if any(c.type == "async" for c in node.children):
            raise Unsupported("an async function", _t(node))
        params_node = node.child_by_field_name("parameters") or node.child_by_field_name(
            "parameter"
        )
        params: list[ir.Param] = []
        if params_node is not None and params_node.type == "identifier":
            params.append(ir.Param(_t(params_node)))
        elif params_node is not None:
            for p in params_node.named_children:
                if p.type == "identifier":
                    params.append(ir.Param(_t(p)))
                elif p.type == "assignment_pattern":
                    params.append(
                        ir.Param(
                            _t(p.child_by_field_name("left")),
                            None,
                            self.expr(p.child_by_field_name("right")),
                        )
                    )
                elif p.type in ("required_parameter", "optional_parameter"):
                    pattern = p.child_by_field_name("pattern")
                    if pattern is None or pattern.type != "identifier":
                        raise Unsupported("a destructured parameter", _t(p))
                    value = p.child_by_field_name("value")
                    params.append(
                        ir.Param(
                            _t(pattern),
                            self.type(p.child_by_field_name("type")),
                            self.expr(value) if value is not None else None,
                        )
                    )
                elif p.type != "comment":
                    raise Unsupported("rest or destructured parameters", _t(p))
        body = node.child_by_field_name("body")
        stmts: list[ir.Stmt] = (
            self.block(body)
            if body is not None and body.type == "statement_block"
            else [ir.Return(self.expr(body))]
        )
        returns = self.type(node.child_by_field_name("return_type"))
        return ir.FunctionDef(name, params, returns, stmts)

    # -- expressions ------------------------------------------------------------------------------

    def expr(self, node: ts.Node | None) -> ir.Expr:
        if node is None:
            raise Unsupported("a missing expression")
        t = node.type
        if t == "identifier":
            name = _t(node)
            return ir.Null() if name == "undefined" else ir.Name(name)
        if t == "this":
            return ir.Name("self")
        if t == "number":
            text = _t(node).replace("_", "")
            if text.endswith("n"):
                raise Unsupported("a BigInt", text)
            return ir.Num(text, "." in text or "e" in text.lower())
        if t == "string":
            return ir.Str("".join(_unescape(c) for c in node.named_children))
        if t in ("true", "false"):
            return ir.Bool(t == "true")
        if t in ("null", "undefined"):
            return ir.Null()
        if t == "template_string":
            return self._template(node)
        if t == "parenthesized_expression":
            return self.expr(node.named_children[0])
        if t == "array":
            if any(c.type == "spread_element" for c in node.named_children):
                raise Unsupported("spread in an array", _t(node))
            return ir.ListLit([self.expr(c) for c in node.named_children if c.type != "comment"])
        if t == "object":
            pairs = []
            for c in node.named_children:
                if c.type == "pair":
                    key = _field(c, "key")
                    k: ir.Expr = (
                        ir.Str(_t(key)) if key.type == "property_identifier" else self.expr(key)
                    )
                    pairs.append((k, self.expr(c.child_by_field_name("value"))))
                elif c.type == "shorthand_property_identifier":
                    pairs.append((ir.Str(_t(c)), ir.Name(_t(c))))
                elif c.type != "comment":
                    raise Unsupported("this object member", _t(c))
            return ir.DictLit(pairs)
        if t == "binary_expression":
            return self._binary(node)
        if t == "unary_expression":
            op = _t(node.child_by_field_name("operator"))
            arg = self.expr(node.child_by_field_name("argument"))
            if op == "!":
                return ir.Unary("not", arg)
            if op in ("-", "+", "~"):
                return ir.Unary(op, arg)
            raise Unsupported(f"the {op} operator", _t(node))
        if t == "ternary_expression":
            return ir.Cond(
                self.expr(node.child_by_field_name("condition")),
                self.expr(node.child_by_field_name("consequence")),
                self.expr(node.child_by_field_name("alternative")),
            )
        if t == "member_expression":
            obj = _field(node, "object")
            prop = _t(node.child_by_field_name("property"))
            if prop == "length":
                return ir.Call("len", [self.expr(obj)])
            if any(c.type == "?." for c in node.children):
                raise Unsupported("optional chaining", _t(node))
            if self._is_record(obj):
                return ir.Index(self.expr(obj), ir.Str(prop))
            return ir.Attr(self.expr(obj), prop)
        if t == "subscript_expression":
            return ir.Index(
                self.expr(node.child_by_field_name("object")),
                self.expr(node.child_by_field_name("index")),
            )
        if t == "call_expression":
            return self._call(node)
        if t == "new_expression":
            ctor = _t(node.child_by_field_name("constructor"))
            args = node.child_by_field_name("arguments")
            values = [self.expr(a) for a in args.named_children] if args is not None else []
            if ctor == "Set":
                return ir.Call("set", values)
            if ctor == "Map" and not values:
                return ir.DictLit([])
            if ctor == "Array" and not values:
                return ir.ListLit([])
            raise Unsupported(f"new {ctor}()", _t(node))
        if t == "arrow_function":
            params_node = node.child_by_field_name("parameters") or node.child_by_field_name(
                "parameter"
            )
            body = _field(node, "body")
            if body.type == "statement_block":
                raise Unsupported("an arrow function with a block body", _t(node))
            if params_node is None:
                raise Unsupported("an arrow function without parameters", _t(node))
            names = (
                [_t(params_node)]
                if params_node.type == "identifier"
                else [_t(p) for p in params_node.named_children]
            )
            return ir.Lambda(names, self.expr(body))
        raise Unsupported(ir.kind(t), _t(node))

    def _is_record(self, node: ts.Node) -> bool:
        """Whether ``node`` names an object literal of the selection (or a member of one)."""
        if node.type == "identifier":
            return _t(node) in self.records
        if node.type == "member_expression":
            return self._is_record(_field(node, "object"))
        return False

    def _binary(self, node: ts.Node) -> ir.Expr:
        op = _t(node.child_by_field_name("operator"))
        left = self.expr(node.child_by_field_name("left"))
        right = self.expr(node.child_by_field_name("right"))
        if op in ("===", "=="):
            return ir.Compare("is" if isinstance(right, ir.Null) else "==", left, right)
        if op in ("!==", "!="):
            return ir.Compare("is not" if isinstance(right, ir.Null) else "!=", left, right)
        if op in ("<", "<=", ">", ">="):
            return ir.Compare(op, left, right)
        if op in ("&&", "||"):
            kind = "and" if op == "&&" else "or"
            values = (
                left.values if isinstance(left, ir.BoolOp) and left.op == kind else [left]
            ) + [right]
            return ir.BoolOp(kind, values)
        if op == "??":
            return ir.Cond(ir.Compare("is not", left, ir.Null()), left, right)
        if op == "in":
            return ir.Compare("in", left, right)
        if op in ("+", "-", "*", "/", "%", "**", "&", "|", "^", "<<", ">>"):
            return ir.BinOp(op, left, right)
        raise Unsupported(f"the {op} operator", _t(node))

    def _template(self, node: ts.Node) -> ir.FStr:
        parts: list[str | tuple[ir.Expr, str]] = []
        for c in node.named_children:
            if c.type == "string_fragment":
                parts.append(_t(c))
            elif c.type == "escape_sequence":
                parts.append(_unescape(c))
            elif c.type == "template_substitution":
                inner = c.named_children[0]
                spec = ""
                if (
                    inner.type == "call_expression"
                    and _field(inner, "function").type == "member_expression"
                    and _t(_field(inner, "function").child_by_field_name("property")) == "toFixed"
                ):
                    digits = _field(inner, "arguments").named_children
                    spec = f".{_t(digits[0])}f" if digits else ".0f"
                    inner = _field(_field(inner, "function"), "object")
                parts.append((self.expr(inner), spec))
        return ir.FStr(parts)

    def _call(self, node: ts.Node) -> ir.Expr:
        func = _field(node, "function")
        arg_nodes = [a for a in _field(node, "arguments").named_children if a.type != "comment"]
        if any(a.type == "spread_element" for a in arg_nodes):
            if _t(func) in ("Math.max", "Math.min") and len(arg_nodes) == 1:
                return ir.Call(_t(func)[5:], [self.expr(arg_nodes[0].named_children[0])])
            raise Unsupported("spread arguments", _t(node))
        dotted = _t(func)
        if func.type == "member_expression":
            obj_node = func.child_by_field_name("object")
            name = _t(func.child_by_field_name("property"))
            if dotted == "Math.floor" and len(arg_nodes) == 1:
                inner = arg_nodes[0]
                while inner.type == "parenthesized_expression":
                    inner = inner.named_children[0]
                if (
                    inner.type == "binary_expression"
                    and _t(inner.child_by_field_name("operator")) == "/"
                ):
                    return ir.BinOp(
                        "//",
                        self.expr(inner.child_by_field_name("left")),
                        self.expr(inner.child_by_field_name("right")),
                    )
            if dotted in ("Object.entries", "Object.values") and len(arg_nodes) == 1:
                return ir.Method(
                    self.expr(arg_nodes[0]), "items" if name == "entries" else "values", []
                )
            if dotted in self.calls:
                return ir.Call(self.calls[dotted], [self.expr(a) for a in arg_nodes])
            if (
                name in ("map", "filter")
                and len(arg_nodes) == 1
                and arg_nodes[0].type == "arrow_function"
            ):
                return self._chain(node)
            if (
                name in ("some", "every")
                and len(arg_nodes) == 1
                and arg_nodes[0].type == "arrow_function"
            ):
                lam = self.expr(arg_nodes[0])
                assert isinstance(lam, ir.Lambda)
                gen = ir.Comp("gen", lam.body, [ir.Generator(lam.params[:1], self.expr(obj_node))])
                return ir.Call("any" if name == "some" else "all", [gen])
            if (
                name == "reduce"
                and len(arg_nodes) == 2
                and re.fullmatch(r"\((\w+),\s*(\w+)\)\s*=>\s*\1\s*\+\s*\2", _t(arg_nodes[0]))
                and _t(arg_nodes[1]) == "0"
            ):
                return ir.Call("sum", [self.expr(obj_node)])
            if name == "includes" and len(arg_nodes) == 1:
                return ir.Compare("in", self.expr(arg_nodes[0]), self.expr(obj_node))
            if name == "join" and len(arg_nodes) <= 1:
                sep = self.expr(arg_nodes[0]) if arg_nodes else ir.Str(",")
                return ir.Method(sep, "join", [self.expr(obj_node)])
            if name == "toFixed" and len(arg_nodes) == 1:
                return ir.FStr([(self.expr(obj_node), f".{_t(arg_nodes[0])}f")])
            if name == "split" and len(arg_nodes) == 1 and arg_nodes[0].type == "regex":
                raise Unsupported("a regular expression", _t(node))
            if name in ("replace",) and arg_nodes and arg_nodes[0].type == "regex":
                raise Unsupported("a regular expression", _t(node))
            return ir.Method(
                self.expr(obj_node), self.methods.get(name, name), [self.expr(a) for a in arg_nodes]
            )
        if dotted in self.calls:
            return ir.Call(self.calls[dotted], [self.expr(a) for a in arg_nodes])
        if func.type == "identifier":
            return ir.Call(dotted, [self.expr(a) for a in arg_nodes])
        raise Unsupported("a call of a computed function", _t(node))

    def _chain(self, node: ts.Node) -> ir.Expr:
        """``xs.filter(x => c).map(x => e)`` -> ``[e for x in xs if c]``."""
        steps: list[tuple[str, ir.Lambda]] = []
        current = node
        while (
            current.type == "call_expression"
            and _field(current, "function").type == "member_expression"
            and _t(_field(current, "function").child_by_field_name("property")) in ("map", "filter")
        ):
            args = [a for a in _field(current, "arguments").named_children if a.type != "comment"]
            if len(args) != 1 or args[0].type != "arrow_function":
                break
            lam = self.expr(args[0])
            if not isinstance(lam, ir.Lambda) or len(lam.params) != 1:
                raise Unsupported("a map/filter callback with an index", _t(current))
            steps.append((_t(_field(current, "function").child_by_field_name("property")), lam))
            current = _field(_field(current, "function"), "object")
        source = self.expr(current)
        steps.reverse()
        name = steps[0][1].params[0]
        gen = ir.Generator([name], source)
        comp = ir.Comp("list", ir.Name(name), [gen])
        mapped = False
        for kind, lam in steps:
            body = rename(lam.body, lam.params[0], name)
            if kind == "filter" and not mapped:
                gen.conds.append(body)
            elif kind == "map" and not mapped:
                comp.elt = body
                mapped = True
            else:  # a filter or map after a map: over the mapped values
                name = lam.params[0]
                gen = ir.Generator([name], comp)
                comp = ir.Comp("list", ir.Name(name), [gen])
                if kind == "filter":
                    gen.conds.append(lam.body)
                    mapped = False
                else:
                    comp.elt = lam.body
        return comp
