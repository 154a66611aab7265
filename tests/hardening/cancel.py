"""Cancelling completions while the model decodes, over a real pipe (the test and
``bench/cancellation.py`` share this).

The server runs the embedded ``python`` module with long multi-line suggestions and no
completion cache, so every request decodes. First one request runs to its end (the model loads;
its length says how long a decode lasts). Then, ``n`` times: the document changes (a new prompt),
an ``inlineCompletion`` request goes out, ``$/cancelRequest`` follows after a delay drawn inside
the decode time, and the time from the cancel to the answer is measured on the client's side
(the reader thread timestamps every message as it arrives).
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lsp_pipe import PipeServer, key

REQUEST_CANCELLED = -32800

SOURCE = (
    '''import json
from dataclasses import dataclass


@dataclass
class Order:
    id: int
    items: list[str]
    total: float


def load_orders(path):
    """Read orders from a JSON file."""
    with open(path) as fh:
        data = json.load(fh)
    orders = []
    for row in data:
        orders.append(Order(row["id"], row["items"], row["total"]))
    return orders


# Squares of 0..99, one per line.
SQUARES = [
    0,
    1,
    4,
    9,
    16,
'''
    + "    \n"
)
# The indented empty line inside the open list: any model that has learnt to count goes on until
# max tokens, so every cancel below lands while it decodes (a function body, as before, ends
# after 30-40 tokens once the model is good enough).
CURSOR_LINE = SOURCE.count("\n") - 1

SETTINGS: dict[str, Any] = {
    "index": {"enable": False},
    "completion": {
        "maxTokens": 256,
        "multiline": "always",
        "maxLines": 200,
        "cacheSize": 0,
        "minChars": 0,
        "crossFile": False,
    },
}


@dataclass
class CancelReport:
    """What one run measured."""

    cancels: int = 0
    codes: list[Any] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    delays_ms: list[float] = field(default_factory=list)
    full_decode_ms: float = 0.0
    full_decode_chars: int = 0
    load_ms: float = 0.0
    full_run: dict[str, Any] = field(default_factory=dict)
    scheduler: dict[str, Any] = field(default_factory=dict)

    def percentile(self, q: float) -> float:
        """The q-th percentile of the latencies (nearest rank)."""
        values = sorted(self.latencies_ms)
        return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]

    def to_json(self) -> dict[str, Any]:
        """The figures, rounded."""
        return {
            "cancels": self.cancels,
            "all_request_cancelled": all(c == REQUEST_CANCELLED for c in self.codes),
            "codes": sorted({str(c) for c in self.codes}),
            "cancel_to_answer_ms": {
                "p50": round(statistics.median(self.latencies_ms), 2),
                "p95": round(self.percentile(95), 2),
                "max": round(max(self.latencies_ms), 2),
            },
            "cancel_sent_after_ms": {
                "min": round(min(self.delays_ms), 1),
                "max": round(max(self.delays_ms), 1),
            },
            "uncancelled_decode_ms": round(self.full_decode_ms, 1),
            "uncancelled_decode_chars": self.full_decode_chars,
            "model_load_ms": round(self.load_ms, 1),
            "scheduler": self.scheduler,
            "uncancelled_run": {
                k: self.full_run.get(k)
                for k in ("prompt_tokens", "generated_tokens", "finish_reason", "timings_ms")
            },
        }


def _inline(srv: PipeServer, uri: str, line: int, character: int) -> int:
    return srv.request(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
            "context": {"triggerKind": 2},
        },
    )


def measure(root: Path, cancels: int = 20, seed: int = 0) -> tuple[CancelReport, PipeServer]:
    """Run the measurement; returns the report and the (closed) server for its logs."""
    rng = random.Random(seed)
    report = CancelReport()
    with PipeServer() as srv:
        srv.initialize(root, SETTINGS)
        uri = (root / "orders.py").as_uri()
        srv.open(uri, SOURCE, 1)
        start = time.perf_counter()
        srv.response(_inline(srv, uri, CURSOR_LINE, 4), 120)  # loads the model
        report.load_ms = (time.perf_counter() - start) * 1000
        # A full decode of a fresh prompt: how long the model works on one request.
        srv.edit(uri, 2, (CURSOR_LINE, 4), (CURSOR_LINE, 4), "25,\n    ")
        line = CURSOR_LINE + 1
        start = time.perf_counter()
        full = srv.response(_inline(srv, uri, line, 4), 120)
        report.full_decode_ms = (time.perf_counter() - start) * 1000
        items = (full.get("result") or {}).get("items") or []
        report.full_decode_chars = len(items[0]["insertText"]) if items else 0
        info = srv.call("workspace/executeCommand", {"command": "qwen.modelInfo"})
        report.full_run = (info or {}).get("last") or {}
        version = 2
        for i in range(cancels):
            # A new prompt each time (a different comment at the top of the file).
            version += 1
            srv.edit(uri, version, (0, 0), (0, 0), f"# run {i} {rng.random():.6f}\n")
            line += 1
            msg_id = _inline(srv, uri, line, 4)
            sent = time.perf_counter()
            # Cancel inside the decode: after the prompt is in (these prompts share little with
            # the last one: ~60-110 ms here), long before the model would finish (each one runs
            # to max tokens, about 1.6 s here: a cancel that arrives after the job ended is
            # answered RequestCancelled by pygls but never seen by the scheduler).
            delay = rng.uniform(0.12, min(0.18, 0.3 * report.full_decode_ms / 1000))
            time.sleep(delay)
            cancelled_at = time.perf_counter()
            srv.notify("$/cancelRequest", {"id": msg_id})
            answer = srv.response(msg_id, 60)
            arrived = srv.arrivals[key(msg_id)]
            report.cancels += 1
            report.codes.append((answer.get("error") or {}).get("code", "result"))
            report.latencies_ms.append(max(0.0, arrived - cancelled_at) * 1000)
            report.delays_ms.append((cancelled_at - sent) * 1000)
        # The decode loop notices a cancel at its next token: wait for the last one to stop.
        report.scheduler = srv.wait(
            lambda: _scheduler_done(srv, cancels), 30, "the scheduler to drop every job"
        )
        srv.call("workspace/symbol", {"query": "x"})  # still serving
        srv.shutdown()
    return report, srv


def _scheduler_done(srv: PipeServer, cancels: int) -> dict[str, Any] | None:
    info = srv.call("workspace/executeCommand", {"command": "qwen.modelInfo"}) or {}
    sched = info.get("scheduler") or {}
    return sched if sched.get("cancelled", 0) >= cancels else None
