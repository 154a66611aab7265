"""Random edit sessions as an editor sends them, and an independent reference for their text.

A session starts from a seed text (multi-byte characters, emoji outside the BMP, CRLF, lone CR)
and applies random LSP range edits: inserts, replacements and deletes across lines, in UTF-16
or UTF-8 positions, sometimes with a character past the end of its line (clamped to the line
end, as LSP says). :func:`apply_reference` applies an edit to a Python ``str`` with its own
line splitting and unit counting (nothing shared with ``qwen_lsp.syntax.text``), so the server's
buffer is checked against a second implementation, and its tree against a fresh parse.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

SEEDS = [
    "def greet(name):\n    return f'héllo {name} 😀'\n\nclass A:\n    x = [1, 2, 3]\n",
    "import os\r\n\r\ndef main():\r\n    print('東京', os.sep)\r\n    return {'k': (1, 2)}\r\n",
    "x = 1\ry = 'ü'\r\ndef f(a,\n      b):\r    return a + b  # 😀\n",
    "",
    "class Ω:\n    def m(self):\n        '''doc 🐍'''\n        return [i for i in range(3)]\n",
]
PIECES = [
    "a", "x", "_", " ", "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "'", '"', "#",
    "é", "東", "😀", "🐍", "\n", "\r\n", "\r", "\t", "def ", "return ", "    ", "if x:\n    ",
]  # fmt: skip
_LINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Edit:
    """One LSP range edit: (line, character) positions in the session's encoding."""

    start: tuple[int, int]
    end: tuple[int, int]
    text: str


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) str indexes of each line's content, terminators excluded."""
    out, pos = [], 0
    for m in _LINE.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out


def _width(ch: str, utf8: bool) -> int:
    if utf8:
        return len(ch.encode("utf-8"))
    return 2 if ord(ch) > 0xFFFF else 1


def _index(text: str, line: int, character: int, utf8: bool) -> int:
    """The str index of an LSP position (character clamped to the line's end)."""
    lines = _lines(text)
    if line >= len(lines):
        return len(text)
    start, end = lines[line]
    units = 0
    for i in range(start, end):
        w = _width(text[i], utf8)
        if units + w > character:
            return i
        units += w
    return end


def apply_reference(text: str, edit: Edit, utf8: bool = False) -> str:
    """``text`` after ``edit``: the reference implementation."""
    a = _index(text, *edit.start, utf8)
    b = _index(text, *edit.end, utf8)
    a, b = min(a, b), max(a, b)
    return text[:a] + edit.text + text[b:]


def _position(rng: random.Random, text: str, utf8: bool) -> tuple[int, int]:
    """A random valid position on a character boundary, sometimes past the line's end."""
    lines = _lines(text)
    line = rng.randrange(len(lines))
    start, end = lines[line]
    column = rng.randint(0, end - start)
    units = sum(_width(ch, utf8) for ch in text[start : start + column])
    if rng.random() < 0.05:
        units += rng.randint(1, 50)  # past the end of the line: clamped
    return line, units


def random_edit(rng: random.Random, text: str, utf8: bool = False) -> Edit:
    """An insert, a replacement or a delete (within a line or across lines)."""
    start = _position(rng, text, utf8)
    kind = rng.random()
    if kind < 0.45:
        end = start  # insert
    else:
        end = _position(rng, text, utf8)  # replace or delete, possibly across many lines
        if end < start:
            start, end = end, start
        if rng.random() < 0.1:
            start, end = end, start  # reversed range: normalised by the server
    new = "" if 0.45 <= kind < 0.75 else "".join(rng.choices(PIECES, k=rng.randint(1, 6)))
    return Edit(start, end, new)


def session(
    rng: random.Random, edits: int, utf8: bool | None = None
) -> tuple[str, list[list[Edit]], str, bool]:
    """(start text, changes grouped as didChange batches, final text, utf8) of one session;
    positions in UTF-8 (``utf8``) or UTF-16, a random choice unless given."""
    utf8 = rng.random() < 0.25 if utf8 is None else utf8
    text = rng.choice(SEEDS)
    start = text
    batches: list[list[Edit]] = []
    for _ in range(edits):
        batch = []
        for _ in range(1 if rng.random() < 0.8 else rng.randint(2, 4)):
            edit = random_edit(rng, text, utf8)
            text = apply_reference(text, edit, utf8)
            batch.append(edit)
        batches.append(batch)
    return start, batches, text, utf8
