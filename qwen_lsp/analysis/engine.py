"""The analysis entry point: every finding for one document snapshot.

Runs off the protocol loop on an immutable :class:`~qwen_lsp.syntax.document.Snapshot`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..syntax.document import Snapshot
from .findings import Finding
from .syntax_errors import syntax_findings


@dataclass(frozen=True)
class AnalysisOptions:
    """What to check (from the ``diagnostics`` settings)."""

    syntax: bool = True
    disabled: frozenset[str] = field(default_factory=frozenset)
    performance_hints: bool = True


def analyze(snapshot: Snapshot, options: AnalysisOptions) -> list[Finding]:
    """All findings for ``snapshot``, in document order."""
    if snapshot.tree is None:
        return []
    findings: list[Finding] = []
    if options.syntax:
        findings.extend(syntax_findings(snapshot.tree, snapshot.data))
    findings = [f for f in findings if f.rule not in options.disabled]
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    return findings
