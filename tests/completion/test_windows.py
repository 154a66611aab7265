"""Prefix/suffix windows: within budget, cut at lines, and sticky while the user types."""

from __future__ import annotations

import itertools
import sysconfig
from pathlib import Path

from qwen_lsp.context.windows import cut_windows

TEXT = (Path(sysconfig.get_paths()["stdlib"]) / "argparse.py").read_text(encoding="utf-8")


def count(text: str) -> int:
    """A stand-in token count (about what a code tokenizer gives)."""
    return len(text) // 3 + 1


def test_windows_fit_their_budgets_and_cut_at_lines() -> None:
    cursor = TEXT.index("class ArgumentParser")
    window = cut_windows(TEXT, cursor, 400, 100, count)
    assert count(window.prefix) <= 400 and count(window.suffix) <= 100
    assert TEXT[:cursor].endswith(window.prefix) and TEXT[cursor:].startswith(window.suffix)
    assert window.prefix == "" or TEXT[cursor - len(window.prefix) - 1] == "\n"


def test_typing_new_lines_moves_the_prefix_start_rarely() -> None:
    """Sixty lines typed at the cursor: the window's start moves now and then, each time by a
    quarter of the budget, not at every line (each move re-runs the whole prompt)."""
    cursor = TEXT.index("class ArgumentParser")
    text = TEXT
    window = cut_windows(text, cursor, 400, 100, count)
    starts = [window.start_line]
    for i in range(60):
        line = f"    value_{i} = compute(value_{i - 1}, option={i})\n"
        text = text[:cursor] + line + text[cursor:]
        cursor += len(line)
        window = cut_windows(text, cursor, 400, 100, count, window)
        assert count(window.prefix) <= 400
        starts.append(window.start_line)
    moves = sum(a != b for a, b in itertools.pairwise(starts))
    assert 1 <= moves <= 12, starts  # every line, without the slack
