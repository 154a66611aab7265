"""How often generated tests run and pass, on a sample of real functions: small pure-Python
modules of the standard library, copied into a temporary project (renamed ``stdlib_<name>.py``
so they never shadow the real modules), and for each sampled function ``gen-tests --run``
through the same code path as the CLI (``generate_tests`` with the embedded model). A function
counts when at least one generated test was kept, i.e. ran and passed under pytest.

    python bench/testgen.py [--per-module 6] [--no-model] [--out DIR]

Prints JSON: functions sampled, how many got a kept passing test, the share, where the kept
tests came from, a histogram of the reasons tests were dropped, and the seconds it took. Not a
timing figure: the share does not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path

from qwen_lsp.completion.service import CompletionService
from qwen_lsp.index.worker import summarize_bytes
from qwen_lsp.testgen.fill import ModelFiller
from qwen_lsp.testgen.generate import GenerationError, Options, generate_tests

# Small modules of pure functions (no I/O, no global state worth speaking of).
MODULES = [
    "textwrap.py",
    "colorsys.py",
    "heapq.py",
    "bisect.py",
    "fnmatch.py",
    "shlex.py",
    "base64.py",
    "html/__init__.py",
    "quopri.py",
    "keyword.py",
    "posixpath.py",
    "statistics.py",
]


def _functions(path: Path) -> list[str]:
    """Public module-level functions of ``path``, in file order."""
    data = path.read_bytes()
    summary = summarize_bytes(str(path), "python", data)
    names = []
    for d in summary.definitions if summary else []:
        public = d.kind == "function" and d.parent == -1 and not d.name.startswith("_")
        if public and d.name not in names:
            names.append(d.name)
    return names


def _reason(text: str) -> str:
    """A dropped test's reason as a histogram bucket (the error's kind, not its details)."""
    text = text.strip()
    m = re.match(r"^(every sample call failed): (\w+(?:Error|Exception|Exit)?)", text)
    if m:
        return f"{m.group(1)}: {m.group(2)}"
    m = re.search(r"\b(\w+(?:Error|Exception))\b", text)
    if m:
        return m.group(1)
    return re.sub(r"\d+", "N", text.splitlines()[0] if text else "no reason")[:60]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-module", type=int, default=6, help="functions sampled per module")
    parser.add_argument("--no-model", action="store_true")
    parser.add_argument("--out", help="keep the project and its generated tests here")
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="qwen-bench-testgen-"))
    project = work / "project"
    project.mkdir(parents=True, exist_ok=True)
    service = None if args.no_model else CompletionService()
    filler = ModelFiller(service, root=str(project)) if service else None
    rows = []
    origins: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    started = time.monotonic()
    for rel in MODULES:
        original = stdlib / rel
        if not original.is_file():
            continue
        stem = rel.split("/")[0].removesuffix(".py")
        source = project / f"stdlib_{stem}.py"
        shutil.copyfile(original, source)
        for name in _functions(source)[: args.per_module]:
            options = Options(
                function=name,
                run=True,
                model=filler is not None,
                out=work / "tests" / f"{stem}__{name}",
                timeout=120,
            )
            try:
                report = generate_tests(source, project, options, filler)
            except GenerationError as exc:
                rows.append(
                    {"module": rel, "function": name, "passing_tests": 0, "error": str(exc)}
                )
                continue
            kept = [t for t in report.generated if t.name in report.kept]
            for t in kept:
                origins[t.origin] += 1
            for d in report.dropped:
                dropped[_reason(d.reason)] += 1
            rows.append(
                {
                    "module": rel,
                    "function": name,
                    "passing_tests": len(kept),
                    "origins": sorted({t.origin for t in kept}),
                    "dropped": [d.reason.splitlines()[0][:160] for d in report.dropped][:3],
                }
            )
    if service is not None:
        service.close()
    with_tests = sum(1 for r in rows if r["passing_tests"])
    print(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "model": None if filler is None else filler.model_name,
                "modules": len({r["module"] for r in rows}),
                "functions": len(rows),
                "with_passing_tests": with_tests,
                "share": round(with_tests / len(rows), 3) if rows else None,
                "with_documented_tests": sum(
                    1 for r in rows if {"doctest", "docstring"} & set(r.get("origins", []))
                ),
                "with_model_tests": sum(1 for r in rows if "model" in r.get("origins", [])),
                "with_pinned_tests": sum(1 for r in rows if "pinned" in r.get("origins", [])),
                "kept_tests_by_origin": dict(origins),
                "dropped_reasons": dict(dropped.most_common()),
                "seconds": round(time.monotonic() - started, 1),
                "output": str(work),
                "rows": rows,
            },
            indent=2,
        )
    )
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
