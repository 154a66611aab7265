"""Per-file summaries: definitions, imports and references, read from a tree with the
language's ``tags.scm`` and ``imports.scm`` queries.

Positions are stored in both UTF-8 byte columns and UTF-16 code units, so a summary can answer a
client of either encoding without the file's text at hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import tree_sitter as ts

from ..syntax.languages import Language
from ..syntax.text import PositionEncoding, TextBuffer

SUMMARY_FORMAT = 3

# Definitions that can hold methods: a function nested in one of these is a method.
_CONTAINER_KINDS = frozenset({"class", "struct", "interface", "trait", "impl", "enum", "object"})
_MAX_SIGNATURE = 200
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Span:
    """A range with columns in UTF-8 bytes and in UTF-16 code units."""

    start_line: int
    start_byte_col: int
    start_utf16_col: int
    end_line: int
    end_byte_col: int
    end_utf16_col: int

    def columns(self, encoding: PositionEncoding) -> tuple[int, int, int, int]:
        """``(start_line, start_char, end_line, end_char)`` in ``encoding``."""
        if encoding is PositionEncoding.UTF8:
            return (self.start_line, self.start_byte_col, self.end_line, self.end_byte_col)
        return (self.start_line, self.start_utf16_col, self.end_line, self.end_utf16_col)

    def contains(self, other: Span) -> bool:
        """Whether ``other`` lies within this span."""
        return (self.start_line, self.start_byte_col) <= (
            other.start_line,
            other.start_byte_col,
        ) and (other.end_line, other.end_byte_col) <= (self.end_line, self.end_byte_col)

    def to_list(self) -> list[int]:
        """Compact JSON form."""
        return [
            self.start_line,
            self.start_byte_col,
            self.start_utf16_col,
            self.end_line,
            self.end_byte_col,
            self.end_utf16_col,
        ]

    @classmethod
    def from_list(cls, values: list[int]) -> Span:
        """Inverse of :meth:`to_list`."""
        return cls(*values)


@dataclass(frozen=True, slots=True)
class Definition:
    """A named definition: function, class, method, constant..."""

    name: str
    kind: str
    span: Span
    name_span: Span
    signature: str = ""
    doc: str = ""
    parent: int = -1  # index of the enclosing definition in the same summary, -1 at top level

    def to_list(self) -> list[Any]:
        """Compact JSON form."""
        return [
            self.name,
            self.kind,
            self.span.to_list(),
            self.name_span.to_list(),
            self.signature,
            self.doc,
            self.parent,
        ]

    @classmethod
    def from_list(cls, v: list[Any]) -> Definition:
        """Inverse of :meth:`to_list`."""
        return cls(v[0], v[1], Span.from_list(v[2]), Span.from_list(v[3]), v[4], v[5], v[6])


@dataclass(frozen=True, slots=True)
class Import:
    """One imported binding: ``from module import name as alias``."""

    module: str
    name: str = ""
    alias: str = ""
    line: int = 0

    @property
    def local_name(self) -> str:
        """The name this import binds in the importing file."""
        if self.alias:
            return self.alias
        if self.name and self.name != "*":
            return self.name
        # `import a.b` binds `a` (Python); a path import binds its last segment (Go, JS).
        if "/" in self.module:
            return self.module.rstrip("/").split("/")[-1]
        return self.module.split(".")[0].split("::")[0]

    def to_list(self) -> list[Any]:
        """Compact JSON form."""
        return [self.module, self.name, self.alias, self.line]

    @classmethod
    def from_list(cls, v: list[Any]) -> Import:
        """Inverse of :meth:`to_list`."""
        return cls(*v)


@dataclass(frozen=True, slots=True)
class Reference:
    """A use of a name (a call, a type...)."""

    name: str
    kind: str
    line: int
    byte_col: int
    utf16_col: int


@dataclass(slots=True)
class FileSummary:
    """What the index knows about one file."""

    path: str
    language: str
    content_hash: str
    definitions: list[Definition] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    has_syntax_errors: bool = False

    def to_json(self) -> bytes:
        """Serialise definitions and imports (the part kept in memory)."""
        return json.dumps(
            {
                "f": SUMMARY_FORMAT,
                "l": self.language,
                "d": [d.to_list() for d in self.definitions],
                "i": [i.to_list() for i in self.imports],
                "e": self.has_syntax_errors,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()

    def references_to_json(self) -> bytes:
        """Serialise references (kept on disk only; they are many)."""
        return json.dumps(
            [[r.name, r.kind, r.line, r.byte_col, r.utf16_col] for r in self.references],
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()

    @classmethod
    def from_json(cls, path: str, content_hash: str, data: bytes) -> FileSummary:
        """Inverse of :meth:`to_json`."""
        raw = json.loads(data)
        if raw.get("f") != SUMMARY_FORMAT:
            raise ValueError("summary format changed")
        return cls(
            path=path,
            language=raw["l"],
            content_hash=content_hash,
            definitions=[Definition.from_list(d) for d in raw["d"]],
            imports=[Import.from_list(i) for i in raw["i"]],
            has_syntax_errors=bool(raw.get("e")),
        )


# -- extraction ------------------------------------------------------------------------


def _span(node: ts.Node, buf: TextBuffer) -> Span:
    # Rows from our line table, not node.start_point: tree-sitter counts only "\n" as a line
    # end, LSP counts "\r" too (a file with CR line ends would be all on row 0).
    start, end = buf.point_of_offset(node.start_byte), buf.point_of_offset(node.end_byte)
    sr, sc, er, ec = start.row, start.column, end.row, end.column
    return Span(
        sr,
        sc,
        buf.character_of(sr, sc, PositionEncoding.UTF16),
        er,
        ec,
        buf.character_of(er, ec, PositionEncoding.UTF16),
    )


def _node_text(node: ts.Node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def signature_of(node: ts.Node, data: bytes) -> str:
    """The definition's header: its text up to the body, whitespace collapsed."""
    body = node.child_by_field_name("body")
    end = body.start_byte if body is not None and body.start_byte > node.start_byte else None
    if end is None:
        nl = data.find(b"\n", node.start_byte, node.end_byte)
        end = nl if nl != -1 else node.end_byte
    text = _WS.sub(" ", data[node.start_byte : end].decode("utf-8", "replace")).strip()
    text = text.rstrip("{").rstrip()
    return text[:_MAX_SIGNATURE]


_DOC_MARKERS = re.compile(
    r"^\s*(?:\(\*\*?|/\*\*?|\*/|\*|///?|//!|#+|--+\s*[|^]?|;+|\"\"\"|'''|r\"\"\"|\"|'|@doc|@moduledoc)\s?"
)


def first_doc_line(text: str) -> str:
    """First meaningful line of a docstring or doc comment, markers stripped."""
    for raw in text.splitlines():
        line = _DOC_MARKERS.sub("", raw).strip().strip("\"'")
        line = line.removesuffix("*)").removesuffix("*/").rstrip("*").strip().strip("\"'").strip()
        if line:
            return line[:_MAX_SIGNATURE]
    return ""


def _span_text(nodes: list[ts.Node], data: bytes) -> str:
    """A capture's text; a capture of several nodes (the first and last segment of a path the
    grammar has no node for) stands for the source text they span."""
    start = min(n.start_byte for n in nodes)
    end = max(n.end_byte for n in nodes)
    return data[start:end].decode("utf-8", "replace")


_BLANK_LINE = re.compile(rb"\n[ \t\r\f]*\n")


def _doc_run(doc_nodes: list[ts.Node], node: ts.Node, data: bytes) -> ts.Node | None:
    """The @doc node to read: one inside the definition (a docstring), else the first of the
    run of captured comments that touches the definition (no blank line in between)."""
    if not doc_nodes:
        return None
    nodes = sorted(doc_nodes, key=lambda n: n.start_byte)
    inside = [n for n in nodes if n.start_byte >= node.start_byte]
    if inside:
        return inside[0]
    first = None
    after = node
    for doc in reversed(nodes):
        gap = data[doc.end_byte : after.start_byte]
        if data[doc.start_byte : doc.end_byte].endswith(b"\n"):
            gap = b"\n" + gap
        if _BLANK_LINE.search(gap):
            break
        first = after = doc
    return first


def _strip_quotes(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in "\"'`<" and text[-1] in "\"'`>":
        return text[1:-1]
    return text


def summarize(
    path: str,
    language: Language,
    tree: ts.Tree,
    buf: TextBuffer,
    content_hash: str,
    with_references: bool = True,
) -> FileSummary:
    """Build the summary of one parsed file from its language's queries."""
    data = buf.data
    summary = FileSummary(path, language.id, content_hash)
    summary.has_syntax_errors = tree.root_node.has_error
    tags = language.query("tags") if with_references else language.definitions_query()
    if tags is not None:
        raw_defs: list[tuple[ts.Node, ts.Node, str, list[ts.Node]]] = []
        # One tag per @name node: the earliest pattern wins (as in tree-sitter-tags), so a
        # broad reference pattern never re-tags a definition's name. See grammars/README.md.
        seen_names: set[tuple[int, int]] = set()
        def_index: dict[tuple[int, int], int] = {}
        matches = sorted(ts.QueryCursor(tags).matches(tree.root_node), key=lambda m: m[0])
        for _pattern, caps in matches:
            names = caps.get("name")
            if not names:
                continue
            name_node = names[0]
            key = (name_node.start_byte, name_node.end_byte)
            if key in seen_names:
                # A later pattern on the same name may still carry its doc comment.
                if key in def_index and "doc" in caps:
                    raw_defs[def_index[key]][3].extend(caps["doc"])
                continue
            for cap, nodes in caps.items():
                if cap.startswith("definition."):
                    seen_names.add(key)
                    def_index[key] = len(raw_defs)
                    raw_defs.append((nodes[0], name_node, cap[11:], list(caps.get("doc", []))))
                    break
                if cap.startswith("reference."):
                    seen_names.add(key)
                    if with_references:
                        point = buf.point_of_offset(name_node.start_byte)
                        r, c = point.row, point.column
                        summary.references.append(
                            Reference(
                                _node_text(name_node, data),
                                cap[10:],
                                r,
                                c,
                                buf.character_of(r, c, PositionEncoding.UTF16),
                            )
                        )
                    break
        summary.references.sort(key=lambda ref: (ref.line, ref.byte_col))
        summary.definitions = _build_definitions(raw_defs, data, buf)
    imports = language.query("imports")
    if imports is not None:
        for _pattern, caps in ts.QueryCursor(imports).matches(tree.root_node):
            module = caps.get("import.module")
            name = caps.get("import.name")
            alias = caps.get("import.alias")
            stmt = caps.get("import")
            anchors = stmt or module or name
            if not anchors:
                continue
            anchor = anchors[0]
            summary.imports.append(
                Import(
                    _strip_quotes(_span_text(module, data)) if module else "",
                    _strip_quotes(_span_text(name, data)) if name else "",
                    _strip_quotes(_span_text(alias, data)) if alias else "",
                    buf.point_of_offset(anchor.start_byte).row,
                )
            )
    return summary


def _build_definitions(
    raw: list[tuple[ts.Node, ts.Node, str, list[ts.Node]]], data: bytes, buf: TextBuffer
) -> list[Definition]:
    # Several patterns can capture the same node (e.g. a generic and a specific one): keep the
    # first, then nest by containment with a stack over start-ordered definitions.
    seen: set[tuple[int, int, int]] = set()
    unique = []
    for node, name_node, kind, doc_nodes in sorted(
        raw, key=lambda t: (t[0].start_byte, -t[0].end_byte)
    ):
        key = (node.start_byte, node.end_byte, name_node.start_byte)
        if key in seen:
            continue
        seen.add(key)
        unique.append((node, name_node, kind, doc_nodes))
    out: list[Definition] = []
    stack: list[tuple[int, int]] = []  # (end_byte, index in out)
    for node, name_node, kind, doc_node in unique:
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        parent = stack[-1][1] if stack else -1
        if parent >= 0 and out[parent].span == _span(node, buf):
            # Two names declared by one node (`int x, y;`) are siblings, not parent and child.
            parent = out[parent].parent
        if kind == "function" and parent >= 0 and out[parent].kind in _CONTAINER_KINDS:
            kind = "method"
        doc_run = _doc_run(doc_node, node, data)
        # Docs come from the queries' @doc captures only: a language's tags.scm knows which
        # comments are documentation (a file header above the first definition is not).
        doc = first_doc_line(_node_text(doc_run, data)) if doc_run is not None else ""
        out.append(
            Definition(
                name=_node_text(name_node, data),
                kind=kind,
                span=_span(node, buf),
                name_span=_span(name_node, buf),
                signature=signature_of(node, data),
                doc=doc,
                parent=parent,
            )
        )
        stack.append((node.end_byte, len(out) - 1))
    return out
