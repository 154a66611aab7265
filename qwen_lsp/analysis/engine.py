"""The analysis entry point: every finding for one document snapshot.

Runs off the protocol loop on an immutable :class:`~qwen_lsp.syntax.document.Snapshot`. The
language server and ``qwen-lsp check`` both call :func:`analyze`; the server passes the shared
:class:`~qwen_lsp.analysis.cache.ResultCache` so that a keystroke re-checks only the region it
changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..syntax.document import Snapshot
from .base import FileContext
from .cache import ResultCache
from .findings import Finding
from .noqa import filter_noqa
from .rules import RuleRegistry, default_rules, selected
from .syntax_errors import RULE_ID as SYNTAX_RULE
from .syntax_errors import syntax_findings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisOptions:
    """What to check (from the ``diagnostics`` settings, or ``check``'s options)."""

    syntax: bool = True
    disabled: frozenset[str] = field(default_factory=frozenset)
    performance_hints: bool = True
    # When not empty, only these rules (ids or prefixes such as "QL1") run.
    select: frozenset[str] = field(default_factory=frozenset)

    def wants(self, rule_id: str, registry: RuleRegistry) -> bool:
        """Whether ``rule_id`` is on."""
        if self.select and not selected(rule_id, self.select):
            return False
        if self.disabled and selected(rule_id, self.disabled):
            return False
        rule = registry.get(rule_id)
        if rule is None:
            return True
        if rule.category == "performance" and not self.performance_hints:
            return False
        return not (rule.category == "syntax" and not self.syntax)


def analyze(
    snapshot: Snapshot, options: AnalysisOptions, cache: ResultCache | None = None
) -> list[Finding]:
    """All findings for ``snapshot``, in document order, ``noqa`` comments applied."""
    if snapshot.tree is None:
        return []
    registry = default_rules()
    memo: dict[str, bool] = {}

    def wanted(rule_id: str) -> bool:
        if rule_id not in memo:
            memo[rule_id] = options.wants(rule_id, registry)
        return memo[rule_id]

    findings: list[Finding] = []
    if wanted(SYNTAX_RULE):
        try:
            findings.extend(syntax_findings(snapshot.tree, snapshot.data))
        except Exception:
            log.exception("syntax diagnostics failed on %s", snapshot.uri)
    ctx = FileContext(snapshot, snapshot.tree, cache)
    for runner in () if ctx.is_generated else _runners(ctx.language_id):
        try:
            findings.extend(f for f in runner(ctx, wanted) if wanted(f.rule))
        except Exception:
            # One broken rule must not take the others (or the server) down.
            log.exception(
                "rules %s failed on %s", getattr(runner, "__name__", runner), snapshot.uri
            )
    findings = filter_noqa(findings, snapshot.buffer, snapshot.language)
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    return findings


def _run_python(ctx: FileContext, wanted) -> list[Finding]:
    from .python import analyze_python

    return analyze_python(ctx, wanted)


def _run_queries(ctx: FileContext, wanted) -> list[Finding]:
    from . import query_rules

    return query_rules.run(ctx, query_rules.load_all(), wanted)


def _runners(language_id: str):
    if language_id == "python":
        yield _run_python
    yield _run_queries
