"""Cross-file context: what other files say about the code at the cursor.

Two sources, both language-agnostic:

- **definitions** of the symbols used or imported near the cursor, found through the project
  index (imports first); short definitions are quoted whole from their file, long ones (a
  class) as an outline: their header, doc line and their members' first lines;
- **similar chunks** of other open or recently edited files: 20-line windows ranked by the
  Jaccard similarity of their identifier sets with the lines above the cursor, deduplicated.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..engine.prompt import Snippet
from ..index.project import ProjectIndex
from ..index.summary import Definition, FileSummary

_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_KEYWORDS = frozenset(
    [
        "if",
        "else",
        "elif",
        "for",
        "while",
        "return",
        "def",
        "class",
        "import",
        "from",
        "as",
        "in",
        "is",
        "not",
        "and",
        "or",
        "None",
        "True",
        "False",
        "self",
        "this",
        "new",
        "let",
        "const",
        "var",
        "function",
        "async",
        "await",
        "try",
        "except",
        "finally",
        "catch",
        "throw",
        "raise",
        "with",
        "pass",
        "break",
        "continue",
        "yield",
        "lambda",
        "public",
        "private",
        "protected",
        "static",
        "void",
        "int",
        "str",
        "float",
        "bool",
        "fn",
        "pub",
        "use",
        "mod",
        "impl",
        "struct",
        "enum",
        "match",
        "case",
        "switch",
        "default",
        "package",
        "func",
        "type",
        "interface",
    ]
)
_MAX_QUOTED_LINES = 14
CHUNK_LINES = 20
CHUNK_STEP = 10


def identifiers(text: str) -> list[str]:
    """Identifiers in ``text``, most recent (last) first, without keywords and repeats."""
    seen: dict[str, None] = {}
    for name in reversed(_IDENT.findall(text)):
        if name not in _KEYWORDS and len(name) > 1 and name not in seen:
            seen[name] = None
    return list(seen)


@dataclass
class SourceLines:
    """A file's lines, cached by modification time (snippets quote real source)."""

    cache: dict[str, tuple[float, list[str]]]

    def lines(self, path: str) -> list[str]:
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return []
        entry = self.cache.get(path)
        if entry is None or entry[0] != mtime:
            try:
                data = Path(path).read_bytes()
            except OSError:
                return []
            entry = (mtime, data.decode("utf-8", "replace").splitlines())
            if len(self.cache) > 256:
                self.cache.clear()
            self.cache[path] = entry
        return entry[1]


def _render(summary: FileSummary, index: int, lines: list[str]) -> str:
    d = summary.definitions[index]
    first, last = d.span.start_line, d.span.end_line
    if not lines or first >= len(lines):
        return d.signature
    if last - first + 1 <= _MAX_QUOTED_LINES:
        return "\n".join(lines[first : last + 1])
    # Outline: the header lines up to the name's line plus one (signature, doc opener), then
    # each member's first line with its own indentation.
    head_end = min(d.name_span.start_line + 2, last)
    out = lines[first:head_end]
    for child in summary.definitions:
        if child.parent == index and child.span.start_line < len(lines):
            out.append(lines[child.span.start_line])
    return "\n".join(out)


def definition_snippets(
    index: ProjectIndex,
    path: str,
    near_text: str,
    budget_tokens: int,
    count: Callable[[str], int],
    deadline: float,
    source_lines: SourceLines,
    relative_to: str = "",
    language: str | None = None,
) -> list[Snippet]:
    """Snippets for the definitions of identifiers in ``near_text`` that live in other files
    of the same ``language`` (a name shared with a JSON key or an HTML id is no context)."""
    chosen: list[Snippet] = []
    used = 0
    seen_defs: set[tuple[str, int]] = set()
    for name in identifiers(near_text)[:60]:
        if time.monotonic() > deadline:
            break
        for hit in index.find_definitions(path, name)[:2]:
            if hit.path == path or hit.definition.kind == "module":
                continue
            summary = index.get(hit.path)
            if summary is None or (language is not None and summary.language != language):
                continue
            idx = _definition_index(summary, hit.definition)
            if idx is None or (hit.path, idx) in seen_defs:
                continue
            # Quote the outermost definition a member belongs to only if it is small.
            seen_defs.add((hit.path, idx))
            text = _render(summary, idx, source_lines.lines(hit.path))
            cost = count(text) + 8
            if used + cost > budget_tokens:
                continue
            used += cost
            chosen.append(Snippet(_relative(hit.path, relative_to), text, "definition"))
    return chosen


def _definition_index(summary: FileSummary, definition: Definition) -> int | None:
    for i, d in enumerate(summary.definitions):
        if d is definition or (d.name == definition.name and d.span == definition.span):
            return i
    return None


def _relative(path: str, root: str) -> str:
    if root:
        try:
            return os.path.relpath(path, root)
        except ValueError:
            pass
    return os.path.basename(path)


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similar_chunks(
    near_text: str,
    others: Iterable[tuple[str, str]],
    budget_tokens: int,
    count: Callable[[str], int],
    deadline: float,
    max_chunks: int = 3,
    min_score: float = 0.12,
) -> list[Snippet]:
    """The chunks of ``others`` (path, text) most similar to ``near_text``, deduplicated."""
    target = set(identifiers(near_text))
    if not target:
        return []
    scored: list[tuple[float, str, str, set[str]]] = []
    for path, text in others:
        if time.monotonic() > deadline:
            break
        lines = text.splitlines()
        for start in range(0, max(1, len(lines) - CHUNK_LINES + CHUNK_STEP), CHUNK_STEP):
            chunk = "\n".join(lines[start : start + CHUNK_LINES])
            ids = set(_IDENT.findall(chunk)) - _KEYWORDS
            score = jaccard(target, ids)
            if score >= min_score:
                scored.append((score, path, chunk, ids))
    scored.sort(key=lambda t: -t[0])
    chosen: list[tuple[str, str, set[str]]] = []
    used = 0
    for _score, path, chunk, ids in scored:
        if len(chosen) >= max_chunks:
            break
        # Overlapping windows of one file, or near-copies of each other, add nothing new.
        if (
            any(jaccard(ids, other) > 0.9 for _p, _c, other in chosen)
            or jaccard(ids, target) > 0.95
        ):
            continue
        cost = count(chunk) + 8
        if used + cost > budget_tokens:
            continue
        used += cost
        chosen.append((path, chunk, ids))
    return [Snippet(path, chunk, "similar") for path, chunk, _ids in chosen]
