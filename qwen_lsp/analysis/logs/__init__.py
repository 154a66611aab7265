"""Error-log and traceback analysis: parse a log (:mod:`.parse`), explain each error at its
innermost workspace frame (:mod:`.explain`), and turn the explanations into findings on the
lines they point to (source ``qwen-log``), with the fixes as code actions.

Used by the ``qwen.explainLog`` command and by ``qwen-lsp explain-log``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import Finding, Severity
from .explain import Explanation, Workspace, explain_errors, line_span
from .parse import Frame, LogError, parse_log

__all__ = [
    "Explanation",
    "FileWorkspace",
    "Frame",
    "LogError",
    "LogReport",
    "analyze_log",
    "parse_log",
]

SOURCE = "qwen-log"


@dataclass
class LogReport:
    """Everything one log says, explained."""

    errors: list[LogError]
    explanations: list[Explanation]
    # path -> findings in that file's current bytes
    findings: dict[str, list[Finding]] = field(default_factory=dict)

    def to_json(self) -> list[dict[str, object]]:
        """Plain data for JSON output and the command's result."""
        out: list[dict[str, object]] = []
        for e in self.explanations:
            out.append(
                {
                    "error": e.title,
                    "language": e.error.language,
                    "path": e.path,
                    "line": e.frame.line if e.frame else None,
                    "function": e.frame.function if e.frame else None,
                    "cause": e.cause,
                    "steps": e.steps,
                    "fix": e.fix.title if e.fix else None,
                    "corrected_line": e.corrected_line,
                    "call_chain": [f"{p}:{f.line}" for p, f in e.call_chain],
                }
            )
        return out

    def to_text(self) -> str:
        """A report for a terminal."""
        if not self.explanations:
            return "No errors or tracebacks found in the log.\n"
        parts = []
        for e in self.explanations:
            lines = [e.title]
            if e.path and e.frame:
                where = f"{e.path}:{e.frame.line}"
                lines.append(
                    f"  at {where}" + (f" in {e.frame.function}" if e.frame.function else "")
                )
                if e.frame.source:
                    lines.append(f"      {e.frame.source}")
            else:
                lines.append("  (no frame in the workspace)")
            lines.append(f"  cause: {e.cause}")
            for i, step in enumerate(e.steps, 1):
                lines.append(f"  {i}. {step}")
            if e.corrected_line is not None:
                lines.append("  corrected line:")
                lines.extend(f"      {line}" for line in e.corrected_line.splitlines())
            for path, frame in reversed(e.call_chain):
                lines.append(
                    f"  called from {path}:{frame.line}"
                    + (f" in {frame.function}" if frame.function else "")
                )
            parts.append("\n".join(lines))
        return "\n\n".join(parts) + "\n"


def _finding_span(data: bytes, span: tuple[int, int]) -> tuple[int, int]:
    a, b = span
    text = data[a:b]
    stripped = text.lstrip()
    a += len(text) - len(stripped)
    b = a + len(stripped.rstrip())
    return (a, b) if b > a else span


def _findings(explanations: list[Explanation], workspace: Workspace) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for e in explanations:
        if e.path is None or e.line_span is None or e.frame is None:
            continue
        data = workspace.read(e.path) or b""
        start, end = _finding_span(data, e.line_span)
        steps = " ".join(f"({i}) {s}" for i, s in enumerate(e.steps, 1))
        severity = Severity.WARNING if e.error.kind == "warning" else Severity.ERROR
        out.setdefault(e.path, []).append(
            Finding(
                e.error.short_kind,
                f"{e.title}\nCause: {e.cause}.\nFix: {steps}",
                start,
                end,
                severity,
                e.fix,
                source=SOURCE,
            )
        )
        for path, frame in e.call_chain:
            other = workspace.read(path) or b""
            span = line_span(other, frame.line)
            if span is None:
                continue
            a, b = _finding_span(other, span)
            out.setdefault(path, []).append(
                Finding(
                    e.error.short_kind,
                    f"called from here on the way to {e.title} ({Path(e.path).name}:{e.frame.line})",
                    a,
                    b,
                    Severity.INFORMATION,
                    source=SOURCE,
                )
            )
    for findings in out.values():
        findings.sort(key=lambda f: (f.start, f.severity))
    return out


def analyze_log(text: str, workspace: Workspace) -> LogReport:
    """Parse ``text``, explain every error, and place the explanations in the files."""
    errors = parse_log(text)
    explanations = explain_errors(errors, workspace)
    return LogReport(errors, explanations, _findings(explanations, workspace))


class FileWorkspace:
    """A :class:`Workspace` over folders on disk (the CLI's; the server adds open buffers and
    the project index)."""

    def __init__(self, roots: list[Path], names: list[str] | None = None) -> None:
        self.roots = [r.resolve() for r in roots]
        self._names = names

    def read(self, path: str) -> bytes | None:
        """The file's bytes."""
        try:
            return Path(path).read_bytes()
        except OSError:
            return None

    def similar_names(self, name: str) -> list[str]:
        """No project index here: names come from the file itself."""
        return list(self._names or [])

    def files_defining(self, name: str) -> list[str]:
        """Not known without an index."""
        return []


def report_json(report: LogReport) -> str:
    """The report as indented JSON."""
    return json.dumps(report.to_json(), indent=2)
