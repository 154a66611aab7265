"""``workspace/executeCommand``: ``qwen.explainLog`` and ``qwen.clearLog``.

``qwen.explainLog`` takes a log as text (``["Traceback ..."]`` or ``[{"text": "..."}]``) or a
file inside the workspace (``[{"path": "logs/run.txt"}]``, relative to the first root, or
``[{"uri": "file:///..."}]``); paths outside the workspace roots are refused. It explains every
error (:mod:`qwen_lsp.analysis.logs`), publishes the explanations as diagnostics (source
``qwen-log``) on the lines they point to, with the fixes as code actions, and returns the
explanations. They stay until the file's text changes or ``qwen.clearLog`` runs.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ..analysis.logs import LogReport, analyze_log
from ..server import QwenLanguageServer, uri_to_path
from ..syntax.text import TextBuffer
from .convert import path_uri
from .diagnostics import LogFindings, diagnostic, refresh, state_of, text_hash

log = logging.getLogger(__name__)

EXPLAIN = "qwen.explainLog"
CLEAR = "qwen.clearLog"
MAX_LOG_BYTES = 20 * 1024 * 1024
MAX_SOURCE_BYTES = 8 * 1024 * 1024


class ServerWorkspace:
    """The analysis' view of the session: roots, open buffers (copied before the work leaves
    the event loop), files on disk, and the project index."""

    def __init__(self, server: QwenLanguageServer) -> None:
        self.roots = list(server.roots)
        self._open: dict[str, bytes] = {}
        for uri, doc in server.documents.items():
            path = uri_to_path(uri)
            if path is not None:
                try:
                    self._open[str(Path(path).resolve())] = doc.buffer.data
                except (OSError, ValueError):  # a NUL byte or a lone surrogate in the URI
                    continue
        self._indexers = [h.indexer for h in server.core.indexes()]

    def read(self, path: str) -> bytes | None:
        """The open buffer's bytes, else the file's."""
        try:
            resolved = str(Path(path).resolve())
        except (OSError, ValueError):
            return None
        if resolved in self._open:
            return self._open[resolved]
        try:
            p = Path(resolved)
            if p.stat().st_size > MAX_SOURCE_BYTES:
                return None
            return p.read_bytes()
        except OSError:
            return None

    def similar_names(self, name: str) -> list[str]:
        """Names of the project index close to ``name``."""
        out: list[str] = []
        for indexer in self._indexers:
            out.extend(hit.definition.name for hit in indexer.index.search(name, 20))
        return out

    def files_defining(self, name: str) -> list[str]:
        """Files with a top-level definition of exactly ``name``."""
        out: list[str] = []
        for indexer in self._indexers:
            out.extend(
                hit.path
                for hit in indexer.index.definitions_named(name)
                if hit.definition.parent < 0
            )
        return out


def _inside_roots(path: Path, roots: list[Path]) -> bool:
    for root in roots:
        try:
            path.relative_to(root.resolve())
            return True
        except ValueError:
            continue
    return False


def read_log_argument(server: QwenLanguageServer, args: tuple[Any, ...]) -> str:
    """The log text named by the command's arguments; raises ValueError for bad input."""
    arg: Any = args[0] if args else None
    if isinstance(arg, list):  # some clients wrap the arguments once more
        arg = arg[0] if arg else None
    if isinstance(arg, str):
        return arg
    if not isinstance(arg, dict):
        raise ValueError('expected the log text, {"text": ...}, {"path": ...} or {"uri": ...}')
    if isinstance(arg.get("text"), str):
        return arg["text"]
    raw = arg.get("path")
    if raw is None and isinstance(arg.get("uri"), str):
        raw = uri_to_path(arg["uri"])
    if not isinstance(raw, str) or not raw:
        raise ValueError('expected "text", "path" or "uri"')
    if not server.roots:
        raise ValueError("no workspace folder is open: pass the log as text")
    path = Path(raw)
    if not path.is_absolute():
        path = server.roots[0] / path
    path = path.resolve()
    if not _inside_roots(path, server.roots):
        raise ValueError(f"refusing to read {path}: it is outside the workspace folders")
    try:
        size = path.stat().st_size
        if size > MAX_LOG_BYTES:
            raise ValueError(f"{path} is too large ({size} bytes)")
        return path.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from exc


def publish_closed(server: QwenLanguageServer, uri: str) -> None:
    """Push the log findings of a file that is not open (or none, to clear them). Findings
    whose file changed on disk are dropped here: call it when a watched file changes."""
    state = state_of(server)
    entry = state.log_findings.get(uri)
    path = uri_to_path(uri)
    diagnostics: list[types.Diagnostic] = []
    if entry is not None and path is not None:
        try:
            data = Path(path).read_bytes()
        except OSError:
            data = None
        if data is not None and text_hash(data) == entry.text_hash:
            buffer = TextBuffer(data)
            diagnostics = [diagnostic(f, buffer, server.encoding) for f in entry.findings]
        else:
            state.log_findings.pop(uri, None)
    if diagnostics:
        state.pushed.add(uri)
    else:
        state.pushed.discard(uri)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
    )


def _republish(server: QwenLanguageServer, uris: set[str]) -> None:
    refresh(server, [u for u in uris if u in server.documents])
    for uri in uris:
        if uri not in server.documents:
            publish_closed(server, uri)


def apply_report(server: QwenLanguageServer, report: LogReport, workspace: ServerWorkspace) -> None:
    """Replace the session's log findings with ``report``'s and publish."""
    state = state_of(server)
    before = set(state.log_findings)
    state.log_findings.clear()
    for path, findings in report.findings.items():
        data = workspace.read(path)
        if data is None:
            continue
        state.log_findings[path_uri(path)] = LogFindings(text_hash(data), findings)
    _republish(server, before | set(state.log_findings))


def register(server: QwenLanguageServer) -> None:
    """Register the log commands."""

    @server.command(EXPLAIN)
    async def explain_log(ls: QwenLanguageServer, *args: Any) -> dict[str, Any]:
        try:
            text = read_log_argument(ls, args)
        except ValueError as exc:
            ls.show_message_once(
                f"explain-log:{exc}", f"qwen-lsp: {exc}", types.MessageType.Warning
            )
            raise JsonRpcInvalidParams(str(exc)) from exc
        workspace = ServerWorkspace(ls)
        report = await asyncio.get_running_loop().run_in_executor(
            ls.core.executor, analyze_log, text, workspace
        )
        apply_report(ls, report, workspace)
        return {
            "explanations": report.to_json(),
            "files": sorted(path_uri(p) for p in report.findings),
        }

    @server.command(CLEAR)
    def clear_log(ls: QwenLanguageServer, *args: Any) -> dict[str, int]:
        state = state_of(ls)
        uris = set(state.log_findings)
        state.log_findings.clear()
        _republish(ls, uris)
        return {"cleared": len(uris)}
