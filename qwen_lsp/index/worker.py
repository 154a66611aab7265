"""Parsing files into summaries: the unit of work of the indexer.

Module-level functions so that a process pool can run them; each process builds its own
languages registry and parsers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..syntax.languages import LanguageRegistry, default_registry
from ..syntax.text import TextBuffer
from .cache import content_hash
from .summary import FileSummary, summarize

_BINARY_SNIFF = 8192


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Outcome of indexing one file: a summary (serialised), or why it was skipped."""

    path: str
    language: str
    size: int
    mtime_ns: int
    content_hash: str
    summary: bytes | None
    references: bytes | None
    skipped: str | None = None


def summarize_bytes(
    path: str, language_id: str, data: bytes, registry: LanguageRegistry | None = None
) -> FileSummary | None:
    """Parse ``data`` as ``language_id`` and summarise it (None for binary content)."""
    if b"\x00" in data[:_BINARY_SNIFF]:
        return None
    registry = registry or default_registry()
    language = registry.by_id(language_id)
    if language is None:
        return None
    tree = language.parser().parse(data)
    return summarize(path, language, tree, TextBuffer(data), content_hash(data))


def parse_file(path: str, language_id: str, size: int, mtime_ns: int) -> ParseResult:
    """Read, parse and summarise one file; never raises for a bad file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return ParseResult(path, language_id, size, mtime_ns, "", None, None, f"unreadable: {exc}")
    digest = content_hash(data)
    try:
        summary = summarize_bytes(path, language_id, data)
    except Exception as exc:  # a grammar bug must not stop the whole index
        return ParseResult(path, language_id, size, mtime_ns, digest, None, None, f"error: {exc}")
    if summary is None:
        return ParseResult(path, language_id, size, mtime_ns, digest, None, None, "binary")
    return ParseResult(
        path,
        language_id,
        len(data),
        mtime_ns,
        digest,
        summary.to_json(),
        summary.references_to_json(),
    )


def parse_batch(items: list[tuple[str, str, int, int]]) -> list[ParseResult]:
    """Parse several files in one task (amortises process-pool round trips)."""
    return [parse_file(*item) for item in items]
