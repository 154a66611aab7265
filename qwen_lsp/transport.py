"""Transports: stdio, TCP and WebSocket, each connection with its own server state.

pygls' own ``start_tcp``/``start_ws`` share one protocol object between connections and stop
the process when the first one ends; here every connection gets a fresh
:class:`~qwen_lsp.server.QwenLanguageServer` over the one shared
:class:`~qwen_lsp.core.Core`, and a connection ending ends only itself.

The read loop is ours too, so that bad input always gets an answer: a body that is not JSON gets
``ParseError``, a request whose params do not fit its method gets ``InvalidParams`` (pygls would
log and never answer), a request before ``initialize`` gets ``ServerNotInitialized``, and an
oversized message is refused before its body is read into memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from pygls.exceptions import JsonRpcException

log = logging.getLogger(__name__)

MAX_HEADER_LINE = 8192
MAX_HEADERS = 32
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002
REQUEST_FAILED = -32803

_ALLOWED_BEFORE_INIT = frozenset({"initialize", "exit"})


class FramingError(Exception):
    """The byte stream is not valid LSP framing; the connection cannot continue."""


class ThreadSafeWriter:
    """Serialises writes from any thread onto the connection's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, write: Callable[[bytes], Any]) -> None:
        self._loop = loop
        self._write = write
        self.closed = False

    def write(self, data: bytes) -> None:
        """Send bytes (from the loop thread or any other)."""
        if self.closed:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._call(data)
        else:
            self._loop.call_soon_threadsafe(self._call, data)

    def _call(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            result = self._write(data)
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                task.add_done_callback(_ignore_closed)
        except (ConnectionError, RuntimeError) as exc:
            log.info("connection closed while writing: %s", exc)
            self.closed = True

    def close(self) -> None:
        """Stop writing (the transport itself is closed by its owner)."""
        self.closed = True


def _ignore_closed(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.info("connection closed while writing: %s", task.exception())


class MessageHandler:
    """Turns raw message bodies into protocol calls, answering everything that can't be
    handled with a proper JSON-RPC error."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.protocol = server.protocol

    def _error(self, msg_id: Any, code: int, message: str) -> None:
        payload = {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
        body = json.dumps(payload).encode()
        writer = self.protocol.writer
        if writer is None:
            return
        if getattr(self.protocol, "_include_headers", True):
            writer.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        else:
            writer.write(body)

    def handle_body(self, body: bytes) -> None:
        """Handle one message body; never raises."""
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            self._error(None, PARSE_ERROR, f"message is not valid JSON: {exc}")
            return
        if not isinstance(raw, dict):
            self._error(
                None, INVALID_REQUEST, "message must be a JSON object (batches are not part of LSP)"
            )
            return
        msg_id = raw.get("id")
        method = raw.get("method")
        is_request = "id" in raw and method is not None
        if raw.get("jsonrpc") != "2.0":
            if is_request or "id" in raw:
                self._error(
                    msg_id if _valid_id(msg_id) else None,
                    INVALID_REQUEST,
                    'missing "jsonrpc": "2.0"',
                )
            return
        if method is not None and not isinstance(method, str):
            if "id" in raw:
                self._error(
                    msg_id if _valid_id(msg_id) else None,
                    INVALID_REQUEST,
                    "method must be a string",
                )
            return
        if "id" in raw and not _valid_id(msg_id):
            self._error(None, INVALID_REQUEST, "id must be a string or an integer")
            return
        if (
            method is not None
            and not self.server.initialize_received
            and method not in _ALLOWED_BEFORE_INIT
        ):
            if is_request:
                self._error(
                    msg_id, SERVER_NOT_INITIALIZED, f"{method}: the server is not initialized yet"
                )
            return
        try:
            message = self.protocol.structure_message(raw)
        except JsonRpcException as exc:
            if is_request:
                self._error(
                    msg_id,
                    INVALID_PARAMS if exc.code == INVALID_PARAMS else exc.code,
                    f"{method}: invalid params ({_short(exc)})",
                )
            else:
                log.warning("dropped malformed %s notification: %s", method, _short(exc))
            return
        except Exception as exc:
            if is_request:
                self._error(msg_id, INVALID_PARAMS, f"{method}: invalid params ({_short(exc)})")
            else:
                log.warning("dropped malformed %s notification: %s", method, _short(exc))
            return
        if method == "initialize":
            self.server.initialize_received = True
        try:
            self.protocol.handle_message(message)
        except SystemExit:
            raise
        except Exception as exc:  # pygls answers handler errors itself; this is the rest
            log.exception("failed to handle %s", method)
            if is_request:
                self._error(msg_id, INTERNAL_ERROR, f"{method}: {_short(exc)}")


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _short(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    text = str(cause).strip().splitlines()
    return (text[0] if text else type(cause).__name__)[:300]


async def read_messages(
    readline: Callable[[], Awaitable[bytes]],
    readexactly: Callable[[int], Awaitable[bytes]],
    on_body: Callable[[bytes], None],
    on_oversize: Callable[[int], None],
    max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    stop: threading.Event | None = None,
) -> None:
    """Read ``Content-Length`` framed messages until end of stream.

    Oversized bodies are skipped in chunks (never held in memory). A stream that cannot be
    re-synchronised (header too long, no Content-Length) raises :class:`FramingError`.
    """
    while stop is None or not stop.is_set():
        length: int | None = None
        headers = 0
        while True:
            line = await readline()
            if not line:
                return
            if len(line) > MAX_HEADER_LINE:
                raise FramingError("header line too long")
            headers += 1
            if headers > MAX_HEADERS:
                raise FramingError("too many header lines")
            stripped = line.strip()
            if not stripped:
                if length is None:
                    if headers == 1:
                        continue  # stray blank line between messages
                    raise FramingError("message without Content-Length")
                break
            name, _, value = stripped.partition(b":")
            if name.strip().lower() == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError as exc:
                    raise FramingError(f"bad Content-Length {value[:40]!r}") from exc
                if length < 0:
                    raise FramingError("negative Content-Length")
        if length > max_bytes:
            on_oversize(length)
            remaining = length
            while remaining:
                chunk = await readexactly(min(remaining, 1 << 20))
                if not chunk:
                    return
                remaining -= len(chunk)
            continue
        body = await readexactly(length) if length else b""
        if len(body) < length:
            return  # stream ended mid-message
        on_body(body)


# -- stdio --------------------------------------------------------------------------------


def serve_stdio(
    build: Callable[[], Any], stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> None:
    """Serve one client over stdin/stdout until it exits or the stream ends."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = build()

        def write(data: bytes) -> None:
            stdout.write(data)
            stdout.flush()

        writer = ThreadSafeWriter(loop, write)
        server.attach(writer, include_headers=True, shared=False)
        handler = MessageHandler(server)

        async def readline() -> bytes:
            return await loop.run_in_executor(None, stdin.readline, MAX_HEADER_LINE + 1)

        async def readexactly(n: int) -> bytes:
            return await loop.run_in_executor(None, _read_exactly, stdin, n)

        try:
            await read_messages(
                readline,
                readexactly,
                handler.handle_body,
                lambda n: server.refuse_oversize(n),
                server.max_message_bytes,
                server.stop_event,
            )
        except FramingError as exc:
            log.error("stopping: the client sent invalid framing (%s)", exc)
        finally:
            server.detach()

    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        asyncio.run(main())


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    chunks = []
    remaining = n
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


# -- TCP ------------------------------------------------------------------------------------


async def _tcp_connection(
    build: Callable[[], Any], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    loop = asyncio.get_running_loop()
    peer = writer.get_extra_info("peername")
    server = build()
    out = ThreadSafeWriter(loop, writer.write)
    server.attach(out, include_headers=True, shared=True)
    log.info("client connected: %s", peer)
    handler = MessageHandler(server)

    async def readline() -> bytes:
        try:
            return await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError as exc:
            raise FramingError("header line too long") from exc
        except asyncio.IncompleteReadError as exc:
            return exc.partial if exc.partial.endswith(b"\n") else b""

    async def readexactly(n: int) -> bytes:
        try:
            return await reader.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial

    try:
        await read_messages(
            readline,
            readexactly,
            handler.handle_body,
            lambda n: server.refuse_oversize(n),
            server.max_message_bytes,
            server.stop_event,
        )
    except FramingError as exc:
        log.warning("closing %s: invalid framing (%s)", peer, exc)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        server.detach()
        out.close()
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
        log.info("client disconnected: %s", peer)


def serve_tcp(
    build: Callable[[], Any], host: str, port: int, ready: Callable[[str, int], None] | None = None
) -> None:
    """Serve any number of clients over TCP until interrupted."""

    async def main() -> None:
        srv = await asyncio.start_server(
            lambda r, w: _tcp_connection(build, r, w), host, port, limit=MAX_HEADER_LINE * 2
        )
        addr = srv.sockets[0].getsockname()
        log.info("serving LSP over TCP on %s:%s", addr[0], addr[1])
        if ready:
            ready(addr[0], addr[1])
        async with srv:
            await srv.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


# -- WebSocket --------------------------------------------------------------------------------


def serve_ws(
    build: Callable[[], Any],
    host: str,
    port: int,
    ready: Callable[[str, int], None] | None = None,
    process_request: Callable[..., Any] | None = None,
) -> None:
    """Serve any number of clients over WebSocket (one JSON-RPC message per frame)."""
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    async def connection(websocket: Any) -> None:
        loop = asyncio.get_running_loop()
        server = build()
        out = ThreadSafeWriter(loop, lambda data: websocket.send(data.decode("utf-8")))
        server.attach(out, include_headers=False, shared=True)
        handler = MessageHandler(server)
        try:
            async for frame in websocket:
                body = frame.encode("utf-8") if isinstance(frame, str) else frame
                if len(body) > server.max_message_bytes:
                    server.refuse_oversize(len(body))
                    continue
                handler.handle_body(body)
                if server.stop_event.is_set():
                    break
        except ConnectionClosed:
            pass
        finally:
            server.detach()
            out.close()

    async def main() -> None:
        async with serve(
            connection,
            host,
            port,
            process_request=process_request,
            max_size=DEFAULT_MAX_MESSAGE_BYTES,
        ) as srv:
            sock = next(iter(srv.sockets))
            addr = sock.getsockname()
            log.info("serving LSP over WebSocket on ws://%s:%s", addr[0], addr[1])
            if ready:
                ready(addr[0], addr[1])
            await srv.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
