"""Soak benchmark: 8 clients typing against one shared ``qwen-lsp serve --tcp`` server with
the embedded model loaded; prints JSON.

Each client opens its own Python file in one workspace and types a function into it, one
character per ``--key-ms`` (an incremental ``didChange`` each), asking for an inline
completion every ``--complete-every`` keystrokes and waiting for it as an editor does, with a
document-symbol, hover or pull-diagnostics request now and then. A client that reaches the end
of its text deletes what it typed and starts again, so the run lasts ``--seconds``.

Reported: request latency p50/p95/max per 10 s window and overall (completions and the other
requests apart); errors (error answers other than ContentModified/RequestCancelled, which
mean "a newer edit superseded this request", plus timeouts and dropped connections: must be
0); the server's resident memory (VmRSS, from /proc) after warm-up and at the end, its peak,
and the growth in percent from the end of a warm-up (``--warmup-seconds`` of typing: ONNX
Runtime's buffers and the caches grow to their working size with the first prompts) to the end
(goal: at most 10 %); the growth from right after the model loaded is reported beside it.

Usage: ``python bench/soak.py [--seconds 240] [--warmup-seconds 80] [--clients 8] [--out FILE]``
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hardening.lsp_pipe import did_change

SUPERSEDED = {-32801, -32800}  # ContentModified, RequestCancelled
WINDOW_S = 10.0

HEADER = "import math\nfrom dataclasses import dataclass\n\n\n"
TYPED = '''@dataclass
class Point:
    x: float
    y: float

    def distance(self, other):
        """Euclidean distance to another point."""
        return math.hypot(self.x - other.x, self.y - other.y)


def centroid(points):
    """The mean of the points."""
    n = len(points)
    sx = sum(p.x for p in points)
    sy = sum(p.y for p in points)
    return Point(sx / n, sy / n)


def farthest(points, origin):
    best = None
    for p in points:
        if best is None or p.distance(origin) > best.distance(origin):
            best = p
    return best
'''


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc), in MB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Client:
    """One LSP client over TCP: requests wait for their answer; server requests answered."""

    def __init__(self, port: int, settings: dict[str, Any]) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.settimeout(None)
        self.settings = settings
        self.file = self.sock.makefile("rb")
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.cond = threading.Condition()
        self.answers: dict[int, dict[str, Any]] = {}
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                length = None
                while True:
                    line = self.file.readline()
                    if not line:
                        raise EOFError
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                msg = json.loads(self.file.read(length or 0))
                if "method" in msg and "id" in msg:  # a request from the server
                    result: Any = None
                    if msg["method"] == "workspace/configuration":
                        items = (msg.get("params") or {}).get("items") or []
                        result = [self.settings for _ in items]
                    self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
                elif "id" in msg and "method" not in msg:
                    with self.cond:
                        self.answers[msg["id"]] = msg
                        self.cond.notify_all()
        except (EOFError, OSError, ValueError):
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def _send(self, obj: dict[str, Any]) -> None:
        body = json.dumps(obj).encode()
        with self.lock:
            self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 60.0) -> dict[str, Any]:
        """The answer (a dict with result or error); raises TimeoutError or EOFError."""
        msg_id = next(self.ids)
        self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        with self.cond:
            while msg_id not in self.answers:
                if self.closed:
                    raise EOFError("connection closed")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{method} not answered in {timeout} s")
                self.cond.wait(left)
            return self.answers.pop(msg_id)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Recorder:
    """Latencies by window and kind; errors."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.lock = threading.Lock()
        self.samples: list[tuple[float, str, float]] = []  # (t, kind, ms)
        self.errors: list[str] = []
        self.superseded = 0

    def add(self, kind: str, began: float, answer: dict[str, Any]) -> None:
        ms = (time.perf_counter() - began) * 1000
        with self.lock:
            error = answer.get("error")
            if error is None:
                self.samples.append((began - self.start, kind, ms))
            elif error.get("code") in SUPERSEDED:
                self.superseded += 1
            else:
                self.errors.append(f"{kind}: {error.get('code')} {error.get('message')}")

    def fail(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def _type(client: Client, uri: str, rec: Recorder, stop: float, seed: int, args) -> None:
    rng = random.Random(seed)
    version = 1
    line, col = HEADER.count("\n"), 0
    typed = 0
    keystrokes = 0
    while time.perf_counter() < stop:
        if typed == len(TYPED):  # start again: delete what was typed
            version += 1
            client.notify(
                "textDocument/didChange",
                did_change(uri, version, (HEADER.count("\n"), 0), (line, col), ""),
            )
            line, col, typed = HEADER.count("\n"), 0, 0
        ch = TYPED[typed]
        typed += 1
        version += 1
        client.notify(
            "textDocument/didChange", did_change(uri, version, (line, col), (line, col), ch)
        )
        if ch == "\n":
            line, col = line + 1, 0
        else:
            col += 1
        keystrokes += 1
        doc = {"textDocument": {"uri": uri}}
        try:
            if keystrokes % args.complete_every == 0:
                began = time.perf_counter()
                answer = client.request(
                    "textDocument/inlineCompletion",
                    {
                        **doc,
                        "position": {"line": line, "character": col},
                        "context": {"triggerKind": 2},
                    },
                )
                rec.add("completion", began, answer)
            elif rng.random() < 0.05:
                method, params = rng.choice(
                    [
                        ("textDocument/documentSymbol", doc),
                        ("textDocument/hover", {**doc, "position": {"line": 0, "character": 8}}),
                        ("textDocument/diagnostic", doc),
                    ]
                )
                began = time.perf_counter()
                rec.add("other", began, client.request(method, params))
        except (TimeoutError, EOFError) as exc:
            rec.fail(f"{type(exc).__name__}: {exc}")
            if isinstance(exc, EOFError):
                return
        time.sleep(args.key_ms / 1000 * rng.uniform(0.5, 1.5))


def _summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 1) if values else None,
        "p95": round(percentile(values, 95), 1) if values else None,
        "max": round(max(values), 1) if values else None,
    }


def run(args) -> dict[str, Any]:
    settings = {"index": {"workers": 1}, "completion": {"maxTokens": args.max_tokens}}
    with tempfile.TemporaryDirectory(prefix="qwen-lsp-soak-") as root_dir:
        root = Path(root_dir)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        log = open(root / "server.log", "w+")  # noqa: SIM115 - read back at the end
        server = subprocess.Popen(
            [sys.executable, "-m", "qwen_lsp", "serve", "--tcp", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.1)
            clients, uris = [], []
            for n in range(args.clients):
                client = Client(port, settings)
                params = {
                    "processId": None,
                    "rootUri": root.as_uri(),
                    "workspaceFolders": [{"uri": root.as_uri(), "name": "soak"}],
                    "capabilities": {},
                    "initializationOptions": settings,
                }
                answer = client.request("initialize", params)
                assert "result" in answer, answer
                client.notify("initialized", {})
                uri = (root / f"client{n}.py").as_uri()
                text = HEADER
                client.notify(
                    "textDocument/didOpen",
                    {
                        "textDocument": {
                            "uri": uri,
                            "languageId": "python",
                            "version": 1,
                            "text": text,
                        }
                    },
                )
                clients.append(client)
                uris.append(uri)
            # Warm-up: the model loads (once, shared) and answers each client once.
            for client, uri in zip(clients, uris, strict=True):
                client.request(
                    "textDocument/inlineCompletion",
                    {
                        "textDocument": {"uri": uri},
                        "position": {"line": 4, "character": 0},
                        "context": {"triggerKind": 1},
                    },
                    120,
                )
            rss_start = rss_mb(server.pid)
            rss_peak = rss_start
            start = time.perf_counter()
            stop = start + args.seconds
            rec = Recorder(start)
            threads = [
                threading.Thread(target=_type, args=(c, u, rec, stop, i, args), daemon=True)
                for i, (c, u) in enumerate(zip(clients, uris, strict=True))
            ]
            for t in threads:
                t.start()
            rss_series = []
            rss_warm = None
            while any(t.is_alive() for t in threads):
                time.sleep(1.0)
                if server.poll() is not None:
                    rec.fail(f"the server exited with {server.returncode}")
                    break
                now = rss_mb(server.pid)
                if rss_warm is None and time.perf_counter() - start >= args.warmup_seconds:
                    rss_warm = now
                rss_peak = max(rss_peak, now)
                rss_series.append((round(time.perf_counter() - start, 1), round(now, 1)))
            for t in threads:
                t.join(120)
            rss_end = rss_mb(server.pid) if server.poll() is None else 0.0
            for client in clients:
                try:
                    client.request("shutdown", None, 30)
                    client.notify("exit", None)
                except (TimeoutError, EOFError, OSError) as exc:
                    rec.fail(f"shutdown: {exc}")
                client.close()
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        log.seek(0)
        server_log = log.read()
        log.close()
    windows = []
    n_windows = max(1, int(args.seconds // WINDOW_S))
    for w in range(n_windows):
        lo, hi = w * WINDOW_S, (w + 1) * WINDOW_S
        comp = [ms for t, k, ms in rec.samples if lo <= t < hi and k == "completion"]
        other = [ms for t, k, ms in rec.samples if lo <= t < hi and k == "other"]
        windows.append(
            {
                "from_s": lo,
                "completion_ms": _summary(comp),
                "other_ms": _summary(other),
            }
        )
    problems = [
        line
        for line in server_log.splitlines()
        if " ERROR " in line or "Traceback" in line or "CRITICAL" in line
    ]
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "clients": args.clients,
        "seconds": args.seconds,
        "key_ms": args.key_ms,
        "complete_every": args.complete_every,
        "requests": len(rec.samples) + rec.superseded + len(rec.errors),
        "completion_ms": _summary([ms for _t, k, ms in rec.samples if k == "completion"]),
        "other_ms": _summary([ms for _t, k, ms in rec.samples if k == "other"]),
        "p95_by_window": windows,
        "superseded": rec.superseded,
        "errors": len(rec.errors),
        "error_samples": rec.errors[:10],
        "server_log_errors": problems[:10],
        "rss_mb": {
            "start": round(rss_start, 1),
            "end": round(rss_end, 1),
            "peak": round(rss_peak, 1),
            "after_warmup": round(rss_warm, 1) if rss_warm else None,
            # The goal's figure: from the end of the warm-up (the model's buffers and the
            # caches reach their working size while the first texts are typed) to the end.
            "growth_pct": round((rss_end - rss_warm) / rss_warm * 100, 2) if rss_warm else None,
            "growth_from_start_pct": round((rss_end - rss_start) / rss_start * 100, 2)
            if rss_start
            else None,
        },
        "warmup_seconds": args.warmup_seconds,
        "rss_series": rss_series[:: max(1, len(rss_series) // 30)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=240)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--key-ms", type=float, default=120, help="mean time between keys")
    parser.add_argument("--complete-every", type=int, default=4, help="keystrokes per completion")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=80,  # one full typing cycle of every client at the default key rate
        help="typing time before the RSS baseline of growth_pct (latencies count from 0)",
    )
    parser.add_argument("--out")
    args = parser.parse_args()
    report = run(args)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    if report["errors"] or report["server_log_errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
