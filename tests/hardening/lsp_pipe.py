"""A small LSP client over a real pipe to ``python -m qwen_lsp serve``, for hardening tests.

Unlike pytest-lsp it can write any bytes (broken framing included), counts every response by
id, timestamps what arrives, and checks that what the server writes is itself well framed.
Requests the server sends to the client are answered at once (``workspace/configuration``
with the section given to :meth:`PipeServer.initialize`, everything else with ``null``).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FIXTURE_MODEL = REPO / "tests" / "fixtures" / "tiny_qwen2"
EMBEDDED_MODEL = REPO / "qwen_lsp" / "models" / "python"


def frame(body: bytes, length: int | None = None) -> bytes:
    """``body`` with its ``Content-Length`` header (``length`` overrides the true one)."""
    return b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body


def dumps(obj: Any) -> bytes:
    """Compact JSON, as editors send it."""
    return json.dumps(obj, separators=(",", ":")).encode()


class ServerOutputError(AssertionError):
    """The server wrote something that is not a well-framed JSON-RPC message."""


def did_change(
    uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str
) -> dict[str, Any]:
    """didChange params for one incremental edit (``start``/``end``: line, character)."""
    return {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [
            {
                "range": {
                    "start": {"line": start[0], "character": start[1]},
                    "end": {"line": end[0], "character": end[1]},
                },
                "text": text,
            }
        ],
    }


class PipeServer:
    """One server process over stdin/stdout, with a reader thread for its output."""

    def __init__(
        self,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        log_level: str | None = None,
        cwd: str | Path | None = None,
        command: list[str] | None = None,
    ) -> None:
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            command
            or [
                sys.executable,
                "-m",
                "qwen_lsp",
                *(["--log-level", log_level] if log_level else []),
                "serve",
                *args,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=cwd,
            bufsize=0,
        )
        self.responses: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        self.arrivals: dict[Any, float] = {}
        self.null_responses: list[dict[str, Any]] = []
        self.notifications: list[tuple[float, dict[str, Any]]] = []
        self.server_requests: list[dict[str, Any]] = []
        self.stderr_lines: list[str] = []
        self.output_errors: list[str] = []
        self.configuration: dict[str, Any] | None = None
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for t in self._threads:
            t.start()

    # -- reading ------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length is None:
                self.output_errors.append("a message without Content-Length")
                return
            # A raw pipe returns at most what one read(2) gives (64 KiB): read until complete.
            body = b""
            while len(body) < length:
                chunk = out.read(length - len(body))
                if not chunk:
                    self.output_errors.append(f"end of stream inside a {length}-byte body")
                    return
                body += chunk
            try:
                msg = json.loads(body)
            except ValueError as exc:
                self.output_errors.append(f"not JSON: {exc}: {body[:200]!r}")
                continue
            self._dispatch(msg)

    def _dispatch(self, msg: dict[str, Any]) -> None:
        now = time.perf_counter()
        if "method" in msg and "id" in msg:
            self.server_requests.append(msg)
            self._answer(msg)
            return
        with self._cond:
            if "method" in msg:
                self.notifications.append((now, msg))
            elif msg.get("id") is None:
                self.null_responses.append(msg)
            else:
                key = _key(msg["id"])
                self.responses[key].append(msg)
                self.arrivals.setdefault(key, now)
            self._cond.notify_all()

    def _answer(self, msg: dict[str, Any]) -> None:
        result: Any = None
        if msg["method"] == "workspace/configuration":
            items = (msg.get("params") or {}).get("items") or []
            result = [self.configuration for _ in items]
        elif msg["method"] == "workspace/applyEdit":
            result = {"applied": False}
        self.send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def _read_stderr(self) -> None:
        err = self.proc.stderr
        assert err is not None
        for raw in iter(err.readline, b""):
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    # -- writing ------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write raw bytes to the server's stdin."""
        stdin = self.proc.stdin
        assert stdin is not None
        with self._write_lock:
            stdin.write(data)
            stdin.flush()

    def write_split(self, chunks: list[bytes], pause: float) -> None:
        """Write one message in pieces with a pause between them, holding the pipe: the
        reader thread's answers to server requests must not land inside the message (a
        client interleaving messages is not what a split write tests)."""
        stdin = self.proc.stdin
        assert stdin is not None
        with self._write_lock:
            for chunk in chunks:
                stdin.write(chunk)
                stdin.flush()
                time.sleep(pause)

    def send(self, obj: Any) -> None:
        """Write one well-framed message."""
        self.write(frame(dumps(obj)))

    def next_id(self) -> int:
        """A fresh request id."""
        return next(self._ids) + 10_000_000

    def request(self, method: str, params: Any = None, msg_id: Any = None) -> Any:
        """Send a request; return its id."""
        msg_id = self.next_id() if msg_id is None else msg_id
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return msg_id

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification."""
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    # -- waiting ------------------------------------------------------------------------

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy (checked whenever a message arrives)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader_alive()):
                    raise AssertionError(
                        f"gave up after {timeout} s (or the server's end) waiting for {what}; "
                        "server alive: "
                        f"{self.proc.poll() is None}; stderr tail: {self.stderr_lines[-5:]}"
                    )
                self._cond.wait(min(left, 0.05))

    def _reader_alive(self) -> bool:
        return self._threads[0].is_alive()

    def response(self, msg_id: Any, timeout: float = 30.0) -> dict[str, Any]:
        """The (first) response to ``msg_id``."""
        key = _key(msg_id)
        return self.wait(
            lambda: self.responses[key][0] if self.responses.get(key) else None,
            timeout,
            f"the response to {msg_id!r}",
        )

    def call(self, method: str, params: Any = None, timeout: float = 30.0) -> Any:
        """Request and return the result; raise on an error response."""
        msg = self.response(self.request(method, params), timeout)
        if "error" in msg:
            raise RpcError(msg["error"])
        return msg.get("result")

    def notifications_of(self, method: str) -> list[dict[str, Any]]:
        """Params of every notification ``method`` received so far."""
        with self._cond:
            return [m.get("params") for _, m in self.notifications if m.get("method") == method]

    # -- session ------------------------------------------------------------------------

    def initialize(
        self,
        root: Path | None = None,
        options: dict[str, Any] | None = None,
        capabilities: dict[str, Any] | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        """initialize + initialized."""
        params: dict[str, Any] = {
            "processId": None,
            "capabilities": capabilities or {},
            "initializationOptions": options or {},
        }
        if root is not None:
            params["rootUri"] = root.as_uri()
            params["workspaceFolders"] = [{"uri": root.as_uri(), "name": root.name}]
        result = self.call("initialize", params, timeout)
        self.notify("initialized", {})
        return result

    def open(self, uri: str, text: str, version: int = 1, language: str = "python") -> None:
        """didOpen."""
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": language,
                    "version": version,
                    "text": text,
                }
            },
        )

    def edit(
        self,
        uri: str,
        version: int,
        start: tuple[int, int],
        end: tuple[int, int],
        text: str,
    ) -> None:
        """didChange with one incremental edit."""
        self.notify("textDocument/didChange", did_change(uri, version, start, end, text))

    def shutdown(self, timeout: float = 30.0) -> int:
        """shutdown + exit; the exit code."""
        self.call("shutdown", None, timeout)
        self.notify("exit")
        return self.proc.wait(timeout)

    def close(self) -> None:
        """End the process whatever its state."""
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(5)
            except Exception:
                self.proc.kill()
                self.proc.wait(5)
        for t in self._threads:
            t.join(2)

    def tracebacks(self) -> list[str]:
        """Lines of stderr that start a Python traceback."""
        return [line for line in self.stderr_lines if "Traceback" in line]

    def __enter__(self) -> PipeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RpcError(Exception):
    """An error response."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = error.get("message")


def _key(msg_id: Any) -> Any:
    """Ids as dictionary keys (a JSON id may be a string or an integer, kept apart)."""
    return (type(msg_id).__name__, msg_id)


def key(msg_id: Any) -> Any:
    """The key :attr:`PipeServer.responses` uses for ``msg_id``."""
    return _key(msg_id)
