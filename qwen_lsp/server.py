"""The language server of one connection, over the shared :class:`~qwen_lsp.core.Core`.

A :class:`QwenLanguageServer` owns what belongs to one client: its open documents, its
settings, its position encoding and its pending tasks. Features (``qwen_lsp/features``) are
thin handlers registered on it; the work happens in the core layers below.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from . import __version__
from .config import Settings
from .core import Core
from .syntax.document import Document
from .syntax.text import PositionEncoding
from .transport import DEFAULT_MAX_MESSAGE_BYTES

log = logging.getLogger(__name__)

SERVER_NAME = "qwen-lsp"


class UnknownDocumentError(JsonRpcException):
    """A request named a document that is neither open nor readable (answered with
    ``RequestFailed`` and the reason)."""

    CODE = -32803


class QwenProtocol(LanguageServerProtocol):
    """pygls' protocol with our document store, encoding choice and per-connection exit."""

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        # Our preference among what the client offers: UTF-8 (no conversion for tree-sitter's
        # byte columns), else UTF-16, the LSP default. UTF-32 is not negotiated.
        general = params.capabilities.general
        offered = list(general.position_encodings or []) if general else []
        if general is not None:
            if types.PositionEncodingKind.Utf8 in offered:
                general.position_encodings = [types.PositionEncodingKind.Utf8]
            else:
                general.position_encodings = [types.PositionEncodingKind.Utf16]
        result = yield from super().lsp_initialize(params)
        return result

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        # Documents live in QwenLanguageServer.documents (text + tree); pygls' copy is not kept.
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def _run_generator(
        self, future: Any, *, gen: Generator[Any, Any, Any], result_future: Any
    ) -> None:
        # pygls returns early when the request was cancelled, without looking at how the
        # handler it waited for ended (an executeCommand handler, say): asyncio then logs
        # "Task exception was never retrieved" with a traceback. Look, and stop the generator.
        if result_future.cancelled():
            if future is not None and future.done() and not future.cancelled():
                future.exception()
            gen.close()
            return
        if future is not None and future.cancelled():
            # The handler waited for was cancelled (shutdown cancels everything in flight):
            # pygls would raise CancelledError out of this callback and never answer.
            gen.close()
            result_future.cancel()  # answered RequestCancelled
            return
        super()._run_generator(future, gen=gen, result_future=result_future)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        # pygls' own cancels the requests in flight while iterating over the dict that
        # cancelling them changes: with a command in flight, shutdown failed ("dictionary
        # changed size during iteration") and exit then ended with code 1. Same, over a copy.
        if (handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        # pygls calls sys.exit() here; on a shared TCP/WebSocket server that would end every
        # other client's session too. End only this connection.
        if (handler := self.fm.features.get(types.EXIT)) is not None:
            yield handler, args, None
        # cast: QwenProtocol is only ever created by QwenLanguageServer (its protocol_cls).
        server = cast("QwenLanguageServer", self._server)
        server.end_connection(exit_code=0 if self._shutdown else 1)


# The session whose work is running (set per connection; asyncio tasks inherit it), so a log
# record reaches the client it concerns, not every connected client.
current_session: contextvars.ContextVar[QwenLanguageServer | None] = contextvars.ContextVar(
    "qwen_lsp_session", default=None
)


class ClientLogHandler(logging.Handler):
    """Forwards qwen-lsp's log records to one client as ``window/logMessage``."""

    _LEVELS = (
        (logging.ERROR, types.MessageType.Error),
        (logging.WARNING, types.MessageType.Warning),
        (logging.INFO, types.MessageType.Info),
        (logging.NOTSET, types.MessageType.Log),
    )

    def __init__(self, server: QwenLanguageServer) -> None:
        super().__init__(logging.INFO)
        self.server = server
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._local, "busy", False) or self.server.stop_event.is_set():
            return
        owner = current_session.get()
        if owner is not None and owner is not self.server:
            return
        self._local.busy = True  # sending must not log its way back here
        try:
            kind = next(t for level, t in self._LEVELS if record.levelno >= level)
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            self.server.window_log_message(types.LogMessageParams(type=kind, message=text))
        except Exception:
            pass
        finally:
            self._local.busy = False


class QwenLanguageServer(LanguageServer):
    """One client's session."""

    def __init__(self, core: Core) -> None:
        super().__init__(SERVER_NAME, __version__, protocol_cls=QwenProtocol, max_workers=4)
        self.core = core
        self.documents: dict[str, Document] = {}
        # Last published findings per document: (version, findings), for code actions.
        self.findings: dict[str, tuple[int, list[Any]]] = {}
        self.settings = Settings()
        self.initialization_options: Any = None
        self.last_suggestion: Any = None
        self.roots: list[Path] = []
        self.initialize_received = False
        self.stop_event = threading.Event()
        self.max_message_bytes = DEFAULT_MAX_MESSAGE_BYTES
        self.shared_transport = False
        self.exit_code: int | None = None
        self._shown_messages: set[str] = set()
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self.on_detach: list[Callable[[], None]] = []

    # -- transport lifecycle -------------------------------------------------------------

    def attach(self, writer: Any, include_headers: bool, shared: bool) -> None:
        """Connect this session to a transport's writer."""
        self.protocol.set_writer(writer, include_headers=include_headers)
        current_session.set(self)
        self.shared_transport = shared
        self.core.connections += 1
        self._log_handler = ClientLogHandler(self)
        logging.getLogger("qwen_lsp").addHandler(self._log_handler)

    def detach(self) -> None:
        """The transport ended: cancel this session's work and release its listeners."""
        self.core.connections -= 1
        logging.getLogger("qwen_lsp").removeHandler(self._log_handler)
        for task in list(self._tasks.values()):
            task.cancel()
        self._tasks.clear()
        for callback in self.on_detach:
            try:
                callback()
            except Exception:
                log.debug("detach callback failed", exc_info=True)
        if self._thread_pool is not None:
            self._thread_pool.shutdown(wait=False, cancel_futures=True)
        self.stop_event.set()

    def end_connection(self, exit_code: int) -> None:
        """Handle ``exit``: stop reading this connection (and the process, over stdio)."""
        self.exit_code = exit_code
        self.stop_event.set()
        writer = self.protocol.writer
        if self.shared_transport and writer is not None:
            writer.close()
        if not self.shared_transport:
            # Over stdio the client owns the process: leave with the LSP exit code.
            raise SystemExit(exit_code)

    def refuse_oversize(self, size: int, method: str | None = None, uri: str | None = None) -> None:
        """A message over the size limit was skipped without reading it into memory. A
        skipped ``didOpen``/``didChange`` leaves the server without that document's text:
        the document is dropped (requests on it say it is not open) rather than served
        stale."""
        what = method or "message"
        text = (
            f"qwen-lsp skipped a {size / 1e6:.1f} MB {what} (limit "
            f"{self.max_message_bytes / 1e6:.1f} MB, setting maxMessageBytes)"
        )
        if uri is not None and method in (
            types.TEXT_DOCUMENT_DID_OPEN,
            types.TEXT_DOCUMENT_DID_CHANGE,
        ):
            if self.documents.pop(uri, None) is not None:
                from .features.diagnostics import clear_diagnostics

                clear_diagnostics(self, uri)
            text += f"; {uri} is not tracked until it is opened again"
        self.show_message_once(f"oversize:{what}:{uri}", text + ".", types.MessageType.Warning)

    # -- helpers for features -------------------------------------------------------------

    @property
    def encoding(self) -> PositionEncoding:
        """The position encoding negotiated with this client."""
        try:
            chosen = self.protocol.server_capabilities.position_encoding
        except AttributeError:
            return PositionEncoding.UTF16
        return (
            PositionEncoding.UTF8
            if chosen == types.PositionEncodingKind.Utf8
            else PositionEncoding.UTF16
        )

    def show_message_once(
        self, key: str, message: str, kind: types.MessageType = types.MessageType.Warning
    ) -> None:
        """``window/showMessage``, at most once per ``key`` for this session; always logged."""
        log.warning("%s", message) if kind <= types.MessageType.Warning else log.info("%s", message)
        if key in self._shown_messages:
            return
        self._shown_messages.add(key)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def document(self, uri: str) -> Document:
        """The open document for ``uri``; raise :class:`UnknownDocumentError` otherwise."""
        doc = self.documents.get(uri)
        if doc is None:
            raise UnknownDocumentError(f"unknown document {uri}: it is not open")
        return doc

    def read_document(self, uri: str) -> Document:
        """The open document, or the file on disk read into a temporary document."""
        doc = self.documents.get(uri)
        if doc is not None:
            return doc
        path = uri_to_path(uri)
        if path is None:
            raise UnknownDocumentError(f"unknown document {uri}: it is not open and not a file")
        try:
            size = Path(path).stat().st_size
            if size > self.settings.maxParseBytes:
                raise UnknownDocumentError(f"{path} is too large to read ({size} bytes)")
            data = Path(path).read_bytes()
        except OSError as exc:
            raise UnknownDocumentError(
                f"unknown document {uri}: not open, and {exc.strerror}"
            ) from exc
        except ValueError as exc:  # a NUL byte or an unencodable character in the path
            raise UnknownDocumentError(f"unknown document {uri}: not a usable path") from exc
        language = self.core.registry.for_path(path)
        return Document(
            uri,
            data.decode("utf-8", "replace"),
            0,
            language,
            self.encoding,
            self.settings.maxParseBytes,
        )

    def schedule(self, key: str, delay: float, coro_factory: Callable[[], Any]) -> None:
        """Run ``coro_factory()`` after ``delay`` seconds; a newer call with the same key
        replaces a pending one (debouncing)."""
        old = self._tasks.pop(key, None)
        if old is not None:
            old.cancel()

        async def runner() -> None:
            try:
                if delay > 0:
                    await asyncio.sleep(delay)
                await coro_factory()
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("background task %s failed", key)
            finally:
                if self._tasks.get(key) is task:
                    del self._tasks[key]

        task = asyncio.ensure_future(runner())
        self._tasks[key] = task


def uri_to_path(uri: str) -> str | None:
    """Filesystem path of a ``file:`` URI, or None for other schemes."""
    if not uri.startswith("file:"):
        return None
    try:
        return to_fs_path(uri)
    except Exception:
        return None


def build_server(core: Core) -> QwenLanguageServer:
    """A new session with every feature registered."""
    from .features import register_all

    server = QwenLanguageServer(core)
    register_all(server)
    return server
