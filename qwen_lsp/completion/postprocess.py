"""Post-processing of a raw suggestion: drop what repeats the text after the cursor, balance
brackets against it, keep indentation, and drop trivial suggestions (only closers/whitespace)."""

from __future__ import annotations

from .plan import Plan

_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSING = set(_PAIRS.values())
_TRIVIAL = set(")]}>;,.:'\"` \t\n")


def _overlap(text: str, rest: str) -> int:
    """Longest k such that the end of ``text`` equals the start of ``rest``."""
    rest = rest.rstrip("\n")
    for k in range(min(len(text), len(rest)), 0, -1):
        if text.endswith(rest[:k]):
            return k
    return 0


def _unmatched_closers(text: str) -> int:
    depth = 0
    unmatched = 0
    for ch in text:
        if ch in _PAIRS:
            depth += 1
        elif ch in _CLOSING:
            if depth:
                depth -= 1
            else:
                unmatched += 1
    return unmatched


def finish(text: str, plan: Plan, min_chars: int = 2) -> str | None:
    """The suggestion to show, or None when nothing worth showing is left."""
    if plan.multiline:
        lines = text.split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        text = "\n".join(line.rstrip() for line in lines)
    else:
        text = text.split("\n", 1)[0].rstrip()
    rest = plan.rest_of_line
    if rest.strip():
        # The editor already has these characters after the cursor (often auto-closed
        # brackets): the suggestion must not type them a second time.
        k = _overlap(text, rest)
        if k and (
            k == len(rest.rstrip("\n"))
            or (rest[:k].strip() and all(c in _CLOSING or c in ";,'\"` " for c in rest[:k]))
        ):
            text = text[:-k].rstrip() if k < len(text) else ""
        extra = _unmatched_closers(text)
        if extra and rest.lstrip().startswith(tuple(_CLOSING)):
            # Closing a bracket that the suffix also closes: keep the suffix's, drop ours.
            while extra and text and text[-1] in _CLOSING:
                text = text[:-1]
                extra -= 1
    if not text.strip() or all(ch in _TRIVIAL for ch in text) or len(text.strip()) < min_chars:
        return None
    return text
