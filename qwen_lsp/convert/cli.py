"""``qwen-lsp convert FILE --to LANGUAGE [--lines A-B | --range L:C-L:C] [--no-model]
[--format text|json]``: the converted code on stdout (exit 0), or why not (exit 1)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from .engine import NAMES, TARGETS, convert


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``convert``."""
    p.add_argument("file", metavar="FILE", help="the source file")
    p.add_argument("--to", required=True, choices=sorted(NAMES), help="the target language")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--lines", help="lines A-B (1-based, inclusive); default: the whole file")
    where.add_argument("--range", help="LINE:COL-LINE:COL (1-based; the end column exclusive)")
    p.add_argument(
        "--no-model", action="store_true", help="rules only: never ask the model for the rest"
    )
    p.add_argument("--format", choices=["text", "json"], default="text")


def _offsets(data: bytes, args: argparse.Namespace) -> tuple[int, int]:
    lines = data.split(b"\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def at(line: int, col: int) -> int:
        line = min(max(line, 1), len(lines))
        text = lines[line - 1].decode("utf-8", "replace")
        return starts[line - 1] + len(text[: max(col - 1, 0)].encode("utf-8"))

    if args.lines:
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", args.lines)
        if not m:
            raise ValueError("--lines expects A-B")
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        return at(a, 1), min(starts[min(b, len(lines))] - 1, len(data))
    if args.range:
        m = re.fullmatch(r"(\d+):(\d+)-(\d+):(\d+)", args.range)
        if not m:
            raise ValueError("--range expects LINE:COL-LINE:COL")
        a, b, c, d = (int(x) for x in m.groups())
        return at(a, b), at(c, d)
    return 0, len(data)


def run_convert(args: argparse.Namespace) -> int:
    """The command."""
    from ..syntax.languages import default_registry

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"qwen-lsp convert: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    language = default_registry().for_path(path, data[:200].decode("utf-8", "replace"))
    if language is None or language.id not in TARGETS:
        found = language.id if language else "unknown"
        print(
            f"qwen-lsp convert: {path.name} is {found}; conversion reads "
            + ", ".join(NAMES[k] for k in TARGETS),
            file=sys.stderr,
        )
        return 2
    try:
        start, end = _offsets(data, args)
    except ValueError as exc:
        print(f"qwen-lsp convert: {exc}", file=sys.stderr)
        return 2
    service = hook = None
    if not args.no_model:
        from ..completion.service import CompletionService
        from .model import ModelConverter

        service = CompletionService()
        hook = ModelConverter(service, root=str(path.resolve().parent))
    try:
        text = data.decode("utf-8", "replace")
        result = convert(text, language.id, args.to, start, end, model=hook, file_name=path.name)
    finally:
        if service is not None:
            service.close()
    if args.format == "json":
        print(
            json.dumps(
                {
                    "source": language.id,
                    "target": args.to,
                    "ok": result.ok,
                    "text": result.text if result.ok else "",
                    "rules": result.rules,
                    "by_model": result.by_model,
                    "uncovered": result.uncovered,
                    "error": result.error,
                },
                indent=2,
            )
        )
    elif result.ok:
        print(result.text)
    if not result.ok:
        print(f"qwen-lsp convert: not converted: {result.error}", file=sys.stderr)
        return 1
    return 0
