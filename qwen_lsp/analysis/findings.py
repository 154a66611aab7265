"""What analysis produces: findings with optional fixes, in byte offsets (no LSP types).

The features layer converts byte offsets to the client's positions through the document's
:class:`~qwen_lsp.syntax.text.TextBuffer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    """Severity, numbered as LSP's DiagnosticSeverity."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace bytes ``[start, end)`` with ``text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A change that resolves a finding."""

    title: str
    edits: tuple[Edit, ...]
    preferred: bool = True


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a file."""

    rule: str
    message: str
    start: int
    end: int
    severity: Severity = Severity.WARNING
    fix: Fix | None = None
    source: str = "qwen-lsp"
    tags: tuple[str, ...] = field(default=())  # "unnecessary", "deprecated"
