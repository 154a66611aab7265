"""Diagnostics benchmark; prints JSON.

- **per keystroke**: a 5,000-line Python file of real standard-library code is opened, then
  typed into at ten places spread over the file, one character at a time (each character is
  an incremental edit: ``Tree.edit`` + re-parse), and after every character the full rule
  set runs on the new snapshot with the shared result cache, as the server does. Reported:
  re-parse, rules and total per keystroke, p50/p95/max (ms). The same for a 5,000-line
  JavaScript file (lodash modules), where the analyzers (unused variables, missing await)
  look at the whole file on every run. Also: the whole file analysed cold (no cache).
- **check throughput** on the machine's CPython ``Lib/`` (the files ``qwen-lsp check``
  selects there), lines per second, next to ``pyflakes`` on the same files in the same
  process (``pip install pyflakes``; reported as null when it is missing).

Usage: ``python bench/diagnostics.py [--js DIR] [--out FILE] [--quick]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import sysconfig
import time
from pathlib import Path

from qwen_lsp.analysis.cache import ResultCache
from qwen_lsp.analysis.cli import check_paths
from qwen_lsp.analysis.engine import AnalysisOptions, analyze
from qwen_lsp.index.scanner import scan
from qwen_lsp.syntax.document import Document, TextEdit
from qwen_lsp.syntax.languages import default_registry

TYPED_PY = "        total = compute(item, limit) + offset  # typed\n"
TYPED_JS = "  const total = compute(item, limit) + offset; // typed\n"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def stats(values: list[float]) -> dict[str, float]:
    """p50/p95/max/mean in milliseconds."""
    return {
        "p50_ms": round(percentile(values, 50) * 1e3, 3),
        "p95_ms": round(percentile(values, 95) * 1e3, 3),
        "max_ms": round(max(values) * 1e3, 3),
        "mean_ms": round(statistics.fmean(values) * 1e3, 3),
    }


def python_5000_lines(stdlib: Path) -> str:
    """5,000 lines of real standard-library code, cut at a top-level statement."""
    lines: list[str] = []
    for name in ("typing.py", "argparse.py", "inspect.py", "dataclasses.py", "pathlib.py"):
        lines.extend((stdlib / name).read_text().splitlines(True))
        if len(lines) >= 5000:
            break
    cut = 5000
    while cut < len(lines) and (lines[cut][:1] in (" ", "\t", "\n", ")", "]", "}", "#")):
        cut += 1  # end on a top-level line so that the file parses
    return "".join(lines[:cut])


def js_5000_lines(folder: Path) -> str | None:
    """5,000 lines of lodash's per-method modules (each one valid on its own)."""
    if not folder.is_dir():
        return None
    lines: list[str] = []
    for path in sorted(folder.glob("*.js")):
        if path.name.startswith(("lodash", "core", "fp")) or ".min." in path.name:
            continue
        lines.extend(path.read_text().splitlines(True))
        if len(lines) >= 5000:
            break
    return "".join(lines) if len(lines) >= 5000 else None


def typing_spots(text: str, indent: str, count: int = 10) -> list[int]:
    """Line numbers inside function bodies, spread over the file, where a new line can be
    typed (the line before is a complete statement at the same indentation)."""
    lines = text.split("\n")
    candidates = [
        i
        for i in range(1, len(lines) - 1)
        if lines[i].startswith(indent)
        and not lines[i].startswith(indent + " ")
        and lines[i - 1].startswith(indent)
        and lines[i - 1].rstrip().endswith((")", "]", "e", "1", "0", ";"))
        and '"""' not in lines[i - 1]
    ]
    step = max(1, len(candidates) // count)
    return candidates[::step][:count]


def keystrokes(text: str, language_id: str, typed: str, indent: str) -> dict[str, object]:
    """Type ``typed`` at ten places, one character at a time; time each keystroke."""
    language = default_registry().by_id(language_id)
    doc = Document(f"file:///bench/file.{language_id}", text, 1, language)
    options = AnalysisOptions()
    cold_start = time.perf_counter()
    cold_findings = analyze(doc.snapshot(), options)
    cold = time.perf_counter() - cold_start
    cache = ResultCache()
    analyze(doc.snapshot(), options, cache)  # as after didOpen
    reparse: list[float] = []
    rules: list[float] = []
    total: list[float] = []
    version = 1
    inserted = 0
    for spot in typing_spots(text, indent):
        line = spot + inserted
        col = 0
        for ch in typed:
            version += 1
            t0 = time.perf_counter()
            doc.apply([TextEdit(ch, (line, col), (line, col))], version)
            t1 = time.perf_counter()
            analyze(doc.snapshot(), options, cache)
            t2 = time.perf_counter()
            reparse.append(t1 - t0)
            rules.append(t2 - t1)
            total.append(t2 - t0)
            if ch == "\n":
                line, col = line + 1, 0
            else:
                col += 1
        inserted += typed.count("\n")
    return {
        "lines": text.count("\n") + 1,
        "keystrokes": len(total),
        "reparse": stats(reparse),
        "rules": stats(rules),
        "total": stats(total),
        "cold_full_analysis_ms": round(cold * 1e3, 1),
        "findings_in_file": len(cold_findings),
    }


def throughput(stdlib: Path, quick: bool) -> dict[str, object]:
    """``check`` (single process) and pyflakes on the same standard-library files."""
    files = sorted(
        Path(f.path) for f in scan([stdlib], default_registry()) if f.language == "python"
    )
    if quick:
        files = files[:150]
    lines = sum(p.read_bytes().count(b"\n") + 1 for p in files)
    check_paths([str(p) for p in files[:20]], AnalysisOptions())  # warm up imports
    start = time.perf_counter()
    results = check_paths([str(p) for p in files], AnalysisOptions())
    ours = time.perf_counter() - start
    out: dict[str, object] = {
        "files": len(files),
        "lines": lines,
        "qwen_lsp_check": {
            "seconds": round(ours, 2),
            "lines_per_s": int(lines / ours),
            "findings": len(results),
        },
    }
    try:
        import pyflakes
        from pyflakes.api import check as pyflakes_check
        from pyflakes.reporter import Reporter
    except ImportError:
        out["pyflakes"] = None
        return out
    sink = io.StringIO()
    reporter = Reporter(sink, sink)
    start = time.perf_counter()
    messages = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        messages += pyflakes_check(text, str(path), reporter)
    theirs = time.perf_counter() - start
    out["pyflakes"] = {
        "version": pyflakes.__version__,
        "seconds": round(theirs, 2),
        "lines_per_s": int(lines / theirs),
        "findings": messages,
    }
    out["ratio_qwen_lsp_to_pyflakes"] = round(theirs / ours, 2)
    return out


def main() -> None:
    """Run every measurement and print (or write) the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--js", default="/tmp/qw/npm/node_modules/lodash", help="lodash folder")
    parser.add_argument("--out", help="also write the JSON here")
    parser.add_argument("--quick", action="store_true", help="fewer files (a smoke run)")
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    report: dict[str, object] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "keystroke_python_5000_lines": keystrokes(
            python_5000_lines(stdlib), "python", TYPED_PY, "        "
        ),
    }
    js = js_5000_lines(Path(args.js))
    report["keystroke_javascript_5000_lines"] = (
        keystrokes(js, "javascript", TYPED_JS, "  ") if js else None
    )
    report["check_throughput_cpython_lib"] = throughput(stdlib, args.quick)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
