"""The intermediate form conversions go through: front ends read a syntax tree into it, back
ends write it in a target language. Operations keep Python's vocabulary (``len``, ``append``,
``upper``); each back end maps them through its table (``convert/tables/*.toml``).

Every node records the rules that produced it (``Node.rule``), so a conversion can say which
rows of the documented table it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Unsupported(Exception):
    """A construct no rule converts (the model may, the result is then parsed)."""

    def __init__(self, what: str, text: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.text = text


def kind(node_type: str) -> str:
    """A syntax node's type as words with an article: ``an import statement``."""
    words = node_type.replace("_", " ")
    return ("an " if words[:1] in "aeiou" else "a ") + words


@dataclass
class Node:
    """Base of every node."""


# -- types ------------------------------------------------------------------------------------


@dataclass
class Type(Node):
    """A type in Python's vocabulary: ``int``, ``list[str]``, ``dict[str, int]``."""

    name: str
    args: list[Type] = field(default_factory=list)
    optional: bool = False


# -- expressions ------------------------------------------------------------------------------


@dataclass
class Expr(Node):
    """Base of expressions."""


@dataclass
class Name(Expr):
    id: str


@dataclass
class Num(Expr):
    text: str
    is_float: bool = False


@dataclass
class Str(Expr):
    value: str


@dataclass
class Bool(Expr):
    value: bool


@dataclass
class Null(Expr):
    pass


@dataclass
class ListLit(Expr):
    elts: list[Expr]


@dataclass
class TupleLit(Expr):
    elts: list[Expr]


@dataclass
class SetLit(Expr):
    elts: list[Expr]


@dataclass
class DictLit(Expr):
    pairs: list[tuple[Expr, Expr]]


@dataclass
class FStr(Expr):
    """An interpolated string: text pieces and ``(expression, format spec)`` pieces."""

    parts: list[str | tuple[Expr, str]]


@dataclass
class BinOp(Expr):
    op: str  # + - * / // % ** & | ^ << >>
    left: Expr
    right: Expr


@dataclass
class Unary(Expr):
    op: str  # - + ~ not
    operand: Expr


@dataclass
class BoolOp(Expr):
    op: str  # and | or
    values: list[Expr]


@dataclass
class Compare(Expr):
    op: str  # == != < <= > >= in not in is is not
    left: Expr
    right: Expr


@dataclass
class Call(Expr):
    """A call of a plain function (builtins are mapped by name)."""

    func: str
    args: list[Expr]
    kwargs: list[tuple[str, Expr]] = field(default_factory=list)


@dataclass
class Method(Expr):
    """``obj.name(args)``."""

    obj: Expr
    name: str
    args: list[Expr]


@dataclass
class Attr(Expr):
    obj: Expr
    name: str


@dataclass
class Index(Expr):
    obj: Expr
    index: Expr


@dataclass
class Slice(Expr):
    obj: Expr
    lower: Expr | None
    upper: Expr | None


@dataclass
class Cond(Expr):
    test: Expr
    body: Expr
    orelse: Expr


@dataclass
class Generator:
    """``for target in iter if cond...`` of a comprehension."""

    target: list[str]  # one name, or several (tuple unpacking)
    iter: Expr
    conds: list[Expr] = field(default_factory=list)


@dataclass
class Comp(Expr):
    kind: str  # list | set | dict | gen
    elt: Expr
    gens: list[Generator]
    key: Expr | None = None  # dict comprehensions


@dataclass
class Lambda(Expr):
    params: list[str]
    body: Expr


# -- statements -------------------------------------------------------------------------------


@dataclass
class Stmt(Node):
    """Base of statements."""


@dataclass
class Assign(Stmt):
    target: Expr
    value: Expr
    type: Type | None = None


@dataclass
class AugAssign(Stmt):
    target: Expr
    op: str
    value: Expr


@dataclass
class ExprStmt(Stmt):
    expr: Expr


@dataclass
class Return(Stmt):
    value: Expr | None = None


@dataclass
class If(Stmt):
    test: Expr
    body: list[Stmt]
    orelse: list[Stmt] = field(default_factory=list)


@dataclass
class For(Stmt):
    target: list[str]
    iter: Expr
    body: list[Stmt]


@dataclass
class ForRange(Stmt):
    var: str
    start: Expr
    stop: Expr
    step: Expr | None
    body: list[Stmt]


@dataclass
class While(Stmt):
    test: Expr
    body: list[Stmt]


@dataclass
class Break(Stmt):
    pass


@dataclass
class Continue(Stmt):
    pass


@dataclass
class Pass(Stmt):
    pass


@dataclass
class Param:
    name: str
    type: Type | None = None
    default: Expr | None = None


@dataclass
class FunctionDef(Stmt):
    name: str
    params: list[Param]
    returns: Type | None
    body: list[Stmt]
    doc: str = ""


@dataclass
class Comment(Stmt):
    text: str


@dataclass
class Opaque(Stmt):
    """A statement no rule converts: its source, for the model (or the conversion fails)."""

    source: str
    what: str
