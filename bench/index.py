"""Index and parsing benchmark; prints JSON.

- cold index of a large real tree (the Python standard library of the machine running it),
  files/s and seconds, with a fresh cache;
- warm restart from the on-disk cache;
- per-keystroke incremental re-parse p50/p95 on a 5,000-line file, typing real lines char by
  char, both as an editor with auto-closing brackets types (VS Code's default) and raw;
- ``textDocument/documentSymbol`` p50 on that file through the real server over stdio;
- the server's RSS when idle after indexing the standard library, and its peak.

Usage: ``python bench/index.py [--root DIR] [--out FILE]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from qwen_lsp.index.indexer import WorkspaceIndexer
from qwen_lsp.syntax.document import Document, TextEdit
from qwen_lsp.syntax.languages import default_registry

OPENERS = {"(": ")", "[": "]", "{": "}", '"': '"', "'": "'"}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def five_thousand_lines(stdlib: Path) -> str:
    """A 5,000-line Python file made of real standard-library code."""
    lines: list[str] = []
    for name in ("typing.py", "argparse.py", "inspect.py", "dataclasses.py", "pathlib.py"):
        lines.extend((stdlib / name).read_text().splitlines(True))
        if len(lines) >= 5000:
            break
    return "".join(lines[:5000])


def bench_index(root: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as cache:
        registry = default_registry()
        cold = WorkspaceIndexer([root], registry, cache_dir=Path(cache))
        stats = cold.index_all()
        definitions = cold.index.definition_count()
        cold.close()
        warm_times = []
        for _ in range(3):
            warm = WorkspaceIndexer([root], registry, cache_dir=Path(cache))
            t = time.perf_counter()
            wstats = warm.index_all()
            warm_times.append(time.perf_counter() - t)
            warm.close()
        return {
            "root": str(root),
            "files": stats.files,
            "definitions": definitions,
            "cold_seconds": round(stats.seconds, 3),
            "cold_files_per_second": round(stats.files / stats.seconds, 1),
            "warm_seconds_median": round(statistics.median(warm_times), 3),
            "warm_from_cache": wstats.from_cache,
        }


def bench_keystrokes(text: str, autopairs: bool) -> dict[str, object]:
    """Type 40 real lines into the middle of the file, char by char."""
    lang = default_registry().by_id("python")
    doc = Document("file:///bench.py", text, 1, lang)
    source_lines = [row for row in text.splitlines() if row.strip()][100:140]
    line = 2500
    times: list[float] = []
    version = 1
    for src in source_lines:
        col = 0
        doc.apply([TextEdit("\n", (line, 0), (line, 0))], version := version + 1)
        pending_closers: list[str] = []
        for ch in src:
            if autopairs and pending_closers and ch == pending_closers[-1]:
                pending_closers.pop()  # typing over an auto-inserted closer only moves the cursor
                col += 1
                continue
            insert = ch + OPENERS[ch] if autopairs and ch in OPENERS else ch
            t = time.perf_counter()
            doc.apply([TextEdit(insert, (line, col), (line, col))], version := version + 1)
            times.append((time.perf_counter() - t) * 1000)
            if len(insert) == 2:
                pending_closers.append(insert[1])
            col += 1
        line += 1
    assert doc.tree is not None
    return {
        "keystrokes": len(times),
        "p50_ms": round(percentile(times, 50), 3),
        "p95_ms": round(percentile(times, 95), 3),
        "max_ms": round(max(times), 3),
    }


def _rss_kb(pid: int) -> tuple[int, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as fh:
        for row in fh:
            key, _, value = row.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


async def bench_server(root: Path, text: str) -> dict[str, object]:
    env = dict(os.environ)
    cache = tempfile.mkdtemp(prefix="qwen-lsp-bench-")
    env["QWEN_LSP_CACHE_DIR"] = cache
    client = LanguageClient("bench", "1")
    done = asyncio.Event()

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def progress(params: types.ProgressParams) -> None:
        value = params.value
        if isinstance(value, dict) and value.get("kind") == "end":
            done.set()

    await client.start_io(sys.executable, "-m", "qwen_lsp", "serve", env=env)
    pid = client._server.pid  # type: ignore[union-attr]
    caps = types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True))
    await client.initialize_async(
        types.InitializeParams(
            capabilities=caps,
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="lib")],
        )
    )
    client.initialized(types.InitializedParams())
    t = time.perf_counter()
    await asyncio.wait_for(done.wait(), 600)
    index_seconds = time.perf_counter() - t
    await asyncio.sleep(2)  # let worker processes go and the heap settle
    idle_rss, peak_rss = _rss_kb(pid)
    uri = "file:///bench/five_thousand.py"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    times = []
    symbols = []
    for _ in range(30):
        t = time.perf_counter()
        symbols = await client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        times.append((time.perf_counter() - t) * 1000)
    ws_times = []
    for query in ("OrderedDict", "gcwd", "parse", "Thread", "urlsplit", "xyzzy"):
        t = time.perf_counter()
        await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
        ws_times.append((time.perf_counter() - t) * 1000)
    rss_after, _ = _rss_kb(pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {
        "server_index_seconds": round(index_seconds, 2),
        "idle_rss_mb": round(idle_rss / 1024, 1),
        "peak_rss_mb": round(peak_rss / 1024, 1),
        "rss_after_requests_mb": round(rss_after / 1024, 1),
        "document_symbol_p50_ms": round(percentile(times, 50), 2),
        "document_symbol_p95_ms": round(percentile(times, 95), 2),
        "document_symbols": len(symbols),
        "workspace_symbol_p50_ms": round(percentile(ws_times, 50), 1),
        "workspace_symbol_max_ms": round(max(ws_times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    text = five_thousand_lines(stdlib)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "index": bench_index(args.root),
        "keystroke_reparse_autopairs": bench_keystrokes(text, autopairs=True),
        "keystroke_reparse_raw": bench_keystrokes(text, autopairs=False),
        "server": asyncio.run(bench_server(args.root, text)),
    }
    out = json.dumps(result, indent=2)
    print(out)
    if args.out:
        args.out.write_text(out + "\n")


if __name__ == "__main__":
    main()
