"""The Python scope model: one walk over the tree that records every binding and every use,
resolves names the way Python does, and lets rules hook in.

Python's rules, as implemented here:

- scopes are the module, classes, functions, lambdas and comprehensions;
- a class body's names are visible in the class body only, not in its methods (uses from
  nested functions skip class scopes); default values, annotations, decorators and base
  classes are evaluated in the enclosing scope;
- ``global`` sends a name's bindings and uses to the module; ``nonlocal`` to the enclosing
  function; ``:=`` binds in the nearest scope that is not a comprehension;
- names used inside ``try:`` blocks whose handlers catch ``NameError`` are not reported;
  identifiers inside syntax errors count as both bound and used (the code is being typed);
- resolution ignores order inside a scope (a name bound anywhere in a function counts for
  every use in it): it never reports use-before-assignment, and never wrongly reports a name
  bound later or in another branch.

**Caching**: every ``def`` and ``class`` is a *chunk*. Its summary (the uses it leaves
unresolved, the module names it binds through ``global``, and every finding inside it) depends
only on its text, so it is cached by that text with offsets relative to its start. A keystroke
re-walks only the function it touched and the statements directly around it.
"""

from __future__ import annotations

import builtins
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import tree_sitter as ts

from ..base import FileContext
from ..findings import Finding

# Bump when the walk or any Python rule changes what a chunk's summary holds.
SUMMARY_VERSION = 1

# Use flags.
VISIBLE = 1  # may resolve in the scope it is being resolved in even if that is a class
GLOBAL = 2  # resolve at module level (declared `global`)
SOFT = 4  # counts as a use (imports, locals are used) but is never reported undefined
GUARDED = 8  # inside `try:` with an `except NameError`: never reported undefined
ATTRIBUTE = 16  # the object of an attribute access (`os.path`): a missing import is likely
ANNOTATION = 32  # inside an annotation

MAX_DEPTH = 100  # deeper nodes are scanned for identifiers without recursion

BUILTINS = frozenset(dir(builtins)) | {
    # Builtins of other versions and platforms, so that version-checked code is not flagged.
    "WindowsError",
    "aiter",
    "anext",
    "EncodingWarning",
    "ExceptionGroup",
    "BaseExceptionGroup",
    "PythonFinalizationError",
    "_IncompleteInputError",
    "__debug__",
    "__build_class__",
    "reveal_type",
    "reveal_locals",
}
MODULE_NAMES = frozenset(
    {
        "__name__",
        "__file__",
        "__doc__",
        "__builtins__",
        "__spec__",
        "__loader__",
        "__package__",
        "__path__",
        "__annotations__",
        "__cached__",
        "__dict__",
        "__module__",
        "__qualname__",
        "__class__",
        "__all__",
        "__conditional_annotations__",
        "__annotate__",
    }
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPE_COMMENT = re.compile(r"#\s*type:\s*(?!ignore\b)(.*)")

_SEQUENCE_TARGETS = frozenset(
    {"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "expression_list"}
)
_NAMEERROR_CATCHERS = frozenset({"NameError", "BaseException", "Exception"})
COMPREHENSIONS = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)


# A node remembered by position, for bindings replayed from the cache: (start, end, type).
NodeRef = tuple[int, int, str]


class Binding:
    """One place a name is bound. Bindings of a walked scope hold their nodes; bindings
    replayed from a cached module-level statement hold positions and find their nodes in
    the live tree when a rule asks (most never are asked)."""

    __slots__ = (
        "_lazy",
        "_node",
        "_stmt",
        "_value",
        "kind",
        "name",
        "scope",
        "start",
        "unpacked",
        "used",
    )

    def __init__(
        self,
        name: str,
        kind: str,
        node: ts.Node | None,
        scope: Scope,
        value: ts.Node | None = None,
        stmt: ts.Node | None = None,
        unpacked: bool = False,
    ) -> None:
        self.name = name
        self.kind = kind  # import, from-import, def, class, param, assign, annotation, for,
        # with, except, walrus, comprehension, match, type-param, soft
        self._node = node
        self.start = node.start_byte if node is not None else -1
        self.scope = scope
        self._value = value
        self._stmt = stmt
        self.unpacked = unpacked
        self.used = False
        self._lazy: tuple[FileContext, NodeRef | None, NodeRef | None, NodeRef | None] | None = None

    @classmethod
    def replayed(
        cls,
        ctx: FileContext,
        name: str,
        kind: str,
        scope: Scope,
        refs: tuple[NodeRef | None, NodeRef | None, NodeRef | None],
        unpacked: bool,
    ) -> Binding:
        """A binding whose nodes are found by position when first needed."""
        b = cls(name, kind, None, scope, None, None, unpacked)
        b._lazy = (ctx, *refs)
        b.start = refs[0][0] if refs[0] is not None else -1
        return b

    def _resolve(self) -> None:
        if self._lazy is None:
            return
        ctx, node, value, stmt = self._lazy
        self._lazy = None
        self._node = ctx.node_at(*node) if node else None
        self._value = ctx.node_at(*value) if value else None
        self._stmt = ctx.node_at(*stmt) if stmt else None

    @property
    def node(self) -> ts.Node | None:
        """The bound identifier."""
        self._resolve()
        return self._node

    @property
    def value(self) -> ts.Node | None:
        """The assigned value (or the import item, the definition...)."""
        self._resolve()
        return self._value

    @property
    def stmt(self) -> ts.Node | None:
        """The statement that binds."""
        self._resolve()
        return self._stmt

    def refs(self, base: int) -> tuple[NodeRef | None, NodeRef | None, NodeRef | None]:
        """Positions of the nodes, relative to ``base`` (for the cache)."""
        out = []
        for n in (self._node, self._value, self._stmt):
            out.append((n.start_byte - base, n.end_byte - base, n.type) if n is not None else None)
        return out[0], out[1], out[2]


@dataclass(frozen=True, slots=True)
class StatementSummary:
    """What one module-level statement does to the module, relative to its start: replayed
    instead of walked when its text comes back unchanged (so a keystroke in a function does
    not walk every top-level statement of the file again)."""

    uses: tuple[Use, ...]
    bindings: tuple[
        tuple[str, str, tuple[NodeRef | None, NodeRef | None, NodeRef | None], bool], ...
    ]
    pending: tuple[tuple[int, tuple[Use, ...], dict | None], ...]
    globals: frozenset[str]
    all_names: tuple[tuple[str, int, int], ...]
    findings: tuple[Finding, ...]
    star_import: bool
    # Notes for module-level rules, nodes as positions (found again in the live tree).
    facts: tuple[tuple[str, object], ...] = ()
    uses_index: dict[str, tuple[int, tuple[Use, ...]]] | None = None


def _ref(value: object, base: int) -> object:
    if isinstance(value, ts.Node):
        return ("@node", value.start_byte - base, value.end_byte - base, value.type)
    if isinstance(value, tuple):
        return tuple(_ref(v, base) for v in value)
    return value


def _unref(value: object, base: int, ctx: FileContext) -> object:
    if isinstance(value, tuple):
        if len(value) == 4 and value[0] == "@node":
            return ctx.node_at(value[1] + base, value[2] + base, value[3])
        return tuple(_unref(v, base, ctx) for v in value)
    return value


class Use(NamedTuple):
    """A name read somewhere (offsets absolute while walking, relative in a cached chunk).
    A tuple: thousands are made per walk, and tuples are cheap."""

    name: str
    start: int
    end: int
    flags: int = 0


class Scope:
    """One scope during a walk."""

    __slots__ = (
        "bindings",
        "calls_locals",
        "chunk_index",
        "facts",
        "globals",
        "kind",
        "node",
        "nonlocals",
        "parent",
        "pending",
        "star_import",
        "uses",
    )

    def __init__(self, kind: str, node: ts.Node, parent: Scope | None) -> None:
        self.kind = kind  # module, class, function, lambda, comprehension
        self.node = node
        self.parent = parent
        self.bindings: dict[str, list[Binding]] = {}
        self.uses: list[Use] = []  # read by this scope's own code
        # Left unresolved by nested scopes, in groups: (offset to add, uses). A cached
        # chunk's uses join as one group, without copying them.
        self.pending: list[tuple[int, Sequence[Use]]] = []
        # For pending groups that are chunk summaries: their by-name index.
        self.chunk_index: dict[int, dict[str, tuple[int, tuple[Use, ...]]]] = {}
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.calls_locals = False
        self.star_import = False
        self.facts: dict[str, list] = {}  # per-rule notes taken during the walk

    def fact(self, key: str) -> list:
        """The list a rule appends its notes for this scope to."""
        got = self.facts.get(key)
        if got is None:
            got = self.facts[key] = []
        return got

    def is_bound(self, name: str) -> bool:
        """Whether ``name`` is bound anywhere in this scope."""
        return name in self.bindings

    def pending_uses(self) -> Iterator[Use]:
        """Uses of nested scopes, with absolute offsets."""
        for base, group in self.pending:
            if base == 0:
                yield from group
            else:
                for u in group:
                    yield Use(u.name, u.start + base, u.end + base, u.flags)

    def all_uses(self) -> Iterator[Use]:
        """Every use made in this scope or nested in it, with absolute offsets."""
        yield from self.uses
        yield from self.pending_uses()

    def uses_of(self, name: str) -> Iterator[Use]:
        """Uses of ``name`` (own and nested), absolute offsets."""
        for u in self.uses:
            if u.name == name:
                yield u
        for base, group in self.pending:
            for u in group:
                if u.name == name:
                    yield Use(u.name, u.start + base, u.end + base, u.flags)

    def names_used(self) -> set[str]:
        """Names read by this scope's own code or nested scopes (resolved or not)."""
        names = {u.name for u in self.uses}
        for _, group in self.pending:
            names.update(u.name for u in group)
        return names


@dataclass(frozen=True, slots=True)
class ChunkSummary:
    """What a ``def``/``class`` leaves for its parent, in offsets relative to its start."""

    uses: tuple[Use, ...]
    global_binds: frozenset[str]
    findings: tuple[Finding, ...]
    # The same uses by name: (union of their flags, the uses). The parent resolves a name
    # once per chunk, not once per use (a module has thousands of uses of builtins).
    by_name: dict[str, tuple[int, tuple[Use, ...]]]


def chunk_summary(
    uses: tuple[Use, ...], global_binds: frozenset[str], findings: tuple[Finding, ...]
) -> ChunkSummary:
    """A summary with its by-name index."""
    grouped: dict[str, list[Use]] = {}
    for u in uses:
        grouped.setdefault(u.name, []).append(u)
    by_name = {}
    for name, group in grouped.items():
        union = 0
        for u in group:
            union |= u.flags
        by_name[name] = (union, tuple(group))
    return ChunkSummary(uses, global_binds, findings, by_name)


NodeHook = Callable[[ts.Node, "Walker"], None]
ScopeHook = Callable[[Scope, "Walker"], None]
NODE_HOOKS: dict[str, list[NodeHook]] = {}
SCOPE_HOOKS: list[ScopeHook] = []


def on_node(*types: str) -> Callable[[NodeHook], NodeHook]:
    """Run the decorated function on every node of these types, before its children."""

    def deco(fn: NodeHook) -> NodeHook:
        for t in types:
            NODE_HOOKS.setdefault(t, []).append(fn)
        return fn

    return deco


def on_scope_end(fn: ScopeHook) -> ScopeHook:
    """Run the decorated function when a scope is complete (its names resolved)."""
    SCOPE_HOOKS.append(fn)
    return fn


class Walker:
    """One walk of a Python file (reusing cached chunk summaries)."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.data = ctx.data
        self.cache = ctx.cache
        self.scope: Scope = Scope("module", ctx.root, None)
        self.module = self.scope
        self.sink: list[Use] = self.scope.uses
        self.findings: list[list[Finding]] = [[]]
        self.loops: list[ts.Node] = []  # loops (and comprehensions) around, in this function
        self.flags = 0  # GUARDED / SOFT while inside such a region
        self.in_annotation = False
        self.depth = 0
        self.all_names: list[tuple[str, int, int]] = []  # strings in __all__
        self.module_globals: set[str] = set()  # bound in functions through `global`
        self.unresolved: list[Use] = []  # the module's unresolved uses, once resolved
        self.journal: list[Binding] | None = None  # module bindings of the statement walked
        self._dispatch: dict[str, Callable[[ts.Node], None]] = {
            "identifier": self._identifier,
            "import_statement": self._import,
            "import_from_statement": self._import_from,
            "future_import_statement": _skip,
            "function_definition": self._chunk,
            "class_definition": self._chunk,
            "decorated_definition": self._decorated,
            "assignment": self._assignment,
            "augmented_assignment": self._augmented,
            "for_statement": self._for,
            "while_statement": self._while,
            "with_statement": self._with,
            "try_statement": self._try,
            "except_clause": self._except,
            "global_statement": self._global,
            "nonlocal_statement": self._nonlocal,
            "named_expression": self._walrus,
            "lambda": self._lambda,
            "list_comprehension": self._comprehension,
            "set_comprehension": self._comprehension,
            "dictionary_comprehension": self._comprehension,
            "generator_expression": self._comprehension,
            "match_statement": self._match,
            "type_alias_statement": self._type_alias,
            "attribute": self._attribute,
            "keyword_argument": self._keyword_argument,
            "call": self._call,
            "string": self._string,
            "comment": self._comment,
            "ERROR": self._error,
            "type": self._annotation,
        }

    # -- reporting ---------------------------------------------------------------------

    def function_scope(self) -> Scope:
        """The nearest scope that is not a comprehension (where rules keep their notes)."""
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        return scope

    def report(self, finding: Finding) -> None:
        """Record a finding (it is cached with the innermost chunk around it)."""
        self.findings[-1].append(finding)

    def text(self, node: ts.Node) -> str:
        """Source text of ``node``."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # -- the walk ----------------------------------------------------------------------

    def walk_module(self) -> Scope:
        """Walk the whole file; returns the module scope (not yet resolved)."""
        root = self.ctx.root
        for hook in NODE_HOOKS.get(root.type, ()):
            hook(root, self)
        data = self.data
        cache = self.cache
        for child in root.named_children:
            if cache is None or child.type in ("function_definition", "class_definition"):
                self.visit(child)  # defs and classes are chunks: cached inside visit
                continue
            key = (
                "pystmt",
                SUMMARY_VERSION,
                child.type,
                child.start_point[1],
                data[child.start_byte : child.end_byte],
            )
            summary = cache.get(key)
            if summary is None:
                cache.put(key, self._walk_statement(child), len(key[4]) + 64)
            else:
                self._replay(child.start_byte, summary)
        return self.module

    def _walk_statement(self, node: ts.Node) -> StatementSummary:
        """Walk one module-level statement, recording what it does."""
        module = self.module
        facts_before = {k: len(v) for k, v in module.facts.items()}
        uses_before = len(module.uses)
        pending_before = len(module.pending)
        all_before = len(self.all_names)
        findings_before = len(self.findings[0])
        globals_before = set(self.module_globals)
        star_before = module.star_import
        self.journal = []
        try:
            self.visit(node)
        finally:
            journal, self.journal = self.journal, None
        base = node.start_byte
        facts = tuple(
            (key, _ref(item, base))
            for key, items in module.facts.items()
            for item in items[facts_before.get(key, 0) :]
        )
        uses = tuple(
            Use(u.name, u.start - base, u.end - base, u.flags) for u in module.uses[uses_before:]
        )
        return StatementSummary(
            uses=uses,
            uses_index=chunk_summary(uses, frozenset(), ()).by_name,
            bindings=tuple((b.name, b.kind, b.refs(base), b.unpacked) for b in journal),
            pending=tuple(
                # A chunk's group is relative to the chunk: keep it, note where the chunk
                # is; a lambda's or comprehension's group is absolute: make it relative.
                (group_base - base, tuple(group), module.chunk_index[i])
                if i in module.chunk_index
                else (
                    0,
                    tuple(Use(u.name, u.start - base, u.end - base, u.flags) for u in group),
                    None,
                )
                for i, (group_base, group) in enumerate(module.pending)
                if i >= pending_before
            ),
            globals=frozenset(self.module_globals - globals_before),
            all_names=tuple((n, s - base, e - base) for n, s, e in self.all_names[all_before:]),
            findings=tuple(f.shifted(-base) for f in self.findings[0][findings_before:]),
            star_import=module.star_import and not star_before,
            facts=facts,
        )

    def _replay(self, base: int, summary: StatementSummary) -> None:
        """Apply a cached statement's effects at its new offset."""
        module = self.module
        if summary.uses:
            module.pending.append((base, summary.uses))
            if summary.uses_index is not None:  # always set by _walk_statement
                module.chunk_index[len(module.pending) - 1] = summary.uses_index
        for offset, group, index in summary.pending:
            module.pending.append((base + offset, group))
            if index is not None:
                module.chunk_index[len(module.pending) - 1] = index
        for name, kind, refs, unpacked in summary.bindings:
            node_ref, value_ref, stmt_ref = (
                (r[0] + base, r[1] + base, r[2]) if r is not None else None for r in refs
            )
            shifted = (node_ref, value_ref, stmt_ref)
            module.bindings.setdefault(name, []).append(
                Binding.replayed(self.ctx, name, kind, module, shifted, unpacked)
            )
        self.module_globals.update(summary.globals)
        self.all_names.extend((n, s + base, e + base) for n, s, e in summary.all_names)
        self.findings[0].extend(f.shifted(base) for f in summary.findings)
        if summary.star_import:
            module.star_import = True
        for key, item in summary.facts:
            module.fact(key).append(_unref(item, base, self.ctx))

    def visit(self, node: ts.Node) -> None:
        """Visit ``node``: hooks first, then its handler (or its named children)."""
        if self.depth > MAX_DEPTH:
            # Generated code nests deeper than Python's stack allows us to follow: its names
            # still count as used, and nothing in it is reported.
            self._scan_soft(node)
            return
        self.depth += 1
        t = node.type
        hooks = NODE_HOOKS.get(t)
        if hooks is not None:
            for hook in hooks:
                hook(node, self)
        handler = self._dispatch.get(t)
        if handler is not None:
            handler(node)
            if node.has_error and t != "ERROR":
                # Handlers visit the fields they know; code being typed sits in ERROR
                # children anywhere.
                for child in node.children:
                    if child.type == "ERROR":
                        self._error(child)
        else:
            for child in node.named_children:
                self.visit(child)
        self.depth -= 1

    def visit_all(self, nodes: list[ts.Node]) -> None:
        """Visit each node."""
        for n in nodes:
            self.visit(n)

    def use(self, node: ts.Node, extra: int = 0) -> None:
        """Record a read of the identifier ``node``."""
        name = self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")
        if not name.isascii():
            name = unicodedata.normalize("NFKC", name)  # as Python's parser does
        if self.in_annotation:
            extra |= ANNOTATION
        self.sink.append(Use(name, node.start_byte, node.end_byte, VISIBLE | self.flags | extra))

    def bind(
        self,
        node: ts.Node,
        kind: str,
        value: ts.Node | None = None,
        stmt: ts.Node | None = None,
        unpacked: bool = False,
        scope: Scope | None = None,
        name: str | None = None,
    ) -> Binding:
        """Record a binding of the identifier ``node`` in ``scope`` (default: current)."""
        scope = scope or self.scope
        if name is None:
            name = self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")
            if not name.isascii():
                name = unicodedata.normalize("NFKC", name)
        binding = Binding(name, kind, node, scope, value, stmt, unpacked)
        if self.journal is not None and scope is self.module:
            self.journal.append(binding)
        if name in scope.globals and scope.kind != "module":
            # Bound at module level: the module learns it from the chunk's summary.
            self.module_globals.add(name)
        elif name in scope.nonlocals:
            # Assigning a nonlocal writes the enclosing function's variable: a use there.
            self.sink.append(Use(name, node.start_byte, node.end_byte, SOFT))
        else:
            scope.bindings.setdefault(name, []).append(binding)
        return binding

    def bind_target(
        self,
        node: ts.Node,
        kind: str,
        value: ts.Node | None = None,
        stmt: ts.Node | None = None,
        unpacked: bool = False,
    ) -> None:
        """Bind every name an assignment target binds; visit the rest (``a.b``, ``a[i]``)."""
        t = node.type
        if t == "identifier":
            self.bind(node, kind, value, stmt, unpacked)
        elif t in _SEQUENCE_TARGETS:
            for c in node.named_children:
                self.bind_target(c, kind, None, stmt, True)
        elif t in ("list_splat_pattern", "list_splat", "parenthesized_expression"):
            for c in node.named_children:
                self.bind_target(c, kind, None, stmt, unpacked)
        else:
            self.visit(node)

    # -- handlers ----------------------------------------------------------------------

    def _identifier(self, node: ts.Node) -> None:
        self.use(node)

    def _scan_soft(self, node: ts.Node) -> None:
        """Every identifier under ``node`` as a soft use, without recursion."""
        cursor = node.walk()
        while True:
            n = cursor.node
            if n is not None and n.type == "identifier":
                self.use(n, SOFT)
            if cursor.goto_first_child():
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent() or cursor.node == node:
                    return

    def _error(self, node: ts.Node) -> None:
        # Code being typed: names in it may be bound or used; never report them.
        cursor = node.walk()
        while True:
            n = cursor.node
            if n is not None and n.type == "identifier":
                self.use(n, SOFT)
                self.bind(n, "soft")
            if cursor.goto_first_child():
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent() or cursor.node == node:
                    return

    def _import(self, node: ts.Node) -> None:
        for name in node.children_by_field_name("name"):
            if name.type == "aliased_import":
                alias = name.child_by_field_name("alias")
                if alias is not None:
                    self.bind(alias, "import", value=name, stmt=node)
            else:
                first = name.named_children[0] if name.named_child_count else name
                self.bind(first, "import", value=name, stmt=node)

    def _import_from(self, node: ts.Node) -> None:
        for child in node.named_children:
            if child.type == "wildcard_import":
                self.scope.star_import = True
        for name in node.children_by_field_name("name"):
            if name.type == "aliased_import":
                alias = name.child_by_field_name("alias")
                if alias is not None:
                    self.bind(alias, "from-import", value=name, stmt=node)
            else:
                last = name.named_children[-1] if name.named_child_count else name
                self.bind(last, "from-import", value=name, stmt=node)

    def _decorated(self, node: ts.Node) -> None:
        for child in node.named_children:
            self.visit(child)

    def _chunk(self, node: ts.Node) -> None:
        name = node.child_by_field_name("name")
        kind = "def" if node.type == "function_definition" else "class"
        if name is not None:
            self.bind(name, kind, value=node, stmt=node)
        summary = self._chunk_summary(node)
        base = node.start_byte
        if summary.uses:
            self.scope.pending.append((base, summary.uses))
            self.scope.chunk_index[len(self.scope.pending) - 1] = summary.by_name
        for name_ in summary.global_binds:
            self.module_globals.add(name_)
        self.findings[-1].extend(f.shifted(base) for f in summary.findings)

    def _chunk_summary(self, node: ts.Node) -> ChunkSummary:
        key = None
        if self.cache is not None:
            key = (
                "py",
                SUMMARY_VERSION,
                node.start_point[1],
                self.data[node.start_byte : node.end_byte],
            )
            cached = self.cache.get(key)
            if cached is not None:
                return cached
        try:
            summary = self._walk_chunk(node)
        except RecursionError:
            summary = self._soft_summary(node)
        if key is not None and self.cache is not None:
            self.cache.put(key, summary, len(key[3]) + 64)
        return summary

    def _soft_summary(self, node: ts.Node) -> ChunkSummary:
        """A chunk too deep to walk: every identifier in it is a soft use, nothing else."""
        saved = self.sink
        self.sink = []
        self._scan_soft(node)
        uses, self.sink = self.sink, saved
        base = node.start_byte
        rel = tuple(Use(u.name, u.start - base, u.end - base, SOFT) for u in uses)
        return chunk_summary(rel, frozenset(), ())

    def _walk_chunk(self, node: ts.Node) -> ChunkSummary:
        saved = (
            self.scope,
            self.sink,
            self.loops,
            self.flags,
            self.depth,
            self.module_globals,
            self.in_annotation,
            len(self.findings),
        )
        kind = "function" if node.type == "function_definition" else "class"
        scope = Scope(kind, node, self.scope)
        outer: list[Use] = []
        self.findings.append([])
        # A chunk's summary may depend on its text only: nothing from around it carries in.
        self.module_globals = set()
        self.flags = 0
        self.depth = 0
        self.in_annotation = False
        try:
            type_params = self._type_params(node.child_by_field_name("type_parameters"), scope)
            self.sink = outer  # defaults, annotations and bases: evaluated in the parent
            if kind == "function":
                self._parameters(node.child_by_field_name("parameters"), scope)
                ret = node.child_by_field_name("return_type")
                if ret is not None:
                    self.visit(ret)
            else:
                bases = node.child_by_field_name("superclasses")
                if bases is not None:
                    self.visit(bases)
            self.scope, self.sink, self.loops = scope, scope.uses, []
            body = node.child_by_field_name("body")
            if body is not None:
                self.visit(body)
            unresolved = self.resolve(scope)
            self.end_scope(scope)
            findings = self.findings[-1]
            global_binds = frozenset(self.module_globals)
        finally:
            (
                self.scope,
                self.sink,
                self.loops,
                self.flags,
                self.depth,
                self.module_globals,
                self.in_annotation,
                depth_of_findings,
            ) = saved
            del self.findings[depth_of_findings:]
        base = node.start_byte
        uses = tuple(
            Use(u.name, u.start - base, u.end - base, u.flags)
            for u in outer
            if u.name not in type_params
        ) + tuple(Use(u.name, u.start - base, u.end - base, u.flags) for u in unresolved)
        return chunk_summary(uses, global_binds, tuple(f.shifted(-base) for f in findings))

    def _type_params(self, node: ts.Node | None, scope: Scope) -> set[str]:
        names: set[str] = set()
        if node is None:
            return names
        for t in node.named_children:
            ident = t.named_children[0] if t.named_child_count else t
            while ident.type != "identifier" and ident.named_child_count:
                ident = ident.named_children[0]
            if ident.type == "identifier":
                self.bind(ident, "type-param", scope=scope)
                names.add(self.text(ident))
        return names

    def _parameters(self, params: ts.Node | None, scope: Scope) -> None:
        if params is None:
            return
        for p in params.named_children:
            t = p.type
            if t == "identifier":
                self.bind(p, "param", scope=scope)
                continue
            name = p.child_by_field_name("name")
            if name is None:  # typed_parameter, splats: the identifier is a child
                for c in p.named_children:
                    if c.type == "identifier":
                        name = c
                        break
                    if c.type in ("list_splat_pattern", "dictionary_splat_pattern"):
                        name = next((g for g in c.named_children if g.type == "identifier"), None)
                        break
            if name is not None and name.type == "identifier":
                self.bind(name, "param", value=p, scope=scope)
            annotation = p.child_by_field_name("type")
            if annotation is not None:
                self.visit(annotation)
            default = p.child_by_field_name("value")
            if default is not None:
                self.visit(default)

    def _assignment(self, node: ts.Node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        annotation = node.child_by_field_name("type")
        if right is not None:
            self.visit(right)
        if annotation is not None:
            self.visit(annotation)
        if left is None:
            return
        if (
            self.scope.kind == "module"
            and left.type == "identifier"
            and self.text(left) == "__all__"
        ):
            self._collect_all(right)
        stmt = node.parent if node.parent is not None else node
        if right is None:
            if left.type == "identifier":
                self.bind(left, "annotation", None, stmt)
            return
        if right.type == "assignment":  # `a = b = value`: several targets, one statement
            self.bind_target(left, "assign", None, stmt, unpacked=True)
            return
        self.bind_target(left, "assign", right, stmt)

    def _collect_all(self, value: ts.Node | None) -> None:
        if value is None:
            return
        if value.type in ("binary_operator", "parenthesized_expression", "argument_list"):
            for part in value.named_children:
                self._collect_all(part)
            return
        for item in value.named_children:
            if item.type == "string":
                content = [c for c in item.named_children if c.type == "string_content"]
                if content:
                    c = content[0]
                    self.all_names.append((self.text(c), item.start_byte, item.end_byte))

    def _collect_all_string(self, item: ts.Node) -> None:
        content = [c for c in item.named_children if c.type == "string_content"]
        if content:
            self.all_names.append((self.text(content[0]), item.start_byte, item.end_byte))

    def _augmented(self, node: ts.Node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is not None:
            if left.type == "identifier":
                self.use(left)
                if self.scope.kind == "module" and self.text(left) == "__all__":
                    self._collect_all(right)
            else:
                self.visit(left)
        if right is not None:
            self.visit(right)

    def _for(self, node: ts.Node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if right is not None:
            self.visit(right)
        if left is not None:
            self.bind_target(left, "for", None, node)
        self.loops.append(node)
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        self.loops.pop()
        alt = node.child_by_field_name("alternative")
        if alt is not None:
            self.visit(alt)

    def _while(self, node: ts.Node) -> None:
        cond = node.child_by_field_name("condition")
        if cond is not None:
            self.visit(cond)
        self.loops.append(node)
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        self.loops.pop()
        alt = node.child_by_field_name("alternative")
        if alt is not None:
            self.visit(alt)

    def _with(self, node: ts.Node) -> None:
        for child in node.named_children:
            if child.type == "with_clause":
                for item in child.named_children:
                    value = item.child_by_field_name("value") or item
                    if value.type == "as_pattern":
                        self._as_pattern(value, "with", node)
                    else:
                        self.visit(value)
            else:
                self.visit(child)

    def _as_pattern(self, node: ts.Node, kind: str, stmt: ts.Node) -> None:
        alias = node.child_by_field_name("alias")
        for child in node.named_children:
            if alias is not None and child == alias:
                continue
            self.visit(child)
        if alias is not None:
            for target in alias.named_children:
                self.bind_target(target, kind, None, stmt)

    def _try(self, node: ts.Node) -> None:
        guarded = False
        for clause in node.named_children:
            if clause.type == "except_clause":
                value = clause.child_by_field_name("value")
                if value is None and clause.named_child_count <= 1:
                    guarded = True  # bare `except:`
                elif value is not None:
                    caught = value.named_children[0] if value.type == "as_pattern" else value
                    names = set(_IDENT.findall(self.text(caught)))
                    guarded = guarded or bool(names & _NAMEERROR_CATCHERS)
        saved = self.flags
        for clause in node.named_children:
            if clause.type == "block" and guarded:
                self.flags |= GUARDED
                self.visit(clause)
                self.flags = saved
            else:
                self.visit(clause)

    def _except(self, node: ts.Node) -> None:
        for child in node.named_children:
            if child.type == "as_pattern":
                self._as_pattern(child, "except", node)
            else:
                self.visit(child)

    def _global(self, node: ts.Node) -> None:
        if self.scope.kind == "module":
            return
        for n in node.named_children:
            if n.type == "identifier":
                name = self.text(n)
                self.scope.globals.add(name)
                self.module_globals.add(name)

    def _nonlocal(self, node: ts.Node) -> None:
        for n in node.named_children:
            if n.type == "identifier":
                self.scope.nonlocals.add(self.text(n))

    def _walrus(self, node: ts.Node) -> None:
        value = node.child_by_field_name("value")
        if value is not None:
            self.visit(value)
        name = node.child_by_field_name("name")
        if name is not None:
            scope = self.scope
            while scope.kind == "comprehension" and scope.parent is not None:
                scope = scope.parent
            self.bind(name, "walrus", value, node, scope=scope)

    def _lambda(self, node: ts.Node) -> None:
        parent = self.scope
        scope = Scope("lambda", node, parent)
        self._parameters(node.child_by_field_name("parameters"), scope)
        saved = (self.scope, self.sink, self.loops)
        self.scope, self.sink, self.loops = scope, scope.uses, []
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        unresolved = self.resolve(scope)
        self.end_scope(scope)
        self.scope, self.sink, self.loops = saved
        if unresolved:
            parent.pending.append((0, unresolved))

    def _comprehension(self, node: ts.Node) -> None:
        parent = self.scope
        scope = Scope("comprehension", node, parent)
        saved = (self.scope, self.sink)
        self.scope, self.sink = scope, scope.uses
        self.loops.append(node)
        for child in node.named_children:
            if child.type == "for_in_clause":
                right = child.child_by_field_name("right")
                if right is not None:
                    self.visit(right)
                left = child.child_by_field_name("left")
                if left is not None:
                    self.bind_target(left, "comprehension", None, child)
            else:
                self.visit(child)
        self.loops.pop()
        unresolved = self.resolve(scope, keep_visible=True)
        self.end_scope(scope)
        self.scope, self.sink = saved
        if unresolved:
            parent.pending.append((0, unresolved))

    def _match(self, node: ts.Node) -> None:
        subject = node.child_by_field_name("subject")
        for child in node.named_children:
            if child == subject or child.type != "block":
                self.visit(child)
                continue
            for case in child.named_children:
                if case.type != "case_clause":
                    self.visit(case)
                    continue
                for part in case.named_children:
                    if part.type == "case_pattern":
                        self._pattern(part, case)
                    else:
                        self.visit(part)

    def _pattern(self, node: ts.Node, case: ts.Node) -> None:
        t = node.type
        if t == "dotted_name":
            parts = [c for c in node.named_children if c.type == "identifier"]
            if len(parts) == 1:
                if self.text(parts[0]) != "_":
                    self.bind(parts[0], "match", None, case)
            elif parts:
                self.use(parts[0])
            return
        if t == "class_pattern":
            for c in node.named_children:
                if c.type == "dotted_name":
                    parts = [p for p in c.named_children if p.type == "identifier"]
                    if parts:
                        self.use(parts[0])
                else:
                    self._pattern(c, case)
            return
        if t == "keyword_pattern":
            for i, c in enumerate(node.named_children):
                if i > 0:
                    self._pattern(c, case)
            return
        if t in ("splat_pattern", "as_pattern"):
            idents = [c for c in node.named_children if c.type == "identifier"]
            for c in node.named_children:
                if c.type != "identifier":
                    self._pattern(c, case)
            for ident in idents:
                if self.text(ident) != "_":
                    self.bind(ident, "match", None, case)
            return
        if t == "identifier":
            self.use(node)
            return
        if t in ("string", "integer", "float", "true", "false", "none", "concatenated_string"):
            return
        if t in ("case_pattern", "list_pattern", "tuple_pattern", "dict_pattern", "union_pattern"):
            for c in node.named_children:
                self._pattern(c, case)
            return
        self.visit(node)

    def _type_alias(self, node: ts.Node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is not None:
            target = left.named_children[0] if left.named_child_count else left
            if target.type == "generic_type":
                for c in target.named_children:
                    if c.type == "identifier":
                        self.bind(c, "assign", right, node)
                    elif c.type == "type_parameter":
                        self._type_params(c, self.scope)
            elif target.type == "identifier":
                self.bind(target, "assign", right, node)
        if right is not None:
            self.visit(right)

    def _attribute(self, node: ts.Node) -> None:
        obj = node.child_by_field_name("object")
        if obj is None:
            return
        if obj.type == "identifier":
            self.use(obj, ATTRIBUTE)
        else:
            self.visit(obj)

    def _keyword_argument(self, node: ts.Node) -> None:
        value = node.child_by_field_name("value")
        if value is not None:
            self.visit(value)

    def _call(self, node: ts.Node) -> None:
        fn = node.child_by_field_name("function")
        if (
            fn is not None
            and fn.type == "attribute"
            and self.scope.kind == "module"
            and self.text(fn) in ("__all__.extend", "__all__.append")
        ):
            args = node.child_by_field_name("arguments")
            if args is not None:
                self._collect_all(args)
                for a in args.named_children:
                    if a.type == "string":
                        self._collect_all_string(a)
        if fn is not None and fn.type == "identifier":
            name = self.text(fn)
            args = node.child_by_field_name("arguments")
            if name == "locals" or (
                name == "vars" and args is not None and args.named_child_count == 0
            ):
                scope = self.scope
                while scope.kind == "comprehension" and scope.parent is not None:
                    scope = scope.parent
                scope.calls_locals = True
        for child in node.named_children:
            self.visit(child)

    def _string(self, node: ts.Node) -> None:
        for child in node.named_children:
            t = child.type
            if t == "interpolation":
                self.visit(child)
            elif t == "string_content" and self.in_annotation:
                # A string annotation (forward reference): its names count as used.
                text = self.text(child)
                for m in _IDENT.finditer(text):
                    start = child.start_byte + len(text[: m.start()].encode("utf-8"))
                    self.sink.append(Use(m.group(), start, start + len(m.group().encode()), SOFT))

    def _comment(self, node: ts.Node) -> None:
        text = self.text(node)
        if "type:" not in text:
            return
        m = _TYPE_COMMENT.search(text)
        if m:
            for name in _IDENT.findall(m.group(1)):
                self.sink.append(Use(name, node.start_byte, node.end_byte, SOFT))

    def _annotation(self, node: ts.Node) -> None:
        saved = self.in_annotation
        self.in_annotation = True
        for child in node.named_children:
            self.visit(child)
        self.in_annotation = saved

    # -- resolution --------------------------------------------------------------------

    def resolve(self, scope: Scope, keep_visible: bool = False) -> list[Use]:
        """Resolve the uses of a finished scope; return those left for the parent."""
        up: list[Use] = []
        is_class = scope.kind == "class"
        is_module = scope.kind == "module"
        bindings = scope.bindings
        scope_globals = scope.globals
        groups: list[tuple[int, Sequence[Use]]] = [(0, scope.uses)]
        for i, (base, uses) in enumerate(scope.pending):
            index = scope.chunk_index.get(i)
            if index is None or is_class:
                groups.append((base, uses))
                continue
            # Fast path: whole names at once, when the answer is the same for every use.
            slow: list[Use] = []
            for name, (union, named) in index.items():
                if not union & GLOBAL and name not in scope_globals:
                    found = bindings.get(name)
                    if found:
                        if any(b.kind != "soft" for b in found):
                            for b in found:
                                b.used = True
                            continue
                    elif is_module and (name in BUILTINS or name in MODULE_NAMES):
                        continue  # never undefined: nothing left to do with it
                slow.extend(named)
            if slow:
                groups.append((base, slow))
        for base, uses in groups:
            for u in uses:
                name, _, _, flags = u
                if not is_module and (flags & GLOBAL or name in scope_globals):
                    up.append(Use(name, u.start + base, u.end + base, (flags | GLOBAL) & ~VISIBLE))
                    continue
                if is_class and not flags & VISIBLE:
                    up.append(Use(name, u.start + base, u.end + base, flags) if base else u)
                    continue
                found = bindings.get(name)
                if found:
                    soft_only = True
                    for b in found:
                        b.used = True
                        if b.kind != "soft":
                            soft_only = False
                    if soft_only:
                        # Bound only inside code being typed: maybe it is the outer name.
                        up.append(
                            Use(name, u.start + base, u.end + base, (flags | SOFT) & ~VISIBLE)
                        )
                    continue
                if not keep_visible:
                    flags &= ~VISIBLE
                if base or flags != u.flags:
                    up.append(Use(name, u.start + base, u.end + base, flags))
                else:
                    up.append(u)
        return up

    def end_scope(self, scope: Scope) -> None:
        """Run the scope-end hooks (rules over the finished scope)."""
        for hook in SCOPE_HOOKS:
            hook(scope, self)


def _skip(node: ts.Node) -> None:
    """Handler for nodes with nothing to record."""
