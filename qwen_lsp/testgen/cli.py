"""``qwen-lsp gen-tests PATH [--function NAME] [--out DIR] [--run] [--format json]``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Report

LANGUAGES = ("python", "javascript")

_SKIP = {"node_modules", ".git", ".venv", "venv", "__pycache__", "build", "dist", ".tox"}


def inside(path: Path, roots: list[Path]) -> bool:
    """Whether ``path`` lies in one of ``roots``."""
    path = path.resolve()
    return any(path == r or r in path.parents for r in roots)


def sources(path: Path) -> list[Path]:
    """The source files of ``path`` (a file, or the non-test Python/JavaScript files of a
    folder)."""
    if path.is_file():
        return [path]
    from ..syntax.languages import default_registry

    registry = default_registry()
    out = []
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP and not d.startswith(".") and d not in ("tests", "test", "__tests__")
        )
        for name in sorted(files):
            if (
                name.startswith("test_")
                or name.endswith(("_test.py", ".test.js", ".spec.js"))
                or name == "conftest.py"
            ):
                continue
            lang = registry.for_path(name)
            if lang is not None and lang.id in LANGUAGES:
                out.append(Path(folder) / name)
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``gen-tests``."""
    p.add_argument("path", metavar="PATH", help="a Python or JavaScript file, or a folder of them")
    p.add_argument("--function", help="only this function, class or Class.method")
    p.add_argument("--out", help="write the tests in this folder (default: the project's tests)")
    p.add_argument(
        "--run",
        action="store_true",
        help="run them (pytest / node --test) and keep those that pass",
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--root",
        action="append",
        help="workspace folder (default: the current one); paths outside are refused",
    )
    p.add_argument("--no-model", action="store_true", help="no proposals from the model")
    p.add_argument(
        "--model", help="model module for the file's language (default: the embedded one)"
    )
    p.add_argument("--timeout", type=float, default=120.0, help="seconds for one test run")


def run_gen_tests(args: argparse.Namespace) -> int:
    """Entry point of ``qwen-lsp gen-tests``."""
    roots = [Path(r).resolve() for r in (args.root or [os.getcwd()])]
    path = Path(args.path).resolve()
    out = Path(args.out).resolve() if args.out else None
    for what, candidate in (("PATH", path), ("--out", out)):
        if candidate is not None and not inside(candidate, roots):
            print(
                f"qwen-lsp: {what} {candidate} is outside the workspace ({', '.join(map(str, roots))}); "
                "refused (pass --root to widen it)",
                file=sys.stderr,
            )
            return 2
    if not path.exists():
        print(f"qwen-lsp: no such file or folder: {args.path}", file=sys.stderr)
        return 2
    files = sources(path)
    if not files:
        print(f"qwen-lsp: no Python or JavaScript source under {args.path}", file=sys.stderr)
        return 2
    # Imported here: the parser of every qwen-lsp command is built with add_arguments.
    from .generate import GenerationError, Options, generate_tests

    filler = None
    service = None
    if not args.no_model:
        from ..completion.service import CompletionService
        from ..config import Settings, merge
        from .fill import ModelFiller

        overrides: dict = {}
        if args.model:
            model = str(Path(args.model).resolve())
            overrides = {"models": {"byLanguage": {lang: model for lang in LANGUAGES}}}
        settings, _problems = merge(Settings(), overrides)
        service = CompletionService()
        filler = ModelFiller(service, settings, str(roots[0]))
    reports: list[Report] = []
    status = 0
    try:
        for source in files:
            from .layout import project_of

            root = project_of(source, next((r for r in roots if inside(source, [r])), roots[0]))
            options = Options(
                args.function, out, args.run, not args.no_model, True, args.timeout, roots
            )
            try:
                report = generate_tests(source, root, options, filler)
            except GenerationError as exc:
                print(f"qwen-lsp: {exc}", file=sys.stderr)
                status = 2
                continue
            reports.append(report)
    finally:
        if service is not None:
            service.close()
    if args.format == "json":
        data = [r.to_json() for r in reports]
        print(json.dumps(data[0] if len(data) == 1 and path.is_file() else data, indent=2))
    else:
        for r in reports:
            _print_text(r)
    if status:
        return status
    if args.run and not any(r.kept for r in reports):
        return 1
    return 0


def _print_text(r: Report) -> None:
    if not r.generated:
        print(f"{r.source}: nothing to test")
        return
    where = r.test_file if r.written else "(nothing written)"
    print(f"{r.source} -> {where}")
    print(
        f"  generated {len(r.generated)} tests for {len(r.targets)} targets"
        + (f" (model {r.model})" if r.model else "")
    )
    if r.ran:
        print(f"  kept {len(r.kept)} that pass, dropped {len(r.dropped)} ({r.run_seconds} s)")
    for d in r.dropped:
        print(f"  dropped {d.name} [{d.origin}]: {d.reason}")
    if r.without_tests:
        print(f"  no test: {', '.join(r.without_tests)}")
    for note in r.notes:
        print(f"  note: {note}")
