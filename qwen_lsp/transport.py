"""Transports: stdio, TCP and WebSocket, each connection with its own server state.

pygls' own ``start_tcp``/``start_ws`` share one protocol object between connections and stop
the process when the first one ends; here every connection gets a fresh
:class:`~qwen_lsp.server.QwenLanguageServer` over the one shared
:class:`~qwen_lsp.core.Core`, and a connection ending ends only itself.

The read loop is ours too, so that bad input always gets an answer: a body that is not JSON gets
``ParseError``, a request whose params do not fit its method gets ``InvalidParams`` (pygls would
log and never answer), a request before ``initialize`` gets ``ServerNotInitialized``, and an
oversized message is refused before its body is read into memory.

Framing that lies is recovered from rather than fatal, so that a client always gets an answer:

- a ``Content-Length`` over the limit (``maxMessageBytes``): the body is skipped in chunks,
  never held in memory; a request among it is answered ``InvalidRequest`` with its id, found
  in the first 64 KiB (a ``didOpen``/``didChange`` skipped this way drops that document, so a
  stale text is never served);
- a ``Content-Length`` larger than the message: when the body read holds one complete JSON
  message followed by the next header, the message is handled and the rest is read again as
  the next message; when nothing follows (the client sent the message and waits), the read
  gives up after ``QWEN_LSP_BODY_STALL_SECONDS`` (5 s) without a new byte and the message is
  handled all the same. A pipe that stays open therefore never hangs the connection: a body
  that stalls is answered (``ParseError``, with the request's id when it can be read);
- a ``Content-Length`` smaller than the message, a body that is not JSON, or JSON nested too
  deep: ``ParseError`` with the request's id when the body's top level shows one (else
  ``null``); the rest is skipped up to the next ``Content-Length:``;
- a header block without a usable ``Content-Length`` (missing, not a number, negative), a
  header line over 8 KiB or more than 32 header lines: ``ParseError`` (id ``null``), and bytes
  are skipped up to the next ``Content-Length:`` header. Garbage between messages is skipped
  the same way (logged, not answered).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from pygls.exceptions import JsonRpcException

log = logging.getLogger(__name__)

MAX_HEADER_LINE = 8192
MAX_HEADERS = 32
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# A body that receives no new byte for this long is given up (see the module docstring).
DEFAULT_BODY_STALL_SECONDS = 5.0
# How much of an oversized or unreadable body is looked at to find the request's id.
HEAD_BYTES = 64 * 1024
READ_CHUNK = 1 << 16

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_NOT_INITIALIZED = -32002
REQUEST_FAILED = -32803

_ALLOWED_BEFORE_INIT = frozenset({"initialize", "exit"})
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_HEADER_NAME = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_START = re.compile(r"\s*content-(?:length|type)[ \t]*:", re.IGNORECASE)
_HEADER_NAMES = ("content-length:", "content-type:")


class FramingError(Exception):
    """The byte stream is not valid LSP framing (no longer raised by :func:`read_messages`,
    which recovers; kept for callers that catch it)."""


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
            raw = loads(body)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            self.parse_error(body, f"message is not valid JSON: {_short(exc)}")
            return
        self.handle_json(raw)

    def parse_error(self, body: bytes, reason: str) -> None:
        """Answer a body that cannot be used with ``ParseError``: with the request's id when
        the body's top level shows one (so the client's request does not wait forever), else
        ``null``. A body that looks like a response (``result``/``error``) is only logged."""
        info = scan_top_level(body[:HEAD_BYTES].decode("utf-8", "replace"))
        msg_id = info.get("id")
        if "result" in info or "error" in info:
            log.warning("dropped an unreadable response from the client: %s", reason)
            return
        log.warning("answered ParseError: %s", reason)
        self._error(msg_id if _valid_id(msg_id) else None, PARSE_ERROR, reason)

    def framing_error(self, reason: str) -> None:
        """A header block that cannot be used: ``ParseError`` with id ``null``."""
        log.warning("invalid message framing: %s", reason)
        self._error(None, PARSE_ERROR, f"invalid message header: {reason}")

    def oversize(self, size: int, head: bytes, limit: int) -> None:
        """A message over ``limit`` was skipped unread: answer a request among it (its id is
        looked for in ``head``) and tell the session."""
        info = scan_top_level(head.decode("utf-8", "replace"))
        method = info.get("method") if isinstance(info.get("method"), str) else None
        msg_id = info.get("id")
        if _valid_id(msg_id) and "result" not in info and "error" not in info:
            self._error(
                msg_id,
                INVALID_REQUEST,
                f"{method or 'message'}: {size} bytes is over the limit of {limit} bytes "
                "(setting maxMessageBytes); not read",
            )
        uri = None
        if method in ("textDocument/didOpen", "textDocument/didChange"):
            m = _URI.search(head)
            if m is not None:
                with contextlib.suppress(ValueError):
                    uri = json.loads(m.group(1))
        refuse = getattr(self.server, "refuse_oversize", None)
        if refuse is not None:
            refuse(size, method, uri)

    def handle_json(self, raw: Any) -> None:
        """Handle one decoded message; never raises (but ``exit`` over stdio ends the
        process with ``SystemExit``)."""
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
        if method is not None and method != "exit" and getattr(self.protocol, "_shutdown", False):
            # pygls drops these without a word; LSP says: answer InvalidRequest.
            if is_request:
                self._error(msg_id, INVALID_REQUEST, f"{method}: the server is shutting down")
            return
        params = raw.get("params")
        if method == "$/cancelRequest" and not (
            isinstance(params, dict) and _valid_id(params.get("id"))
        ):
            # pygls would look the id up in a dict (a list or an object there raises).
            log.warning("dropped a $/cancelRequest without a valid id")
            return
        try:
            message = self.protocol.structure_message(raw)
        except (JsonRpcException, RecursionError) as exc:
            # Whatever went wrong while structuring (pygls calls some of it InternalError),
            # it is the params' fault.
            if is_request:
                self._error(msg_id, INVALID_PARAMS, f"{method}: invalid params ({_short(exc)})")
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


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def loads(body: bytes) -> Any:
    """Strict JSON of a message body: UTF-8 (as LSP says; no other encoding guessed) and no
    ``NaN``/``Infinity`` (Python's json accepts them; a position of NaN is no position).
    Raises ValueError or RecursionError."""
    return _DECODER.decode(body.decode("utf-8"))


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


_URI = re.compile(rb'"uri"\s*:\s*("(?:[^"\\]|\\.)*")')
_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null")
_WS = re.compile(r"[ \t\r\n]*")
_NESTED = object()


def _skip_nested(text: str, i: int) -> int | None:
    """Index just after the array or object starting at ``text[i]``; None if it does not end
    in ``text`` (strings are skipped as such, so brackets inside them do not count)."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            try:
                _, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
            except ValueError:
                return None
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def scan_top_level(text: str) -> dict[str, Any]:
    """The members at the top level of a JSON object, read as far as ``text`` is well-formed:
    the ``id`` and ``method`` of a message whose body is truncated, oversized or broken further
    on. Scalars keep their value, arrays and objects are recorded as present; a member is
    taken only when complete (followed by ``,`` or ``}``), so a number cut in the middle is
    never mistaken for an id."""
    out: dict[str, Any] = {}
    n = len(text)
    i = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if i >= n or text[i] != "{":
        return out
    i += 1
    while True:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i >= n or text[i] != '"':
            return out
        try:
            key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        except ValueError:
            return out
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i >= n or text[i] != ":":
            return out
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if i >= n:
            return out
        value: Any
        if text[i] == '"':
            try:
                value, j = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
            except ValueError:
                return out
        elif text[i] in "[{":
            end = _skip_nested(text, i)
            if end is None:
                return out
            value, j = _NESTED, end
        else:
            m = _SCALAR.match(text, i)
            if m is None:
                return out
            token, j = m.group(), m.end()
            if token in ("true", "false", "null"):
                value = {"true": True, "false": False, "null": None}[token]
            else:
                value = float(token) if m.group(1) or m.group(2) else int(token)
        j = _WS.match(text, j).end()  # type: ignore[union-attr]
        if j >= n or text[j] not in ",}":
            return out
        out.setdefault(key, value)
        if text[j] == "}":
            return out
        i = j + 1


def _split_overlong(body: bytes, allow_alone: bool) -> tuple[Any, bytes] | None:
    """A body read with a ``Content-Length`` larger than its message: the message, and the
    bytes after it (the next message's header), to be read again. ``allow_alone``: the
    message may also stand alone (nothing followed it before the read stalled)."""
    text = body.decode("utf-8", "surrogateescape")
    start = _WS.match(text, 0).end()  # type: ignore[union-attr]
    try:
        value, end = _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError):
        return None
    rest = text[end:].lstrip()
    if not rest:
        return (value, b"") if allow_alone else None
    head = rest[:16].lower()
    # The next header, or the start of it (the read may end inside "Content-Length").
    if _HEADER_START.match(rest) or any(h.startswith(head) for h in _HEADER_NAMES):
        return value, rest.encode("utf-8", "surrogateescape")
    return None


def _short(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    text = str(cause).strip().splitlines()
    return (text[0] if text else type(cause).__name__)[:300]


async def read_messages(
    read: Callable[[], Awaitable[bytes]],
    handler: MessageHandler,
    max_bytes: Callable[[], int] | int = DEFAULT_MAX_MESSAGE_BYTES,
    stop: threading.Event | None = None,
    stall_seconds: float = DEFAULT_BODY_STALL_SECONDS,
) -> None:
    """Read ``Content-Length`` framed messages until end of stream and hand them to
    ``handler``; framing that lies is recovered from as the module docstring says.

    ``read()`` returns the next bytes available (``b""`` at end of stream); it is called
    under a timeout while a body is being read, so it must lose nothing when cancelled.
    ``max_bytes`` is the size limit (a callable is asked again for every message, so a
    setting changed during the session applies to the next message).
    """
    buf = bytearray()
    eof = False

    async def fill(timeout: float | None = None) -> bool:
        """Read more into ``buf``; False at end of stream or when nothing came in time."""
        nonlocal eof
        if eof:
            return False
        try:
            chunk = await (read() if timeout is None else asyncio.wait_for(read(), timeout))
        except asyncio.TimeoutError:
            return False
        if not chunk:
            eof = True
            return False
        buf.extend(chunk)
        return True

    async def resync(start: int) -> bool:
        """Drop bytes up to the next ``Content-Length:`` at or after ``start``."""
        del buf[:start]
        while True:
            m = _CONTENT_LENGTH.search(buf)
            if m is not None:
                del buf[: m.start()]
                return True
            del buf[: max(0, len(buf) - 64)]  # keep a header name split across reads
            if not await fill():
                return False

    def deliver(call: Callable[..., None], *args: Any) -> None:
        """Hand a message over; a failure there must not end the connection."""
        try:
            call(*args)
        except Exception:
            log.exception("failed to handle a message")

    def take(n: int) -> bytes:
        with memoryview(buf) as view:
            out = bytes(view[:n])
        del buf[:n]
        return out

    while stop is None or not stop.is_set():
        # -- one header block ------------------------------------------------------------
        length: int | None = None
        lines = 0
        pos = 0
        problem: str | None = None
        garbage = False
        while True:
            nl = buf.find(b"\n", pos)
            if nl < 0:
                if len(buf) - pos > MAX_HEADER_LINE:
                    problem = "header line too long"
                    pos += 1
                    break
                if not await fill():
                    return
                continue
            line = bytes(buf[pos : nl + 1])
            line_start, pos = pos, nl + 1
            if len(line) > MAX_HEADER_LINE:
                problem = "header line too long"
                break
            glued = _CONTENT_LENGTH.search(line)
            if glued is not None and line[: glued.start()].strip():
                # A header glued to the bytes before it (the rest of a body that was longer
                # than its Content-Length said): drop those bytes, unanswered.
                log.warning("skipped bytes before a header: %r", line[: min(glued.start(), 40)])
                del buf[: line_start + glued.start()]
                length, lines, pos = None, 0, 0
                continue
            stripped = line.strip()
            if not stripped:
                if lines == 0:
                    del buf[:pos]  # blank lines between messages
                    pos = 0
                    continue
                break
            lines += 1
            if lines > MAX_HEADERS:
                problem = "too many header lines"
                break
            name, sep, value = stripped.partition(b":")
            if not sep or not _HEADER_NAME.fullmatch(name.strip()):
                if lines == 1:
                    # Not a header: the rest of a body that was longer than its
                    # Content-Length said, or noise. Skip to the next header, unanswered.
                    garbage = True
                    pos = line_start
                    break
                problem = f"malformed header line {stripped[:40]!r}"
                break
            if name.strip().lower() == b"content-length":
                digits = value.strip()
                if not digits.isdigit() or len(digits) > 18:
                    problem = f"bad Content-Length {digits[:40]!r}"
                    break
                if length is not None and int(digits) != length:
                    problem = "conflicting Content-Length headers"
                    break
                length = int(digits)
        if garbage:
            log.warning(
                "skipped bytes that are not a message header: %r", bytes(buf[pos : pos + 40])
            )
            if not await resync(pos + 1 if _CONTENT_LENGTH.match(buf, pos) else pos):
                return
            continue
        if problem is None and length is None:
            problem = "message without Content-Length"
        if problem is not None:
            deliver(handler.framing_error, problem)
            if not await resync(pos):
                return
            continue
        assert length is not None
        del buf[:pos]

        # -- the body ----------------------------------------------------------------------
        limit = max_bytes() if callable(max_bytes) else max_bytes
        oversized = length > limit
        want = min(length, HEAD_BYTES) if oversized else length
        while len(buf) < want and await fill(stall_seconds):
            pass
        if eof and len(buf) < want:
            return  # the client went away in the middle of a message
        stalled = len(buf) < want
        body = take(min(want, len(buf)))
        if not oversized and not stalled:
            try:
                raw = loads(body)
            except (ValueError, RecursionError) as exc:
                split = _split_overlong(body, allow_alone=False)
                if split is None:
                    reason = f"message is not valid JSON: {_short(exc)}"
                    deliver(handler.parse_error, body, reason)
                    continue
                raw, rest = split
                buf[:0] = rest
                log.warning("Content-Length was larger than the message; read on from the next")
            deliver(handler.handle_json, raw)
            continue
        split = _split_overlong(body, allow_alone=stalled)
        if split is not None:
            raw, rest = split
            buf[:0] = rest
            log.warning("Content-Length %s was larger than the message it framed", length)
            deliver(handler.handle_json, raw)
            continue
        if stalled:
            reason = (
                f"incomplete message: {len(body)} of {length} bytes arrived, then nothing "
                f"for {stall_seconds:g} s"
            )
            deliver(handler.parse_error, body, reason)
            continue
        # Over the limit: answer from the head, skip the rest without keeping it.
        deliver(handler.oversize, length, body, limit)
        remaining = length - len(body)
        while remaining > 0:
            if not buf and not await fill(stall_seconds):
                if eof:
                    return
                log.warning("an oversized message stopped arriving; reading the next header")
                break
            n = min(remaining, len(buf))
            del buf[:n]
            remaining -= n


# -- stdio --------------------------------------------------------------------------------


class StreamPump:
    """Reads a blocking byte stream on a thread into a small queue, so that the event loop
    can wait for input under a timeout without losing bytes (a read on an executor thread
    cannot be taken back once it has started)."""

    def __init__(self, stream: BinaryIO, loop: asyncio.AbstractEventLoop) -> None:
        self._stream = stream
        self._loop = loop
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=16)
        try:
            self._fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None
        threading.Thread(target=self._run, name="qwen-stdin", daemon=True).start()

    def _chunk(self) -> bytes:
        if self._fd is not None:
            # The raw descriptor: no lock of a buffered reader held at interpreter exit.
            return os.read(self._fd, READ_CHUNK)
        read1 = getattr(self._stream, "read1", None)
        return read1(READ_CHUNK) if read1 is not None else self._stream.read(READ_CHUNK)

    def _run(self) -> None:
        while True:
            try:
                chunk = self._chunk()
            except (OSError, ValueError):
                chunk = b""
            try:
                asyncio.run_coroutine_threadsafe(self._queue.put(chunk), self._loop).result()
            except BaseException:  # the loop is gone
                return
            if not chunk:
                return

    async def read(self) -> bytes:
        """The next chunk (``b""`` at end of stream)."""
        return await self._queue.get()


def body_stall_seconds() -> float:
    """How long a message body may stall (``QWEN_LSP_BODY_STALL_SECONDS``, default 5)."""
    try:
        value = float(os.environ.get("QWEN_LSP_BODY_STALL_SECONDS", DEFAULT_BODY_STALL_SECONDS))
    except ValueError:
        return DEFAULT_BODY_STALL_SECONDS
    return value if value > 0 else DEFAULT_BODY_STALL_SECONDS


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
        pump = StreamPump(stdin, loop)
        try:
            await read_messages(
                pump.read,
                handler,
                lambda: server.max_message_bytes,
                server.stop_event,
                body_stall_seconds(),
            )
        finally:
            server.detach()

    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        asyncio.run(main())


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

    try:
        await read_messages(
            lambda: reader.read(READ_CHUNK),
            handler,
            lambda: server.max_message_bytes,
            server.stop_event,
            body_stall_seconds(),
        )
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
                    handler.oversize(len(body), body[:HEAD_BYTES], server.max_message_bytes)
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
