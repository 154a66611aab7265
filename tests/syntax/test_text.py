"""Position conversion: UTF-16 and UTF-8 columns, CJK, emoji (surrogate pairs), CRLF."""

from __future__ import annotations

import pytest

from qwen_lsp.syntax.text import PositionEncoding, TextBuffer, line_starts

U16 = PositionEncoding.UTF16
U8 = PositionEncoding.UTF8


def test_line_starts_handle_every_line_end():
    data = b"a\r\nb\nc\rd"
    assert line_starts(data) == [0, 3, 5, 7]
    buf = TextBuffer(data)
    assert [buf.line_text(i) for i in range(buf.line_count)] == ["a", "b", "c", "d"]


def test_utf16_columns_count_surrogate_pairs():
    # "😀" is one code point, two UTF-16 units, four UTF-8 bytes.
    buf = TextBuffer.from_text("x = '😀' + y\n")
    y_byte = "x = '😀' + ".encode().__len__()
    assert buf.offset_at(0, 11, U16) == y_byte  # 4 + 1 + 2 + 1 + 3 = 11 units before "y"
    assert buf.position_of_offset(y_byte, U16) == (0, 11)
    assert buf.position_of_offset(y_byte, U8) == (0, y_byte)
    assert buf.offset_at(0, y_byte, U8) == y_byte


def test_cjk_columns():
    buf = TextBuffer.from_text("名前 = '東京'\nnext")
    # Each CJK char: 1 UTF-16 unit, 3 UTF-8 bytes.
    assert buf.offset_at(0, 2, U16) == 6
    assert buf.position_of_offset(6, U16) == (0, 2)
    assert buf.character_of(0, 6, U16) == 2
    assert buf.offset_at(1, 2, U16) == len("名前 = '東京'\n".encode()) + 2


def test_position_inside_a_surrogate_pair_does_not_split_it():
    buf = TextBuffer.from_text("😀b")
    # Character 1 points between the two halves: clamp to the start of the emoji.
    assert buf.offset_at(0, 1, U16) == 0
    assert buf.offset_at(0, 2, U16) == 4


def test_positions_past_the_end_are_clamped():
    buf = TextBuffer.from_text("ab\ncd\n")
    assert buf.offset_at(0, 99, U16) == 2  # end of line 0, before the newline
    assert buf.offset_at(99, 0, U16) == len(buf.data)
    assert buf.offset_at(-1, 0, U16) == 0


def test_crlf_line_end_is_not_part_of_the_line():
    buf = TextBuffer.from_text("abc\r\ndef")
    assert buf.line_span(0) == (0, 3)
    assert buf.offset_at(0, 10, U16) == 3
    assert buf.offset_at(1, 1, U16) == 6


def test_edit_that_joins_cr_and_lf_updates_lines():
    buf = TextBuffer(b"a\rb")
    assert buf.line_count == 2
    buf.replace(2, 3, b"\n")  # "a\r\n": one line break, not two
    assert buf.data == b"a\r\n" and buf.line_count == 2
    assert buf.line_text(0) == "a"


def test_lone_surrogates_survive_a_round_trip():
    text = "x = '\ud83d'"  # valid JSON can carry a lone surrogate
    buf = TextBuffer.from_text(text)
    assert buf.text == text


@pytest.mark.parametrize("encoding", [U8, U16])
def test_apply_lsp_edit_returns_tree_sitter_points(encoding):
    buf = TextBuffer.from_text("é = 1\n")
    col = 1 if encoding is U16 else 2
    a, b, new_end, p0, _p1, p2 = buf.apply_lsp_edit(0, col, 0, col, "x", encoding)
    assert (a, b, new_end) == (2, 2, 3)
    assert (p0.row, p0.column, p2.column) == (0, 2, 3)
    assert buf.text == "éx = 1\n"


def test_utf8_position_inside_a_character_snaps_to_its_start():
    buf = TextBuffer.from_text("aé😀b")
    assert buf.offset_at(0, 2, U8) == 1  # inside "é" (bytes 1-2)
    assert buf.offset_at(0, 5, U8) == 3  # inside "😀" (bytes 3-6)
    assert buf.offset_at(0, 7, U8) == 7
