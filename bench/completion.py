"""Completion benchmark through the real server over stdio; prints JSON.

- model load time, and cold latency for ~1.5k-token prompts (a new document, no KV reuse);
- per-keystroke latency while retyping real lines char by char in real files (each keystroke:
  didChange + inlineCompletion, awaited, as a client with no debounce would do), p50/p95,
  overall and by where the answer came from (model, cache, typing-as-suggested);
- prompt tokens/s and decode tokens/s (the engine's own accounting);
- throughput at 1/2/4/8 concurrent documents (completions/s, with caches off), and the most
  batching can give here: one decode step for 1 and for 8 sequences at the same prompt length,
  timed on the engine directly (``concurrency.decode_ceiling``);
- hit rates of each cache, and the server's peak RSS.

The workspace is a copy of a real package of the standard library (cross-file context works).
Usage: ``python bench/completion.py [--model PATH] [--out FILE] [--quick] [--trace FILE]``

``--llamacpp [--tokens N]``: instead, the performance anchor: decode (and prefill) tokens/s of
the engine and of llama.cpp (llama-cpp-python, CPU) on the same weights (the module converted
to GGUF, Q4_0 and Q8_0) and the same prompt token ids, at 1 thread and one per physical core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))], 2)


def _rss(pid: int) -> tuple[float, float]:
    with open(f"/proc/{pid}/status") as fh:
        fields = dict(line.split(":", 1) for line in fh if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class Session:
    """A client of a server process, with small helpers."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def open(self, uri: str, text: str) -> None:
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )

    def insert(self, uri: str, line: int, character: int, text: str) -> None:
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=line, character=character),
                            end=types.Position(line=line, character=character),
                        ),
                        text=text,
                    )
                ],
            )
        )

    async def complete(self, uri: str, line: int, character: int) -> tuple[float, str, str]:
        """Latency (ms), source of the answer and its text."""
        t = time.perf_counter()
        result = await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        ms = (time.perf_counter() - t) * 1000
        items = result.items if result else []
        if not items:
            return ms, "none", ""
        source = (
            items[0].command.arguments[0]
            if items[0].command and items[0].command.arguments
            else "model"
        )
        return ms, source, items[0].insert_text

    async def info(self) -> dict:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="qwen.modelInfo")
        )


async def start(model: Path, root: Path, completion: dict) -> tuple[Session, int]:
    client = LanguageClient("bench", "1")
    done = asyncio.Event()

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def progress(params: types.ProgressParams) -> None:
        if (
            isinstance(params.value, dict)
            and params.value.get("kind") == "end"
            and "index" in str(params.token)
        ):
            done.set()

    env = dict(os.environ, QWEN_LSP_CACHE_DIR=tempfile.mkdtemp(prefix="qwen-bench-"))
    await client.start_io(sys.executable, "-m", "qwen_lsp", "serve", env=env)
    caps = types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True))
    await client.initialize_async(
        types.InitializeParams(
            capabilities=caps,
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={
                "models": {"byLanguage": {"python": str(model)}},
                "completion": completion,
            },
        )
    )
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(done.wait(), 300)
    return Session(client), client._server.pid  # type: ignore[union-attr]


async def stop(session: Session) -> None:
    await session.client.shutdown_async(None)
    session.client.exit(None)
    await session.client.stop()


def _indented_lines(text: str, min_indent: int = 4) -> list[int]:
    """Lines that start a statement inside a block (a cursor after their indentation)."""
    out = []
    for i, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if (
            len(line) - len(line.lstrip(" ")) >= min_indent
            and len(stripped) > 12
            and not stripped.startswith(("#", '"', "'", ")", "]", "}"))
        ):
            out.append(i)
    return out


async def bench_cold(session: Session, files: list[Path], samples: int) -> dict:
    """First request in a new document, deep in the file: a full prompt, no KV reuse."""
    times, reused, prompt_tokens = [], [], []
    rng = random.Random(1)
    for n, path in enumerate(files[:samples]):
        text = path.read_text()
        lines = [i for i in _indented_lines(text) if i > 400] or _indented_lines(text)
        line = rng.choice(lines)
        row = text.split("\n")[line]
        indent = len(row) - len(row.lstrip())
        # Cut the line after its indentation: the cursor sits where an editor leaves it.
        edited = "\n".join([*text.split("\n")[:line], row[:indent], *text.split("\n")[line + 1 :]])
        uri = (path.parent / f"cold_{n}_{path.name}").as_uri()
        session.open(uri, edited)
        ms, _source, _text = await session.complete(uri, line, indent)
        info = await session.info()
        times.append(ms)
        last = info.get("last") or {}
        reused.append(last.get("reused_tokens", 0))
        prompt_tokens.append(last.get("prompt_tokens", 0))
    return {
        "samples": len(times),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "prompt_tokens_median": statistics.median(prompt_tokens) if prompt_tokens else None,
        "reused_tokens_max": max(reused) if reused else None,
    }


async def bench_typing(
    session: Session, files: list[Path], lines_per_file: int, trace: list[dict] | None = None
) -> dict:
    """Retype real lines char by char; every keystroke asks for a suggestion. With ``trace``,
    each keystroke's latency, source and (for model runs) the server's account of the run
    (prompt and reused tokens, generated tokens, stage timings) are appended to it."""
    latencies: dict[str, list[float]] = {}
    all_ms: list[float] = []
    rng = random.Random(2)
    for n, path in enumerate(files):
        text = path.read_text()
        candidates = [i for i in _indented_lines(text) if i > 50]
        if not candidates:
            continue
        start = rng.choice(candidates[: max(1, len(candidates) - lines_per_file)])
        lines = text.split("\n")
        target = lines[start : start + lines_per_file]
        edited = "\n".join([*lines[:start], *[""] * len(target), *lines[start + lines_per_file :]])
        uri = (path.parent / f"typing_{n}_{path.name}").as_uri()
        session.open(uri, edited)
        for k, line_text in enumerate(target):
            row = start + k
            for col, ch in enumerate(line_text):
                session.insert(uri, row, col, ch)
                ms, source, suggestion = await session.complete(uri, row, col + 1)
                latencies.setdefault(source, []).append(ms)
                all_ms.append(ms)
                if trace is not None:
                    row_trace: dict = {
                        "ms": round(ms, 1),
                        "source": source,
                        "file": n,
                        "typed": line_text[: col + 1],
                        "suggestion": suggestion,
                    }
                    if source in ("model", "none"):
                        row_trace["last"] = (await session.info()).get("last")
                    trace.append(row_trace)
    return {
        "keystrokes": len(all_ms),
        "p50_ms": percentile(all_ms, 50),
        "p95_ms": percentile(all_ms, 95),
        "by_source": {
            s: {"n": len(v), "p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95)}
            for s, v in latencies.items()
        },
    }


async def bench_concurrency(
    model: Path, root: Path, files: list[Path], levels: list[int], rounds: int
) -> dict:
    """Completions/s with N documents asking at once (caches off, so the model always runs).
    Every level makes as many completions of each document (``rounds`` rounds of the largest
    level, the documents in turn): a level of one document with as few completions as a round of
    eight was too noisy a baseline for the speed-up."""
    session, _pid = await start(
        model, root, {"cacheSize": 0, "crossFile": False, "multiline": "never", "maxTokens": 24}
    )
    out = {}
    try:
        # Eight distinct documents (copies where the package has fewer large files): two
        # requests for one document would supersede each other.
        texts = [files[i % len(files)].read_text() for i in range(8)]
        uris = [(files[0].parent / f"conc_{i}.py").as_uri() for i in range(8)]
        for uri, text in zip(uris, texts, strict=True):
            session.open(uri, text)
        positions = []
        for text in texts:
            lines = _indented_lines(text)
            positions.append(lines[len(lines) // 2] if lines else 0)
        await session.complete(uris[0], positions[0], 4)  # load the model
        # Every document's first prompt is read whole (about a second here); later ones reuse
        # its KV prefix. Warm all of them, so that each level measures the same kind of work.
        for i, uri in enumerate(uris):
            session.insert(uri, positions[i], 0, f"# warm-{i}\n")
            positions[i] += 1
            await session.complete(uri, positions[i], 4)
        for level in levels:
            t = time.perf_counter()
            done = 0
            for r in range(rounds * max(levels) // level):
                tasks = []
                for k in range(level):
                    # The documents take turns at every level, so that every level asks each
                    # document for as many completions, after as many edits, and only how many
                    # run at once differs. (The sequential level used to ask one document only:
                    # another mix of work, and all its edits went to that document, whose sticky
                    # prefix window then moved, a whole prompt to read again, in the first
                    # concurrent round.)
                    i = (r * level + k) % len(uris)
                    uri = uris[i]
                    # A fresh context every time: insert a marker comment above the cursor line.
                    session.insert(uri, positions[i], 0, f"# r{level}-{r}-{i}\n")
                    positions[i] += 1
                    tasks.append(session.complete(uri, positions[i], 4))
                await asyncio.gather(*tasks)
                done += level
            seconds = time.perf_counter() - t
            out[str(level)] = {
                "completions": done,
                "seconds": round(seconds, 2),
                "completions_per_s": round(done / seconds, 2),
            }
        info = await session.info()
        out["scheduler"] = info.get("scheduler")
        out["last_prompt_tokens"] = (info.get("last") or {}).get("prompt_tokens")
    finally:
        await stop(session)
    base = out["1"]["completions_per_s"]
    for level in levels:
        out[str(level)]["speedup_vs_sequential"] = round(
            out[str(level)]["completions_per_s"] / base, 2
        )
    return out


def decode_ceiling(model: Path, context: int, batch: int = 8, steps: int = 24) -> dict:
    """What batching can give at all on this machine: the time of one decode step for one
    sequence and for ``batch`` sequences, each with ``context`` positions of KV cache, measured
    on the engine directly (no server, no Python around it). Only decode batches (the prompt's
    new tokens run one document at a time), so ``batch`` x step(1) / step(batch) bounds the
    speed-up of ``batch`` concurrent documents from above, before any prefill or request
    handling, which batching does not share."""
    import numpy as np

    from qwen_lsp.engine.generate import prefill
    from qwen_lsp.engine.module import load_module
    from qwen_lsp.engine.session import DecoderSession

    module = load_module(model)
    session = DecoderSession(str(module.model_path))
    rng = np.random.default_rng(0)
    vocab = 1000  # ordinary tokens: the ids only need to be valid
    caches, firsts = [], []
    for _ in range(batch):
        prompt = [int(t) for t in rng.integers(100, vocab, size=context)]
        logits, kv = prefill(session, prompt, reserve=steps + 2)
        caches.append(kv)
        firsts.append(int(np.argmax(logits)))

    def step_ms(rows: list[int]) -> float:
        times = []
        with session.batched([caches[i] for i in rows], steps + 1) as (kv, mask):
            positions = np.array([caches[i].length for i in rows], dtype=np.int64)
            ids = np.array([firsts[i] for i in rows], dtype=np.int64)[:, None]
            for _ in range(steps):
                mask = np.concatenate([mask, np.ones((len(rows), 1), dtype=np.int64)], axis=1)
                t = time.perf_counter()
                logits, kv = session.forward(ids, mask, positions[:, None], kv)
                times.append((time.perf_counter() - t) * 1000)
                positions += 1
                ids = np.argmax(logits, axis=-1).astype(np.int64)[:, None]
        return statistics.median(times[2:])  # the first steps touch fresh buffers

    one = statistics.median(step_ms([i]) for i in range(min(batch, 3)))
    many = step_ms(list(range(batch)))
    return {
        "context_tokens": context,
        "step_ms": {"1": round(one, 2), str(batch): round(many, 2)},
        # What one step reads per sequence besides the weights (keys and values, all layers).
        "kv_bytes_per_sequence": 2
        * session.num_layers
        * session.kv_heads
        * session.head_dim
        * context
        * np.dtype(session.kv_dtype).itemsize,
        f"decode_speedup_ceiling_{batch}": round(batch * one / many, 2),
    }


async def main_async(args: argparse.Namespace) -> dict:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    workdir = Path(tempfile.mkdtemp(prefix="qwen-bench-ws-"))
    root = workdir / "email"
    shutil.copytree(stdlib / "email", root, ignore=shutil.ignore_patterns("__pycache__"))
    files = sorted(
        (p for p in root.rglob("*.py") if p.stat().st_size > 20_000),
        key=lambda p: -p.stat().st_size,
    )
    model = Path(args.model).resolve()
    session, pid = await start(model, root, {})
    result: dict = {"model": str(model), "machine": {"cpus": os.cpu_count()}}
    try:
        t = time.perf_counter()
        warm_uri = (root / "warm.py").as_uri()
        session.open(warm_uri, "def f(x):\n    ")
        await session.complete(warm_uri, 1, 4)
        result["first_request_with_model_load_ms"] = round((time.perf_counter() - t) * 1000, 1)
        info = await session.info()
        result["model_info"] = (
            {
                k: info["loaded"][0][k]
                for k in ("name", "quantization", "load_seconds", "model_bytes")
            }
            if info["loaded"]
            else None
        )
        result["cold"] = await bench_cold(session, files * 3, 4 if args.quick else 12)
        trace: list[dict] | None = [] if args.trace else None
        result["typing"] = await bench_typing(
            session, files[:2] if args.quick else files[:4], 3 if args.quick else 6, trace
        )
        if args.trace:
            args.trace.write_text("".join(json.dumps(row) + "\n" for row in trace or []))
        info = await session.info()
        result["rates"] = {
            k: info.get(k)
            for k in (
                "prompt_tokens_per_s",
                "decode_tokens_per_s",
                "completion_cache_hit_rate",
                "typing_as_suggested_hit_rate",
                "answered_by",
                "syntax_rejected",
                "syntax_truncated",
                "names_rejected",
                "empty",
                "waited_for_indent",
            )
        }
        result["rates"]["kv_prefix_hit_rate"] = (
            info["loaded"][0]["kv_prefix_hit_rate"] if info["loaded"] else None
        )
        result["rates"]["kv_reused_token_share"] = (
            info["loaded"][0]["kv_reused_token_share"] if info["loaded"] else None
        )
        rss, peak = _rss(pid)
        result["server_rss_mb"] = round(rss, 1)
        result["server_peak_rss_mb"] = round(peak, 1)
    finally:
        await stop(session)
    result["concurrency"] = await bench_concurrency(
        model, root, files, [1, 2, 4, 8], 2 if args.quick else 4
    )
    result["concurrency"]["decode_ceiling"] = decode_ceiling(
        model, result["concurrency"]["last_prompt_tokens"] or 1200
    )
    shutil.rmtree(workdir, ignore_errors=True)
    return result


# -- llama.cpp anchor: decode speed on the same weights and prompt ------------------------------


def bench_llamacpp_anchor(
    model: Path, tokens: int = 128, kinds: tuple[str, ...] = ("q4_0", "q8_0"), runs_each: int = 3
) -> dict:
    """Decode tokens/s of the engine and of llama.cpp (llama-cpp-python, CPU) on the same
    weights (the module converted to GGUF by ``tests/remote/gguf_export``) and the same prompt
    token ids; greedy, batch 1, ``tokens`` new tokens past end-of-text; at one thread and at
    one thread per physical core, best of two runs after a warm-up each."""
    import subprocess

    import llama_cpp
    import numpy as np

    from qwen_lsp.engine.generate import GenerationRequest, generate
    from qwen_lsp.engine.registry import ModelRegistry
    from qwen_lsp.engine.session import physical_cores

    sys.path.insert(0, str(REPO))
    from tests.remote.gguf_export import PRE_TOKENIZER

    cache = Path(tempfile.gettempdir()) / "qwen-lsp-gguf"
    ggufs = {}
    for kind in kinds:
        # Built in another process: the converter imports torch, whose OpenMP runtime would
        # share this process with llama.cpp's.
        code = (
            "import sys; from pathlib import Path; from tests.remote.gguf_export import "
            f"module_gguf; print(module_gguf(Path({str(model)!r}), Path({str(cache)!r}), "
            f"{kind!r}))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
        )
        ggufs[kind] = Path(done.stdout.strip().splitlines()[-1])
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    text = (stdlib / "email" / "message.py").read_text()[:6000]
    out: dict = {"new_tokens": tokens, "pre_tokenizer": PRE_TOKENIZER, "runs": {}}
    counts = sorted({1, physical_cores()})
    for threads in counts:
        loaded = ModelRegistry(threads=threads).get(model)
        prompt = loaded.tokenizer.encode(text)[:512]
        out["prompt_tokens"] = len(prompt)
        row: dict = {}
        runs = []
        for _ in range(runs_each):
            request = GenerationRequest(prompt, max_new_tokens=tokens, ignore_eos=True)
            result, _kv = generate(loaded.session, loaded.tokenizer, request)
            runs.append(
                (len(prompt) / result.prefill_seconds, len(result.tokens) / result.decode_seconds)
            )
        row["engine " + loaded.module.quantization] = {
            "prefill_tokens_per_s": round(max(r[0] for r in runs[1:]), 1),
            "decode_tokens_per_s": round(max(r[1] for r in runs[1:]), 1),
        }
        del loaded
        for kind, path in ggufs.items():
            llm = llama_cpp.Llama(
                str(path), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False
            )
            vocab = llama_cpp.llama_n_vocab(llama_cpp.llama_model_get_vocab(llm.model))
            runs = []
            for _ in range(runs_each):
                llm.reset()
                llama_cpp.llama_perf_context_reset(llm.ctx)
                t = time.perf_counter()
                llm.eval(prompt)
                prefill_s = time.perf_counter() - t
                t = time.perf_counter()
                for _ in range(tokens):
                    logits = np.ctypeslib.as_array(
                        llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(vocab,)
                    )
                    llm.eval([int(np.argmax(logits))])
                decode_s = time.perf_counter() - t
                perf = llama_cpp.llama_perf_context(llm.ctx)
                in_c = perf.n_eval / (perf.t_eval_ms / 1000) if perf.t_eval_ms else 0.0
                runs.append((len(prompt) / prefill_s, tokens / decode_s, in_c))
            row[f"llama.cpp {kind}"] = {
                "gguf_bytes": path.stat().st_size,
                "prefill_tokens_per_s": round(max(r[0] for r in runs[1:]), 1),
                "decode_tokens_per_s": round(max(r[1] for r in runs[1:]), 1),
                # llama.cpp's own count of its decode time (no Python loop around it).
                "decode_tokens_per_s_in_llama_cpp": round(max(r[2] for r in runs[1:]), 1),
            }
            del llm
        engine = next(v for k, v in row.items() if k.startswith("engine"))["decode_tokens_per_s"]
        row["engine_decode_vs_llama_cpp"] = {
            kind: round(engine / row[f"llama.cpp {kind}"]["decode_tokens_per_s"], 2)
            for kind in kinds
        }
        out["runs"][f"{threads} thread{'s' if threads > 1 else ''}"] = row
    with open("/proc/loadavg") as fh:
        out["load_average"] = fh.read().split()[:3]  # other work on the machine skews timings
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(REPO / "qwen_lsp" / "models" / "python"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument(
        "--trace", type=Path, help="write every typing keystroke (JSON lines) to this file"
    )
    parser.add_argument(
        "--llamacpp",
        action="store_true",
        help="only the llama.cpp anchor: decode tokens/s of llama.cpp and of the engine on the "
        "same weights and prompt (needs llama-cpp-python and gguf)",
    )
    parser.add_argument(
        "--tokens", type=int, default=128, help="--llamacpp: new tokens per run (default 128)"
    )
    args = parser.parse_args()
    if args.llamacpp:
        result = {
            "llamacpp_anchor": bench_llamacpp_anchor(
                Path(args.model).resolve(), args.tokens, runs_each=2 if args.quick else 3
            )
        }
    else:
        result = asyncio.run(main_async(args))
    out = json.dumps(result, indent=2)
    print(out)
    if args.out:
        args.out.write_text(out + "\n")


if __name__ == "__main__":
    main()
