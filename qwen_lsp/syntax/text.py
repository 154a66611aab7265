"""Text buffers with exact position conversion.

This is the one place where LSP positions (line + character in UTF-16 code units, or UTF-8
bytes when negotiated) meet byte offsets (what tree-sitter speaks). Every other module asks
a :class:`TextBuffer` to convert; none counts code units itself.

Line ends are ``\\n``, ``\\r\\n`` and ``\\r``, as the LSP specification says.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from enum import Enum

# Surrogates can reach us in JSON strings (a lone "\ud83d" is valid JSON): keep them
# round-trippable instead of failing the whole document.
_ERRORS = "surrogatepass"
_LINE_END = re.compile(rb"\r\n|\r|\n")


class PositionEncoding(str, Enum):
    """The unit of ``Position.character`` negotiated with a client."""

    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"


@dataclass(frozen=True, slots=True)
class Point:
    """A position as tree-sitter sees it: zero-based row and byte column."""

    row: int
    column: int


def encode(text: str) -> bytes:
    """Encode document text to the UTF-8 bytes that tree-sitter parses."""
    return text.encode("utf-8", _ERRORS)


def decode(data: bytes) -> str:
    """Decode UTF-8 bytes (possibly invalid) into text without losing or failing."""
    try:
        return data.decode("utf-8", _ERRORS)
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def _units(text: str, encoding: PositionEncoding) -> int:
    """Length of ``text`` in the units of ``encoding``."""
    if encoding is PositionEncoding.UTF16:
        # Characters outside the BMP take two UTF-16 code units.
        return len(text) + len(_ASTRAL.findall(text))
    if encoding is PositionEncoding.UTF8:
        return len(encode(text))
    return len(text)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _char_index(text: str, units: int, encoding: PositionEncoding) -> int:
    """How many characters of ``text`` the first ``units`` UTF-16 code units (or code points)
    cover; a surrogate pair is never split. Linear in C (a 50 MB line costs milliseconds)."""
    if encoding is not PositionEncoding.UTF16 or not _ASTRAL.search(text, 0, units):
        return min(units, len(text))
    u16 = text.encode("utf-16-le", _ERRORS)
    cut = min(units, len(u16) // 2) * 2
    if 2 <= cut < len(u16):
        high = int.from_bytes(u16[cut - 2 : cut], "little")
        low = int.from_bytes(u16[cut : cut + 2], "little")
        if 0xD800 <= high <= 0xDBFF and 0xDC00 <= low <= 0xDFFF:
            cut -= 2  # inside a character outside the BMP: before it
    return len(u16[:cut].decode("utf-16-le", _ERRORS))


def line_starts(data: bytes) -> list[int]:
    """Byte offsets at which each line of ``data`` starts (always at least ``[0]``)."""
    return [0, *(m.end() for m in _LINE_END.finditer(data))]


class TextBuffer:
    """UTF-8 bytes plus a line table; converts between LSP positions and byte offsets.

    The buffer is mutable through :meth:`replace`, which keeps the line table current
    without rescanning the whole text (a keystroke in a 5,000-line file touches one line).
    """

    __slots__ = ("_data", "_starts", "_text_cache")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._starts = line_starts(data)
        self._text_cache: str | None = None

    @classmethod
    def from_text(cls, text: str) -> TextBuffer:
        """Build a buffer from document text."""
        buf = cls(encode(text))
        buf._text_cache = text
        return buf

    def copy(self) -> TextBuffer:
        """A copy that later edits of this buffer will not change."""
        clone = TextBuffer.__new__(TextBuffer)
        clone._data = self._data  # bytes are immutable; edits rebind, never mutate
        clone._starts = list(self._starts)
        clone._text_cache = self._text_cache
        return clone

    @property
    def data(self) -> bytes:
        """The UTF-8 bytes of the whole buffer."""
        return self._data

    @property
    def text(self) -> str:
        """The whole buffer as text (decoded lazily, cached until the next edit)."""
        if self._text_cache is None:
            self._text_cache = decode(self._data)
        return self._text_cache

    @property
    def line_count(self) -> int:
        """Number of lines (a trailing newline starts one more, empty line)."""
        return len(self._starts)

    def line_span(self, line: int) -> tuple[int, int]:
        """Byte offsets ``[start, end)`` of ``line`` without its line terminator."""
        start = self._starts[line]
        if line + 1 < len(self._starts):
            end = self._starts[line + 1]
            if self._data[end - 2 : end] == b"\r\n":
                end -= 2
            else:
                end -= 1
        else:
            end = len(self._data)
        return start, end

    def line_bytes(self, line: int) -> bytes:
        """The bytes of ``line`` without its terminator."""
        start, end = self.line_span(line)
        return self._data[start:end]

    def line_text(self, line: int) -> str:
        """The text of ``line`` without its terminator ('' past the end)."""
        if line < 0 or line >= len(self._starts):
            return ""
        return decode(self.line_bytes(line))

    # -- conversions -------------------------------------------------------------------

    def is_valid_position(self, line: int, character: int) -> bool:
        """Whether ``(line, character)`` lies inside the document (line end included)."""
        return 0 <= line < len(self._starts) and character >= 0

    def offset_at(self, line: int, character: int, encoding: PositionEncoding) -> int:
        """Byte offset of an LSP position, clamped into the document.

        A line past the end maps to the end of the document; a character past the end of
        its line maps to the line end, as the LSP specification prescribes.
        """
        if line < 0:
            return 0
        if line >= len(self._starts):
            return len(self._data)
        start, end = self.line_span(line)
        if character <= 0:
            return start
        raw = self._data[start:end]
        if raw.isascii():
            return start + min(character, len(raw))
        if encoding is PositionEncoding.UTF8:
            # A byte offset inside a multi-byte character would split it: snap back to the
            # character's first byte (continuation bytes look like 0b10xxxxxx).
            at = min(character, len(raw))
            while 0 < at < len(raw) and (raw[at] & 0xC0) == 0x80:
                at -= 1
            return start + at
        text = decode(raw)
        return start + len(encode(text[: _char_index(text, character, encoding)]))

    def point_at(self, line: int, character: int, encoding: PositionEncoding) -> Point:
        """Tree-sitter point (row, byte column) of an LSP position, clamped."""
        offset = self.offset_at(line, character, encoding)
        return self.point_of_offset(offset)

    def point_of_offset(self, offset: int) -> Point:
        """Tree-sitter point of a byte offset."""
        offset = max(0, min(offset, len(self._data)))
        row = bisect_right(self._starts, offset) - 1
        return Point(row, offset - self._starts[row])

    def position_of_offset(self, offset: int, encoding: PositionEncoding) -> tuple[int, int]:
        """LSP ``(line, character)`` of a byte offset."""
        point = self.point_of_offset(offset)
        return point.row, self.character_of(point.row, point.column, encoding)

    def character_of(self, row: int, byte_column: int, encoding: PositionEncoding) -> int:
        """Convert a byte column on ``row`` to a character in ``encoding``."""
        if encoding is PositionEncoding.UTF8 or byte_column <= 0:
            return max(0, byte_column)
        if row < 0 or row >= len(self._starts):
            return 0
        start, end = self.line_span(row)
        raw = self._data[start : min(start + byte_column, end)]
        if raw.isascii():
            return len(raw)
        return _units(decode(raw), encoding)

    # -- edits -------------------------------------------------------------------------

    def replace(self, start: int, end: int, new: bytes) -> None:
        """Replace bytes ``[start, end)`` with ``new`` and update the line table.

        Only lines from the edit on are rescanned; the offsets of later lines are shifted.
        """
        data = self._data
        start = max(0, min(start, len(data)))
        end = max(start, min(end, len(data)))
        self._data = data[:start] + new + data[end:]
        self._text_cache = None
        delta = len(new) - (end - start)
        starts = self._starts
        # A line start at `start` itself survives; a "\r" just before it may join a "\n"
        # that the edit brings, so rescan from the line holding `start - 1`.
        first = bisect_right(starts, max(0, start - 1)) - 1
        # Lines starting strictly after the old edited region keep their text; rescan up to
        # the first such line (one past `end`, so a "\r\n" split by the edit is re-seen).
        after = bisect_right(starts, end + 1)
        scan_from = starts[first]
        scan_to = (starts[after] + delta) if after < len(starts) else len(self._data)
        segment = self._data[scan_from:scan_to]
        middle = [scan_from + m.end() for m in _LINE_END.finditer(segment)]
        # A match ending exactly at scan_to is the start of the kept tail line.
        middle = [s for s in middle if s < scan_to] if after < len(starts) else middle
        tail = [s + delta for s in starts[after:]]
        self._starts = [*starts[: first + 1], *middle, *tail]

    def apply_lsp_edit(
        self,
        start_line: int,
        start_char: int,
        end_line: int,
        end_char: int,
        new_text: str,
        encoding: PositionEncoding,
    ) -> tuple[int, int, int, Point, Point, Point]:
        """Apply an LSP range edit; return what ``Tree.edit`` needs.

        Returns ``(start_byte, old_end_byte, new_end_byte, start_point, old_end_point,
        new_end_point)``. Reversed ranges are normalised; out-of-range ends are clamped.
        """
        a = self.offset_at(start_line, start_char, encoding)
        b = self.offset_at(end_line, end_char, encoding)
        if b < a:
            a, b = b, a
        start_point = self.point_of_offset(a)
        old_end_point = self.point_of_offset(b)
        new = encode(new_text)
        self.replace(a, b, new)
        new_end = a + len(new)
        return a, b, new_end, start_point, old_end_point, self.point_of_offset(new_end)
