"""What every rule implementation sees: one file's snapshot, tree and helpers over its bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

import tree_sitter as ts

from ..syntax.document import Snapshot
from .cache import ResultCache

# Path parts that mark test code (where `unwrap()` and friends are fine).
_TEST_PARTS = {"tests", "test", "testing", "benches", "examples", "testdata", "__tests__"}
_GENERATED_MARKS = re.compile(
    rb"@generated|DO NOT EDIT|[Aa]uto-?generated|This file is generated"
    rb"|[Gg]enerated (?:by|from|with) [^\n]{0,120}?[\w-]+\.py\b"
)
_MINIFIED_NAME = re.compile(r"\.(min|bundle|pack)\.[cm]?js$|-min\.js$")
_TEST_NAME = re.compile(r"(^test_.*|.*_test\.\w+$|.*\.test\.\w+$|.*\.spec\.\w+$|^conftest\.py$)")


@dataclass
class FileContext:
    """One file under analysis."""

    snapshot: Snapshot
    tree: ts.Tree
    cache: ResultCache | None
    # Facts several rule functions of one run may want (computed once per run).
    memo: dict[str, object] = field(default_factory=dict)

    @property
    def data(self) -> bytes:
        """The file's UTF-8 bytes."""
        return self.snapshot.buffer.data

    @property
    def root(self) -> ts.Node:
        """The tree's root node."""
        return self.tree.root_node

    @property
    def language_id(self) -> str:
        """The primary LSP language id of the file."""
        return self.snapshot.language.id if self.snapshot.language else ""

    @cached_property
    def path(self) -> str:
        """The file's path (from its URI), '' when it has none."""
        uri = self.snapshot.uri
        if uri.startswith("file:"):
            return unquote(urlparse(uri).path)
        return uri if "://" not in uri else ""

    @cached_property
    def file_name(self) -> str:
        """The last path component."""
        return PurePosixPath(self.path).name if self.path else ""

    @cached_property
    def is_test_file(self) -> bool:
        """Whether the path looks like test, benchmark or example code."""
        if not self.path:
            return False
        parts = PurePosixPath(self.path).parts
        return bool(_TEST_PARTS.intersection(parts[:-1])) or bool(_TEST_NAME.match(parts[-1]))

    @cached_property
    def is_generated(self) -> bool:
        """Whether the file says it is generated, or is bundled/minified JavaScript: such
        files get syntax checks only (their fixes belong in the generator)."""
        data = self.data
        if _GENERATED_MARKS.search(data[:2048]):
            return True
        if self.language_id in ("javascript", "typescript", "typescriptreact"):
            if _MINIFIED_NAME.search(self.file_name) or b"/* @__PURE__ */" in data:
                return True
            head = data[:65536]
            return any(len(line) > 2000 for line in head.split(b"\n"))
        return False

    def text(self, start: int, end: int) -> str:
        """Text of bytes ``[start, end)``."""
        return self.data[start:end].decode("utf-8", "replace")

    def node_text(self, node: ts.Node) -> str:
        """Text of a node."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def line_start(self, offset: int) -> int:
        """Byte offset of the start of the line holding ``offset``."""
        return self.data.rfind(b"\n", 0, offset) + 1

    def indent_at(self, offset: int) -> str:
        """The leading whitespace of the line holding ``offset``."""
        start = self.line_start(offset)
        end = start
        while end < len(self.data) and self.data[end : end + 1] in (b" ", b"\t"):
            end += 1
        return self.text(start, end)

    @cached_property
    def indent_unit(self) -> str:
        """One level of indentation for inserted code (the language's usual unit)."""
        lang = self.snapshot.language
        return lang.spec.indent if lang else "    "

    @cached_property
    def newline(self) -> str:
        """The file's line terminator."""
        return "\r\n" if b"\r\n" in self.data[:4096] else "\n"

    def node_at(self, start: int, end: int, kind: str | None = None) -> ts.Node | None:
        """The named node spanning exactly ``[start, end)`` (of ``kind`` when given): how
        implementations get back from cached offsets to live nodes."""
        node = self.root.named_descendant_for_byte_range(start, end)
        # The deepest node of that range comes first; same-range ancestors follow.
        while node is not None and node.start_byte == start and node.end_byte == end:
            if kind is None or node.type == kind:
                return node
            node = node.parent
        return None


def snippet(text: str, limit: int = 40) -> str:
    """One line of at most ``limit`` characters, for messages."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
