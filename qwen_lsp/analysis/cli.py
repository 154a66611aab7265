"""``qwen-lsp check`` (diagnostics for files and folders, as text, JSON or SARIF 2.1.0) and
``qwen-lsp explain-log`` (a log or traceback explained at the workspace lines it points to)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..index.scanner import scan
from ..syntax.document import Document
from ..syntax.languages import default_registry
from ..syntax.text import PositionEncoding, TextBuffer
from .engine import AnalysisOptions, analyze
from .findings import Finding, Fix, Severity
from .rules import default_rules, parse_ids

_FAIL_LEVELS = {"error": 1, "warning": 2, "information": 3, "hint": 4, "never": 0}
_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}


@dataclass(frozen=True)
class Located:
    """A finding with its file and 1-based line/column (code points)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    finding: Finding
    buffer: TextBuffer | None = None  # to place the fix's edits


def _files(paths: list[str]) -> Iterator[tuple[Path, str]]:
    registry = default_registry()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in scan([p], registry):
                yield Path(f.path), f.language
        elif p.is_file():
            lang = registry.for_path(p)
            if lang is not None:
                yield p, lang.id
            else:
                print(f"qwen-lsp: skipping {p}: unknown language", file=sys.stderr)
        else:
            print(f"qwen-lsp: no such file or folder: {p}", file=sys.stderr)


def check_paths(
    paths: list[str], options: AnalysisOptions, select: frozenset[str] = frozenset()
) -> list[Located]:
    """Analyse every file under ``paths`` (``select``: only these rule ids or prefixes)."""
    if select:
        options = AnalysisOptions(
            syntax=options.syntax,
            disabled=options.disabled,
            performance_hints=options.performance_hints,
            select=options.select | select,
        )
    registry = default_registry()
    out: list[Located] = []
    for path, language_id in _files(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"qwen-lsp: cannot read {path}: {exc.strerror}", file=sys.stderr)
            continue
        if b"\x00" in data[:8192]:
            continue
        doc = Document(
            path.resolve().as_uri(),
            data.decode("utf-8", "replace"),
            0,
            registry.by_id(language_id),
            PositionEncoding.UTF16,
        )
        for f in analyze(doc.snapshot(), options):
            sl, sc = doc.buffer.position_of_offset(f.start, PositionEncoding.UTF32)
            el, ec = doc.buffer.position_of_offset(f.end, PositionEncoding.UTF32)
            out.append(Located(str(path), sl + 1, sc + 1, el + 1, ec + 1, f, doc.buffer))
    return out


def _sarif_fix(r: Located, fix: Fix) -> dict:
    buffer = r.buffer
    replacements = []
    for e in fix.edits:
        if buffer is None:
            break
        sl, sc = buffer.position_of_offset(e.start, PositionEncoding.UTF32)
        el, ec = buffer.position_of_offset(e.end, PositionEncoding.UTF32)
        replacements.append(
            {
                "deletedRegion": {
                    "startLine": sl + 1,
                    "startColumn": sc + 1,
                    "endLine": el + 1,
                    "endColumn": ec + 1,
                },
                "insertedContent": {"text": e.text},
            }
        )
    return {
        "description": {"text": fix.title},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": Path(r.path).resolve().as_uri()},
                "replacements": replacements,
            }
        ],
    }


def sarif(results: list[Located]) -> dict:
    """A SARIF 2.1.0 log of the results: the rules with their documentation, every result
    with its location and fixes (columns in Unicode code points)."""
    registry = default_rules()
    rule_ids = sorted({r.finding.rule for r in results})
    descriptors = []
    for rule_id in rule_ids:
        rule = registry.get(rule_id)
        if rule is None:
            descriptors.append({"id": rule_id, "shortDescription": {"text": rule_id}})
            continue
        descriptors.append(
            {
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.summary},
                "help": {"text": rule.explain.strip(), "markdown": rule.explanation()},
                "helpUri": rule.help_uri,
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                "properties": {"category": rule.category, "languages": list(rule.languages)},
            }
        )
    sarif_results = []
    for r in results:
        result: dict = {
            "ruleId": r.finding.rule,
            "ruleIndex": rule_ids.index(r.finding.rule),
            "level": _SARIF_LEVEL[r.finding.severity],
            "message": {"text": r.finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": Path(r.path).resolve().as_uri()},
                        "region": {
                            "startLine": r.line,
                            "startColumn": r.column,
                            "endLine": r.end_line,
                            "endColumn": r.end_column,
                        },
                    }
                }
            ],
        }
        fixes = [_sarif_fix(r, f) for f in r.finding.fixes if f.edits and r.buffer is not None]
        if fixes:
            result["fixes"] = fixes
        sarif_results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "qwen-lsp",
                        "version": __version__,
                        "informationUri": "https://github.com/qwen-lsp/qwen-lsp",
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }


def run_check(args: argparse.Namespace) -> int:
    """Entry point of ``qwen-lsp check``; returns the exit code."""
    select = parse_ids(args.select)
    ignore = parse_ids(args.ignore)
    options = AnalysisOptions(
        disabled=ignore,
        select=select,
        performance_hints=not getattr(args, "no_performance_hints", False),
    )
    results = check_paths(args.paths, options)
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "path": r.path,
                        "line": r.line,
                        "column": r.column,
                        "end_line": r.end_line,
                        "end_column": r.end_column,
                        "rule": r.finding.rule,
                        "severity": r.finding.severity.name.lower(),
                        "message": r.finding.message,
                        "fix": r.finding.fix.title if r.finding.fix else None,
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    elif args.format == "sarif":
        print(json.dumps(sarif(results), indent=2))
    else:
        for r in results:
            fix = f"  [fix: {r.finding.fix.title}]" if r.finding.fix else ""
            print(
                f"{r.path}:{r.line}:{r.column}: {r.finding.rule} "
                f"{r.finding.severity.name.lower()}: {r.finding.message}{fix}"
            )
        print(f"{len(results)} finding(s)", file=sys.stderr)
    if getattr(args, "statistics", False):
        counts = Counter(r.finding.rule for r in results)
        for rule_id, count in sorted(counts.items()):
            rule = default_rules().get(rule_id)
            print(f"{count:7d}  {rule_id}  {rule.name if rule else ''}", file=sys.stderr)
    threshold = _FAIL_LEVELS[args.fail_on]
    return 1 if threshold and any(int(r.finding.severity) <= threshold for r in results) else 0


def run_explain_log(args: argparse.Namespace) -> int:
    """Entry point of ``qwen-lsp explain-log``: prints the explanation; 0, or 2 when the log
    cannot be read."""
    from .logs import FileWorkspace, analyze_log

    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            print(f"qwen-lsp: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
    roots = [Path(r) for r in (args.root or [str(Path.cwd())])]
    report = analyze_log(text, FileWorkspace(roots))
    if args.format == "json":
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.to_text(), end="")
    return 0
