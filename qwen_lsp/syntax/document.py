"""An open document: its text, its language and its tree-sitter tree, kept in step.

Every edit is applied to the buffer and to the tree (``Tree.edit``), and the tree is re-parsed
incrementally from the edited old tree: a keystroke never costs a full parse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import tree_sitter as ts

from .languages import Language
from .text import Point, PositionEncoding, TextBuffer


@dataclass(frozen=True, slots=True)
class TextEdit:
    """One change as a client sends it: a range (or None for the whole text) and new text."""

    text: str
    start: tuple[int, int] | None = None  # (line, character) in the negotiated encoding
    end: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable view of a document at one version, safe to use from any thread."""

    uri: str
    version: int
    language: Language | None
    buffer: TextBuffer
    tree: ts.Tree | None
    # The text the version's change inserted and the byte offset where it ends, when that
    # change was one pure insertion (a keystroke); None otherwise.
    last_insert: tuple[int, str] | None = None

    @property
    def text(self) -> str:
        """The document text."""
        return self.buffer.text

    @property
    def data(self) -> bytes:
        """The document's UTF-8 bytes."""
        return self.buffer.data


class Document:
    """Text + tree of one open document. Not thread-safe: one owner (the event loop) edits it;
    other threads work on :meth:`snapshot` copies.
    """

    def __init__(
        self,
        uri: str,
        text: str,
        version: int = 0,
        language: Language | None = None,
        encoding: PositionEncoding = PositionEncoding.UTF16,
        max_parse_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.uri = uri
        self.version = version
        self.language = language
        self.encoding = encoding
        self.max_parse_bytes = max_parse_bytes
        self.buffer = TextBuffer.from_text(text)
        self._parser: ts.Parser | None = None
        self.tree: ts.Tree | None = None
        self.parse_skipped_reason: str | None = None
        # Results derived from one revision (outline, analysis...), keyed by their owner;
        # each entry records the revision it was computed for.
        self.cache: dict[str, tuple[Any, ...]] = {}
        # Counts every applied change, even when a client repeats a version number.
        self.revision = 0
        self.last_insert: tuple[int, str] | None = None
        self._parse(full=True)

    # -- parsing -----------------------------------------------------------------------

    def _parse(self, full: bool = False) -> None:
        if self.language is None:
            self.tree = None
            return
        size = len(self.buffer.data)
        if size > self.max_parse_bytes:
            self.tree = None
            self.parse_skipped_reason = (
                f"{size / 1e6:.1f} MB is over the parse limit of "
                f"{self.max_parse_bytes / 1e6:.1f} MB; syntax features are off for this file"
            )
            return
        if b"\x00" in self.buffer.data[:8192]:
            self.tree = None
            self.parse_skipped_reason = "binary content (NUL bytes); syntax features are off"
            return
        self.parse_skipped_reason = None
        if self._parser is None:
            self._parser = self.language.parser()
        old = None if full else self.tree
        self.tree = (
            self._parser.parse(self.buffer.data, old)
            if old
            else self._parser.parse(self.buffer.data)
        )

    # -- edits -------------------------------------------------------------------------

    def apply(self, edits: Iterable[TextEdit], version: int | None = None) -> None:
        """Apply client changes in order, editing the tree, then re-parse once."""
        needs_full = self.tree is None
        inserts: list[tuple[int, str] | None] = []
        for edit in edits:
            if edit.start is None or edit.end is None:
                self.buffer = TextBuffer.from_text(edit.text)
                needs_full = True
                inserts.append(None)
                continue
            (a, b, new_end, p0, p1, p2) = self.buffer.apply_lsp_edit(
                edit.start[0], edit.start[1], edit.end[0], edit.end[1], edit.text, self.encoding
            )
            inserts.append((new_end, edit.text) if a == b else None)
            if self.tree is not None and not needs_full:
                self.tree.edit(
                    start_byte=a,
                    old_end_byte=b,
                    new_end_byte=new_end,
                    start_point=(p0.row, p0.column),
                    old_end_point=(p1.row, p1.column),
                    new_end_point=(p2.row, p2.column),
                )
        self.last_insert = inserts[0] if len(inserts) == 1 else None
        if version is not None:
            self.version = version
        self.revision += 1
        self._parse(full=needs_full)

    def set_text(self, text: str, version: int | None = None) -> None:
        """Replace the whole text (a full-sync change)."""
        self.apply([TextEdit(text)], version)

    # -- views -------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The document text."""
        return self.buffer.text

    def snapshot(self) -> Snapshot:
        """An immutable copy for work off the event loop."""
        tree = self.tree.copy() if self.tree is not None else None
        return Snapshot(
            self.uri, self.version, self.language, self.buffer.copy(), tree, self.last_insert
        )

    def point(self, line: int, character: int) -> Point:
        """Tree-sitter point of an LSP position in this document's encoding."""
        return self.buffer.point_at(line, character, self.encoding)

    def offset(self, line: int, character: int) -> int:
        """Byte offset of an LSP position in this document's encoding."""
        return self.buffer.offset_at(line, character, self.encoding)
