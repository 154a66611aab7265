"""``qwen-lsp complete FILE --line N --col M``: the server's suggestion at a position."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..config import Settings, load_user_settings, merge
from ..syntax.document import Document
from ..syntax.languages import default_registry
from ..syntax.text import PositionEncoding
from .service import CompletionQuery, CompletionService, ModelUnavailable

_PROJECT_MARKERS = (
    ".git",
    "pyproject.toml",
    "package.json",
    "setup.py",
    "Cargo.toml",
    "go.mod",
    "pom.xml",
)


def project_root(path: Path) -> Path:
    """The nearest folder above ``path`` that looks like a project root (else its folder)."""
    for folder in [path.parent, *path.parent.parents]:
        if any((folder / marker).exists() for marker in _PROJECT_MARKERS):
            return folder
    return path.parent


def run_complete(args: argparse.Namespace) -> int:
    """Entry point of ``qwen-lsp complete``."""
    path = Path(args.file).resolve()
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        print(f"qwen-lsp: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    language = default_registry().for_path(path, text.split("\n", 1)[0])
    if language is None:
        print(f"qwen-lsp: no language for {args.file}", file=sys.stderr)
        return 2
    overrides: dict = {"completion": {}, "models": {}}
    if args.model:
        overrides["models"]["byLanguage"] = {language.id: str(Path(args.model).resolve())}
    if args.max_tokens is not None:
        overrides["completion"]["maxTokens"] = args.max_tokens
    if args.temperature is not None:
        overrides["completion"]["temperature"] = args.temperature
    if args.order:
        overrides["completion"]["fimOrder"] = args.order
    user, _ = load_user_settings()
    settings, errors = merge(Settings(), user, overrides)
    for problem in errors:
        print(f"qwen-lsp: {problem}", file=sys.stderr)
    doc = Document(path.as_uri(), text, 0, language, PositionEncoding.UTF32)
    if not 1 <= args.line <= doc.buffer.line_count:
        print(
            f"qwen-lsp: line {args.line} is outside {args.file} (1..{doc.buffer.line_count})",
            file=sys.stderr,
        )
        return 2
    offset = doc.offset(args.line - 1, max(0, args.col - 1))
    index = None
    root = project_root(path)
    if not args.no_index:
        from ..index.indexer import WorkspaceIndexer

        indexer = WorkspaceIndexer([root], default_registry())
        indexer.index_all()
        index = indexer.index
    service = CompletionService()
    if service.module_path(language.id, settings) is None:
        service.close()
        print(
            f"qwen-lsp: no model module serves {language.id}; pass --model PATH or set "
            "qwenLsp.models.byLanguage",
            file=sys.stderr,
        )
        return 1
    try:
        suggestion = service.complete_sync(
            CompletionQuery(
                path.as_uri(), doc.snapshot(), offset, settings, str(path), index, str(root)
            )
        )
    except ModelUnavailable as exc:
        print(f"qwen-lsp: completions are off for {language.id}: {exc}", file=sys.stderr)
        return 1
    finally:
        service.close()
    if suggestion is None:
        if args.json:
            print(json.dumps({"suggestion": None}))
        else:
            print("qwen-lsp: no suggestion here", file=sys.stderr)
        return 0
    if args.json:
        print(
            json.dumps(
                {
                    "suggestion": suggestion.text,
                    "model": suggestion.model,
                    "multiline": suggestion.multiline,
                    "prompt_tokens": suggestion.prompt_tokens,
                    "snippets": [s.path for s in suggestion.snippets],
                    "finish_reason": suggestion.finish_reason,
                    "timings_ms": {k: round(v, 1) for k, v in suggestion.timings_ms.items()},
                },
                indent=2,
            )
        )
    else:
        before = doc.buffer.line_text(args.line - 1)[: max(0, args.col - 1)]
        print(before + suggestion.text)
    return 0
