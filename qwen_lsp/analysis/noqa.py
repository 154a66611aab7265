"""``noqa`` comments, in each language's comment syntax (from its ``language.toml``).

- ``# noqa`` / ``// noqa`` / ``/* noqa */`` at the end of a line: every rule on that line;
- ``# noqa: QL101`` or ``# noqa: QL101, QL102``: those rules (prefixes too: ``QL1``).
  Codes of other tools (``# noqa: E501``) leave our rules alone;
- ``qwen-lsp: noqa`` / ``qwen-lsp: noqa: QL201`` in a comment anywhere: the whole file.

A finding is silenced by a comment on its first or its last line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from ..syntax.languages import Language
from ..syntax.text import TextBuffer
from .findings import Finding

_CODES = r"(?::\s*(?P<codes>[A-Za-z]+[0-9]*(?:[\s,]+[A-Za-z]+[0-9]+)*))?"
_FILE_MARK = b"qwen-lsp: noqa"


@lru_cache(maxsize=64)
def _pattern(line_comment: str | None, block_open: str | None) -> re.Pattern[str] | None:
    openers = [re.escape(o) for o in (line_comment, block_open) if o]
    if not openers:
        return None
    return re.compile(rf"(?:{'|'.join(openers)})[^\n]*?\bnoqa\b{_CODES}", re.IGNORECASE)


@lru_cache(maxsize=64)
def _file_pattern(line_comment: str | None, block_open: str | None) -> re.Pattern[str] | None:
    openers = [re.escape(o) for o in (line_comment, block_open) if o]
    if not openers:
        return None
    return re.compile(
        rf"(?:{'|'.join(openers)})\s*qwen-lsp:\s*noqa\b{_CODES}", re.IGNORECASE | re.MULTILINE
    )


def _covers(codes: str | None, rule: str) -> bool:
    if not codes:
        return True
    return any(rule.upper().startswith(c.upper()) for c in re.split(r"[\s,]+", codes) if c)


def filter_noqa(
    findings: Iterable[Finding], buffer: TextBuffer, language: Language | None
) -> list[Finding]:
    """``findings`` without those a ``noqa`` comment silences."""
    findings = list(findings)
    if not findings or language is None:
        return findings
    line_comment = language.spec.line_comment
    block = language.spec.block_comment
    block_open = block[0] if block else None
    pattern = _pattern(line_comment, block_open)
    if pattern is None:
        return findings
    file_codes: list[str | None] = []
    if _FILE_MARK in buffer.data:
        file_re = _file_pattern(line_comment, block_open)
        if file_re is not None:
            file_codes = [m.group("codes") for m in file_re.finditer(buffer.text)]
    per_line: dict[int, list[str | None]] = {}

    def codes_on(row: int) -> list[str | None]:
        if row not in per_line:
            line = buffer.line_bytes(row)
            per_line[row] = (
                [m.group("codes") for m in pattern.finditer(line.decode("utf-8", "replace"))]
                if b"noqa" in line.lower()
                else []
            )
        return per_line[row]

    kept = []
    for f in findings:
        if any(_covers(c, f.rule) for c in file_codes):
            continue
        first = buffer.point_of_offset(f.start).row
        last = buffer.point_of_offset(max(f.start, f.end - 1)).row
        rows = (first,) if first == last else (first, last)
        if any(_covers(c, f.rule) for row in rows for c in codes_on(row)):
            continue
        kept.append(f)
    return kept
