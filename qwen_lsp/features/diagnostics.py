"""Push diagnostics: debounced, computed off the event loop, never for a stale version."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from ..analysis.engine import AnalysisOptions, analyze
from ..analysis.findings import Finding
from .convert import diagnostic

if TYPE_CHECKING:
    from ..server import QwenLanguageServer
    from ..syntax.document import Document

log = logging.getLogger(__name__)


def options_of(server: QwenLanguageServer) -> AnalysisOptions:
    """Analysis options from the session's settings."""
    d = server.settings.diagnostics
    return AnalysisOptions(
        syntax=d.syntax, disabled=frozenset(d.disabled), performance_hints=d.performanceHints
    )


def schedule_diagnostics(
    server: QwenLanguageServer, doc: Document, immediate: bool = False
) -> None:
    """Check ``doc`` after the debounce delay and publish, unless it changed meanwhile."""
    if not server.settings.diagnostics.enable:
        return
    uri = doc.uri
    delay = 0.0 if immediate else server.settings.diagnostics.debounceMs / 1000

    async def run() -> None:
        current = server.documents.get(uri)
        if current is None:
            return
        snapshot = current.snapshot()
        findings = await asyncio.get_running_loop().run_in_executor(
            server.core.executor, analyze, snapshot, options_of(server)
        )
        latest = server.documents.get(uri)
        if latest is None or latest.version != snapshot.version:
            return  # a newer version is on its way; never publish stale results
        publish(server, latest, findings)

    server.schedule(f"diagnostics:{uri}", delay, run)


def publish(server: QwenLanguageServer, doc: Document, findings: list[Finding]) -> None:
    """Publish findings for ``doc`` and remember them for code actions."""
    server.findings[doc.uri] = (doc.version, findings)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(
            uri=doc.uri,
            version=doc.version,
            diagnostics=[diagnostic(f, doc.buffer, doc.encoding) for f in findings],
        )
    )


def clear_diagnostics(server: QwenLanguageServer, uri: str) -> None:
    """Remove a closed document's diagnostics."""
    server.findings.pop(uri, None)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
    )


def register(server: QwenLanguageServer) -> None:
    """Diagnostics are pushed from document events; nothing to register yet."""
