"""Fuzzy matching of symbol names, for ``workspace/symbol``.

Ranks, best first: exact, case-insensitive exact, prefix, word-initials ("gcu" for
``get_current_user`` / ``getCurrentUser``), substring, then in-order subsequence with fewer gaps.
"""

from __future__ import annotations

import re

_WORD_START = re.compile(r"(?:^|_|-)([A-Za-z0-9])|(?<=[a-z0-9])([A-Z])")


def _initials(name: str) -> str:
    return "".join((a or b) for a, b in _WORD_START.findall(name)).lower()


def fuzzy_score(query: str, name: str) -> float:
    """Score of ``name`` for ``query``: 0 when it does not match, higher is better."""
    if not query:
        return 1.0
    if query == name:
        return 1000.0
    q = query.lower()
    n = name.lower()
    if q == n:
        return 900.0
    if n.startswith(q):
        return 800.0 - min(len(n) - len(q), 100) * 0.5
    if len(q) > 1 and _initials(name).startswith(q):
        return 700.0 - len(name) * 0.1
    pos = n.find(q)
    if pos >= 0:
        boundary = pos == 0 or not name[pos - 1].isalnum() or name[pos].isupper()
        return (600.0 if boundary else 500.0) - pos * 0.5
    # Subsequence: every query char in order; penalise gaps and late starts.
    score = 300.0
    i = 0
    last = -1
    for ch in q:
        j = n.find(ch, i)
        if j < 0:
            return 0.0
        if last >= 0:
            score -= (j - last - 1) * 2.0
        else:
            score -= j
        last = j
        i = j + 1
    return max(score, 1.0)
