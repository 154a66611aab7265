"""``qwen-lsp check``: diagnostics for files and folders, as text, JSON or SARIF 2.1.0."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..index.scanner import scan
from ..syntax.document import Document
from ..syntax.languages import default_registry
from ..syntax.text import PositionEncoding
from .engine import AnalysisOptions, analyze
from .findings import Finding, Severity

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
    """Analyse every file under ``paths``."""
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
            path.as_uri(),
            data.decode("utf-8", "replace"),
            0,
            registry.by_id(language_id),
            PositionEncoding.UTF16,
        )
        snapshot = doc.snapshot()
        for f in analyze(snapshot, options):
            if select and f.rule not in select:
                continue
            sl, sc = doc.buffer.position_of_offset(f.start, PositionEncoding.UTF32)
            el, ec = doc.buffer.position_of_offset(f.end, PositionEncoding.UTF32)
            out.append(Located(str(path), sl + 1, sc + 1, el + 1, ec + 1, f))
    return out


def sarif(results: list[Located]) -> dict:
    """A SARIF 2.1.0 log of the results."""
    rules = sorted({r.finding.rule for r in results})
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
                        "rules": [{"id": r, "shortDescription": {"text": r}} for r in rules],
                    }
                },
                "results": [
                    {
                        "ruleId": r.finding.rule,
                        "ruleIndex": rules.index(r.finding.rule),
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
                    for r in results
                ],
            }
        ],
    }


def run_check(args: argparse.Namespace) -> int:
    """Entry point of ``qwen-lsp check``; returns the exit code."""
    select = frozenset(s.strip() for s in args.select.split(",") if s.strip())
    ignore = frozenset(s.strip() for s in args.ignore.split(",") if s.strip())
    results = check_paths(args.paths, AnalysisOptions(disabled=ignore), select)
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
                f"{r.path}:{r.line}:{r.column}: {r.finding.rule} {r.finding.severity.name.lower()}: {r.finding.message}{fix}"
            )
        print(f"{len(results)} finding(s)", file=sys.stderr)
    threshold = _FAIL_LEVELS[args.fail_on]
    return 1 if threshold and any(int(r.finding.severity) <= threshold for r in results) else 0
