"""What analysis produces: findings with optional fixes, in byte offsets (no LSP types).

The features layer converts byte offsets to the client's positions through the document's
:class:`~qwen_lsp.syntax.text.TextBuffer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum


class Severity(IntEnum):
    """Severity, numbered as LSP's DiagnosticSeverity."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @classmethod
    def parse(cls, name: str) -> Severity:
        """``"warning"`` -> ``Severity.WARNING`` (``"info"`` is accepted for information)."""
        key = name.strip().upper()
        return cls.INFORMATION if key == "INFO" else cls[key]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace bytes ``[start, end)`` with ``text``."""

    start: int
    end: int
    text: str

    def shifted(self, delta: int) -> Edit:
        """The same edit ``delta`` bytes further on."""
        return Edit(self.start + delta, self.end + delta, self.text)


@dataclass(frozen=True, slots=True)
class Fix:
    """A change that resolves a finding."""

    title: str
    edits: tuple[Edit, ...]
    preferred: bool = True

    def shifted(self, delta: int) -> Fix:
        """The same fix ``delta`` bytes further on."""
        return Fix(self.title, tuple(e.shifted(delta) for e in self.edits), self.preferred)


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
    # Other fixes worth offering (never preferred): e.g. `==` or extra parentheses for an
    # assignment in a condition, where the intent is not known.
    alternatives: tuple[Fix, ...] = field(default=())

    def shifted(self, delta: int) -> Finding:
        """The same finding ``delta`` bytes further on (cached results of a moved region)."""
        if delta == 0:
            return self
        return replace(
            self,
            start=self.start + delta,
            end=self.end + delta,
            fix=self.fix.shifted(delta) if self.fix else None,
            alternatives=tuple(f.shifted(delta) for f in self.alternatives),
        )

    @property
    def fixes(self) -> tuple[Fix, ...]:
        """Every fix, the main one first."""
        return ((self.fix,) if self.fix else ()) + self.alternatives
