"""The ``qwen-lsp`` command."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__

log = logging.getLogger("qwen_lsp")


def _setup_logging(level: str, log_file: str | None) -> None:
    # Never log to stdout: over stdio it carries the protocol.
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("qwen_lsp").setLevel(level.upper())
    # pygls logs every message at INFO; keep it quiet unless debugging.
    logging.getLogger("pygls").setLevel(logging.DEBUG if level == "debug" else logging.WARNING)
    # Request failures are reported by the server in one line; pygls' tracebacks only when debugging.
    logging.getLogger("pygls.protocol.json_rpc").setLevel(
        logging.DEBUG if level == "debug" else logging.CRITICAL
    )


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", value
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the language server."""
    from .core import Core
    from .server import build_server
    from .transport import serve_stdio, serve_tcp, serve_ws

    core = Core()
    build = lambda: build_server(core)  # noqa: E731 - one fresh session per connection
    try:
        if args.tcp:
            host, port = args.tcp
            serve_tcp(build, host, port, ready=_announce("tcp"))
        elif args.ws:
            host, port = args.ws
            serve_ws(build, host, port, ready=_announce("ws"))
        else:
            serve_stdio(build)
    finally:
        core.close()
    return 0


def _announce(scheme: str):
    def ready(host: str, port: int) -> None:
        # Printed on stderr so that scripts and tests can wait for the port (0 = any free port).
        print(f"qwen-lsp listening on {scheme}://{host}:{port}", file=sys.stderr, flush=True)

    return ready


def cmd_symbols(args: argparse.Namespace) -> int:
    """Print the definitions of a file as a tree."""
    from .index.worker import summarize_bytes
    from .syntax.languages import default_registry

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"qwen-lsp: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    language = default_registry().for_path(
        path, data[:200].decode("utf-8", "replace").split("\n")[0]
    )
    if language is None:
        print(f"qwen-lsp: no language for {path}", file=sys.stderr)
        return 2
    summary = summarize_bytes(str(path), language.id, data)
    if summary is None:
        print(f"qwen-lsp: {path} looks binary", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": d.name,
                        "kind": d.kind,
                        "line": d.name_span.start_line + 1,
                        "signature": d.signature,
                        "doc": d.doc,
                        "parent": d.parent,
                    }
                    for d in summary.definitions
                ],
                indent=2,
            )
        )
        return 0
    depth: list[int] = []
    for i, d in enumerate(summary.definitions):
        level = 0 if d.parent < 0 else depth[d.parent] + 1
        depth.append(level)
        doc = f"  — {d.doc}" if d.doc else ""
        print(f"{'  ' * level}{d.kind} {d.name} (line {d.name_span.start_line + 1}){doc}")
        del i
    for imp in summary.imports:
        what = f"{imp.name} from {imp.module}" if imp.name else imp.module
        alias = f" as {imp.alias}" if imp.alias else ""
        print(f"import {what}{alias} (line {imp.line + 1})")
    return 0


def cmd_complete(args: argparse.Namespace) -> int:
    """Print what the server would suggest at a position (the same code path)."""
    from .completion.cli import run_complete

    return run_complete(args)


def cmd_train(args: argparse.Namespace) -> int:
    """Fine-tune a model module on a source tree (needs the ``train`` extra)."""
    try:
        from .training.finetune import main as finetune_main
    except ImportError as exc:
        print(
            f"qwen-lsp: training needs the optional dependencies ({exc.name} is missing): "
            'python -m pip install "qwen-lsp[train]"',
            file=sys.stderr,
        )
        return 2
    argv = list(args.rest)
    # `--base python` names an embedded module.
    if "--base" in argv:
        i = argv.index("--base") + 1
        if i < len(argv) and not Path(argv[i]).exists():
            from .engine.registry import EMBEDDED

            if (EMBEDDED / argv[i] / "model.json").is_file():
                argv[i] = str(EMBEDDED / argv[i])
    return int(finetune_main(argv) or 0)


def cmd_gen_tests(args: argparse.Namespace) -> int:
    """Generate unit tests for a source file (and run them with --run)."""
    from .testgen.cli import run_gen_tests

    return run_gen_tests(args)


def cmd_convert(args: argparse.Namespace) -> int:
    """Convert a file (or a part of it) to another language."""
    from .convert.cli import run_convert

    return run_convert(args)


def cmd_check(args: argparse.Namespace) -> int:
    """Check files and print diagnostics."""
    from .analysis.cli import run_check

    return run_check(args)


def cmd_explain_log(args: argparse.Namespace) -> int:
    """Explain an error log or traceback at the workspace lines it points to."""
    from .analysis.cli import run_explain_log

    return run_explain_log(args)


def cmd_index(args: argparse.Namespace) -> int:
    """Index folders and print statistics (fills the on-disk cache)."""
    from .index.indexer import WorkspaceIndexer
    from .syntax.languages import default_registry

    roots = [Path(p) for p in args.paths]
    for root in roots:
        if not root.is_dir():
            print(f"qwen-lsp: not a folder: {root}", file=sys.stderr)
            return 2
    indexer = WorkspaceIndexer(roots, default_registry(), max_file_bytes=args.max_file_bytes)

    def progress(done: int, total: int, message: str) -> None:
        if args.progress:
            print(f"\r{message}", end="", file=sys.stderr, flush=True)

    stats = indexer.index_all(progress)
    if args.progress:
        print(file=sys.stderr)
    print(
        json.dumps(
            {
                "files": stats.files,
                "from_cache": stats.from_cache,
                "parsed": stats.parsed,
                "skipped": stats.skipped,
                "seconds": round(stats.seconds, 3),
                "definitions": indexer.index.definition_count(),
                "ignored": stats.scan.ignored,
                "too_large": stats.scan.too_large,
            },
            indent=2,
        )
    )
    if args.query:
        for hit in indexer.index.search(args.query, 10):
            print(
                f"{hit.definition.kind:10} {hit.definition.name:30} {hit.path}:{hit.definition.name_span.start_line + 1}"
            )
    indexer.close()
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    """Print the settings schema."""
    from .config import markdown_table, vscode_configuration

    if args.format == "markdown":
        print(markdown_table())
    else:
        print(json.dumps(vscode_configuration(), indent=2))
    return 0


def cmd_languages(args: argparse.Namespace) -> int:
    """List supported languages."""
    from .syntax.languages import LanguageError, default_registry

    for lang in sorted(default_registry(), key=lambda lang: lang.id):
        try:
            _ = lang.ts_language  # imports the grammar wheel
            status = "ok"
        except LanguageError as exc:
            status = f"grammar missing ({exc})"
        print(f"{lang.id:18} {' '.join(lang.spec.extensions):30} {status}")
    return 0


def cmd_playground(args: argparse.Namespace) -> int:
    """Serve the browser playground (page and WebSocket language server on one port)."""
    from .playground import PlaygroundError, load_settings, run_playground

    try:
        run_playground(args.host, args.port, load_settings(args.settings), args.open)
    except PlaygroundError as exc:
        print(f"qwen-lsp: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """List, verify, encrypt or decrypt model modules."""
    from .security.cli import run_models

    return run_models(args)


def cmd_audit(args: argparse.Namespace) -> int:
    """Check an audit log's hash chain."""
    from .security.cli import run_audit

    return run_audit(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``qwen-lsp``."""
    parser = argparse.ArgumentParser(
        prog="qwen-lsp", description="A local-first AI coding assistant that speaks LSP."
    )
    parser.add_argument("--version", action="version", version=f"qwen-lsp {__version__}")
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.add_argument("--log-file", help="write logs to this file (default: stderr)")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("serve", help="run the language server (stdio by default)")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--stdio", action="store_true", help="serve one client over stdin/stdout (default)"
    )
    group.add_argument(
        "--tcp", type=_host_port, metavar="HOST:PORT", help="serve many clients over TCP"
    )
    group.add_argument(
        "--ws", type=_host_port, metavar="HOST:PORT", help="serve many clients over WebSocket"
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("symbols", help="print the definitions and imports of a file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_symbols)

    p = sub.add_parser("complete", help="print the suggestion the server would make at a position")
    p.add_argument("file")
    p.add_argument("--line", type=int, required=True, help="1-based line of the cursor")
    p.add_argument(
        "--col", type=int, required=True, help="1-based column of the cursor (characters)"
    )
    p.add_argument(
        "--model",
        help="model module (folder, hub-layout folder or .onnx); default: the embedded one",
    )
    p.add_argument("--max-tokens", type=int)
    p.add_argument("--temperature", type=float)
    p.add_argument("--order", choices=["auto", "psm", "spm", "prefix_only"], help="prompt order")
    p.add_argument(
        "--no-index", action="store_true", help="no cross-file context from the project index"
    )
    p.add_argument(
        "--json", action="store_true", help="print the suggestion with its timings as JSON"
    )
    p.set_defaults(func=cmd_complete)

    p = sub.add_parser(
        "train",
        help="fine-tune a model module on your code: train --corpus DIR --base MODULE --out DIR",
        add_help=False,
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("check", help="print diagnostics for files and folders")
    p.add_argument("paths", nargs="+")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p.add_argument(
        "--select", default="", help="rule ids or prefixes to report, e.g. QL1,QL301 (default: all)"
    )
    p.add_argument("--ignore", default="", help="rule ids or prefixes to skip, e.g. QL2")
    p.add_argument("--no-performance-hints", action="store_true", help="skip QL2xx hints")
    p.add_argument("--statistics", action="store_true", help="print counts per rule on stderr")
    p.add_argument(
        "--fail-on",
        default="warning",
        choices=["error", "warning", "information", "hint", "never"],
        help="exit with 1 when findings at or above this severity exist",
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "gen-tests", help="generate unit tests for a file: gen-tests PATH [--function NAME] [--run]"
    )
    from .testgen.cli import add_arguments as gen_tests_arguments

    gen_tests_arguments(p)
    p.set_defaults(func=cmd_gen_tests)

    p = sub.add_parser(
        "convert", help="convert code to another language: convert FILE --to LANG [--lines A-B]"
    )
    from .convert.cli import add_arguments as convert_arguments

    convert_arguments(p)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("explain-log", help="explain an error log or traceback (FILE, - = stdin)")
    p.add_argument("file", metavar="FILE|-")
    p.add_argument("--root", action="append", help="workspace folder (default: the current one)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_explain_log)

    p = sub.add_parser("index", help="index folders and print statistics")
    p.add_argument("paths", nargs="+")
    p.add_argument("--query", help="then search the index for this symbol")
    p.add_argument("--max-file-bytes", type=int, default=1_000_000)
    p.add_argument("--progress", action="store_true")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("settings", help="print the settings schema")
    p.add_argument("--format", choices=["markdown", "vscode"], default="markdown")
    p.set_defaults(func=cmd_settings)

    p = sub.add_parser("languages", help="list supported languages")
    p.set_defaults(func=cmd_languages)

    p = sub.add_parser("playground", help="serve the browser playground and its language server")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    p.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    p.add_argument("--settings", help="server settings for the page: a JSON object or a JSON file")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.set_defaults(func=cmd_playground)

    from .security.cli import add_parsers

    add_parsers(sub, cmd_models, cmd_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qwen-lsp`` command."""
    parser = build_parser()
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["train"]:
        # The trainer parses its own options (argparse's REMAINDER would swallow none
        # that start with a dash, --help included).
        _setup_logging("info", None)
        return cmd_train(argparse.Namespace(rest=raw[1:]))
    args = parser.parse_args(argv)
    _setup_logging(args.log_level, args.log_file)
    if not getattr(args, "func", None):
        # Editors start "qwen-lsp" with no arguments: serve over stdio.
        args = parser.parse_args([*(sys.argv[1:] if argv is None else argv), "serve"])
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
