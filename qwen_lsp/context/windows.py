"""Prefix and suffix windows under a token budget, cut at line boundaries (inside a line only
when that one line is over the budget).

Windows are *sticky*: while the previous window start still fits, it is kept, so that the
prompt's beginning does not move with every keystroke and the KV prefix cache keeps it; when
it must move, it moves a quarter of the budget further, so that it stays put again for a while.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

TokenCounter = Callable[[str], int]

# A first guess of characters per token for code; the real count decides.
_CHARS_PER_TOKEN = 3.2
# More than this many characters per token is not seen in practice: a longer text is cut
# without tokenizing it whole first (a multi-megabyte line costs no full tokenization).
_MAX_CHARS_PER_TOKEN = 64
# When a sticky prefix window must move, it moves on until this share of its budget is free.
_SLACK = 0.25


@dataclass
class Window:
    """The text around the cursor that goes into the prompt."""

    prefix: str
    suffix: str
    start_line: int  # first line of the prefix window
    end_line: int  # last line of the suffix window (exclusive)


def _fit_prefix(
    lines: list[str], first: int, cursor_line: int, budget: int, count: TokenCounter
) -> int:
    """Smallest start line >= ``first`` whose prefix fits ``budget`` tokens."""
    start = first
    for _ in range(6):
        if start >= cursor_line:
            return start  # the cursor's line alone: cut inside it by the caller
        text = "".join(lines[start : cursor_line + 1])
        n = count(text)
        if n <= budget:
            return start
        # Drop lines in proportion to the excess (at least one).
        span = cursor_line - start
        drop = max(1, int(span * (n - budget) / max(n, 1)) + 1)
        start = min(cursor_line, start + drop)
    return start


def _keep_tail(text: str, budget: int, count: TokenCounter) -> str:
    """The end of ``text`` within ``budget`` tokens (one line longer than the budget: a
    minified file, 10,000 brackets, a 50 MB string), cut inside the line."""
    if count(text) <= budget:
        return text
    keep = min(len(text), int(budget * _CHARS_PER_TOKEN))
    for _ in range(8):
        n = count(text[len(text) - keep :])
        if n <= budget or keep == 0:
            break
        keep = int(keep * budget / n * 0.9)
    return text[len(text) - keep :] if keep else ""


def _keep_head(text: str, budget: int, count: TokenCounter) -> str:
    """The start of ``text`` within ``budget`` tokens, cut inside the line if need be."""
    if len(text) <= budget * _MAX_CHARS_PER_TOKEN and count(text) <= budget:
        return text
    keep = min(len(text), int(budget * _CHARS_PER_TOKEN))
    for _ in range(8):
        n = count(text[:keep])
        if n <= budget or keep == 0:
            break
        keep = int(keep * budget / n * 0.9)
    return text[:keep]


def cut_windows(
    text: str,
    cursor: int,
    prefix_budget: int,
    suffix_budget: int,
    count: TokenCounter,
    previous: Window | None = None,
) -> Window:
    """Windows before and after ``cursor`` (a character index into ``text``)."""
    before, after = text[:cursor], text[cursor:]
    lines = before.splitlines(keepends=True) or [""]
    if before.endswith(("\n", "\r")):
        lines.append("")
    cursor_line = len(lines) - 1
    first_guess = cursor_line
    chars = 0
    while first_guess > 0 and chars < prefix_budget * _CHARS_PER_TOKEN:
        first_guess -= 1
        chars += len(lines[first_guess])
    if (
        previous is not None
        and 0 <= previous.start_line <= cursor_line
        and previous.start_line >= first_guess - 8
    ):
        # Keep the old start if it still fits: the prompt's beginning stays put.
        start = _fit_prefix(lines, previous.start_line, cursor_line, prefix_budget, count)
        if start != previous.start_line:
            # It has to move (the text grew past the budget): move it on to a quarter of
            # the budget below it, so that the lines typed next fit without moving it (and
            # re-running the whole prompt) again at every line.
            start = _fit_prefix(lines, start, cursor_line, int(prefix_budget * (1 - _SLACK)), count)
    else:
        start = _fit_prefix(lines, first_guess, cursor_line, prefix_budget, count)
    prefix = "".join(lines[start:])
    if start >= cursor_line:  # the cursor's line alone may be over the budget
        prefix = _keep_tail(prefix, prefix_budget, count)
    after_lines = after.splitlines(keepends=True)
    keep = 0
    chars = 0
    while (
        keep < len(after_lines)
        and chars + len(after_lines[keep]) <= suffix_budget * _CHARS_PER_TOKEN
    ):
        chars += len(after_lines[keep])
        keep += 1
    if keep == 0 and after_lines:
        keep = 1  # the rest of the cursor's line always goes in
    suffix = "".join(after_lines[:keep])
    while keep > 1 and count(suffix) > suffix_budget:
        keep = max(1, keep * 3 // 4)
        suffix = "".join(after_lines[:keep])
    if keep == 1:
        suffix = _keep_head(suffix, suffix_budget, count)
    return Window(prefix, suffix, start, cursor_line + keep)
