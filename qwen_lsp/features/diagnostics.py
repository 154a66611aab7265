"""Diagnostics, pushed (``textDocument/publishDiagnostics``) and pulled
(``textDocument/diagnostic``): debounced, computed off the event loop, never for a stale
version.

Push is the default. A client that pulls a document (VS Code does, when the server offers
pull) puts that document in *pull mode*: pushes for it stop (and what was pushed is cleared),
so the editor never shows the same finding twice.

Findings of an explained log (source ``qwen-log``) are merged in while the file still has the
text they were computed for.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from ..analysis.cache import SHARED
from ..analysis.engine import AnalysisOptions, analyze
from ..analysis.findings import Finding
from ..analysis.rules import default_rules
from ..syntax.text import PositionEncoding, TextBuffer
from .convert import diagnostic as plain_diagnostic

if TYPE_CHECKING:
    from ..server import QwenLanguageServer
    from ..syntax.document import Document

log = logging.getLogger(__name__)

# LSP's ServerCancelled: the client should ask again (a newer version arrived meanwhile).
SERVER_CANCELLED = -32802


@dataclass
class LogFindings:
    """Findings an explained log placed in one file, valid while its text is unchanged."""

    text_hash: str
    findings: list[Finding]


@dataclass
class DiagnosticsState:
    """Per-session diagnostics state."""

    pull_uris: set[str] = field(default_factory=set)
    pushed: set[str] = field(default_factory=set)  # uris with non-empty pushed diagnostics
    log_findings: dict[str, LogFindings] = field(default_factory=dict)
    result_ids: dict[str, str] = field(default_factory=dict)


def state_of(server: QwenLanguageServer) -> DiagnosticsState:
    """The session's diagnostics state (created on first use)."""
    state = getattr(server, "diagnostics_state", None)
    if state is None:
        state = DiagnosticsState()
        server.diagnostics_state = state  # type: ignore[attr-defined]
    return state


def text_hash(data: bytes) -> str:
    """Identity of a file's text, for log findings."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def options_of(server: QwenLanguageServer) -> AnalysisOptions:
    """Analysis options from the session's settings."""
    d = server.settings.diagnostics
    return AnalysisOptions(
        syntax=d.syntax, disabled=frozenset(d.disabled), performance_hints=d.performanceHints
    )


def log_findings_for(server: QwenLanguageServer, uri: str, data: bytes) -> list[Finding]:
    """The log findings of ``uri`` if its text is still the one they were made for; stale
    ones are dropped (the file changed, the explanation no longer lines up)."""
    state = state_of(server)
    entry = state.log_findings.get(uri)
    if entry is None:
        return []
    if entry.text_hash != text_hash(data):
        del state.log_findings[uri]
        return []
    return entry.findings


async def compute(server: QwenLanguageServer, doc: Document) -> tuple[int, list[Finding]] | None:
    """Findings of the document's current version, computed on a worker thread; None when
    the document changed or closed meanwhile."""
    snapshot = doc.snapshot()
    revision = doc.revision
    findings = await asyncio.get_running_loop().run_in_executor(
        server.core.executor, analyze, snapshot, options_of(server), SHARED
    )
    latest = server.documents.get(doc.uri)
    if latest is None or latest.version != snapshot.version or latest.revision != revision:
        return None
    merged = findings + log_findings_for(server, doc.uri, snapshot.data)
    merged.sort(key=lambda f: (f.start, f.end, f.rule))
    server.findings[doc.uri] = (snapshot.version, merged)
    return snapshot.version, merged


def schedule_diagnostics(
    server: QwenLanguageServer, doc: Document, immediate: bool = False
) -> None:
    """Check ``doc`` after the debounce delay and publish, unless it changed meanwhile."""
    if not server.settings.diagnostics.enable:
        return
    uri = doc.uri
    if uri in state_of(server).pull_uris:
        return  # the client pulls this document when it wants diagnostics
    delay = 0.0 if immediate else server.settings.diagnostics.debounceMs / 1000

    async def run() -> None:
        current = server.documents.get(uri)
        if current is None:
            return
        result = await compute(server, current)
        latest = server.documents.get(uri)
        if result is None or latest is None or uri in state_of(server).pull_uris:
            return  # a newer version is on its way; never publish stale results
        publish(server, latest, result[1])

    server.schedule(f"diagnostics:{uri}", delay, run)


def publish(server: QwenLanguageServer, doc: Document, findings: list[Finding]) -> None:
    """Publish findings for ``doc`` (already remembered for code actions)."""
    state = state_of(server)
    if findings:
        state.pushed.add(doc.uri)
    else:
        state.pushed.discard(doc.uri)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(
            uri=doc.uri,
            version=doc.version,
            diagnostics=[diagnostic(f, doc.buffer, doc.encoding) for f in findings],
        )
    )


def clear_diagnostics(server: QwenLanguageServer, uri: str) -> None:
    """Remove a closed document's diagnostics (log findings of a closed file stay)."""
    server.findings.pop(uri, None)
    state = state_of(server)
    state.pull_uris.discard(uri)
    state.result_ids.pop(uri, None)
    state.pushed.discard(uri)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
    )


def refresh(server: QwenLanguageServer, uris: list[str]) -> None:
    """Findings of ``uris`` changed outside an edit (a log explained or cleared): publish
    again, and ask a pulling client to pull again."""
    state = state_of(server)
    pulled = False
    for uri in uris:
        if uri in state.pull_uris:
            state.result_ids.pop(uri, None)
            pulled = True
            continue
        doc = server.documents.get(uri)
        if doc is not None:
            schedule_diagnostics(server, doc, immediate=True)
    if pulled and _client_can_refresh(server):
        server.workspace_diagnostic_refresh(None)


def _client_can_refresh(server: QwenLanguageServer) -> bool:
    workspace = getattr(server.client_capabilities, "workspace", None)
    diagnostics = getattr(workspace, "diagnostics", None)
    return bool(getattr(diagnostics, "refresh_support", False))


def diagnostic(
    finding: Finding, buffer: TextBuffer, encoding: PositionEncoding
) -> types.Diagnostic:
    """The LSP diagnostic of a finding, linked to its rule's documentation."""
    d = plain_diagnostic(finding, buffer, encoding)
    rule = default_rules().get(finding.rule) if finding.source != "qwen-log" else None
    if rule is not None:
        d.code_description = types.CodeDescription(href=rule.help_uri)
    return d


def _result_id(version: int, findings: list[Finding]) -> str:
    digest = hashlib.blake2b(digest_size=8)
    for f in findings:
        digest.update(f"{f.rule}:{f.start}:{f.end}:{f.message}\n".encode())
    return f"{version}:{digest.hexdigest()}"


def register(server: QwenLanguageServer) -> None:
    """Register ``textDocument/diagnostic`` (push needs no registration)."""

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="qwen-lsp", inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    async def pull(
        ls: QwenLanguageServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        doc = ls.document(uri)
        state = state_of(ls)
        if uri not in state.pull_uris:
            state.pull_uris.add(uri)
            ls.schedule(f"diagnostics:{uri}", 0, _noop)  # cancel a pending push
            if uri in state.pushed:
                # Switching to pull: take back what was pushed, so nothing shows twice.
                state.pushed.discard(uri)
                ls.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
                )
        if not ls.settings.diagnostics.enable:
            return types.RelatedFullDocumentDiagnosticReport(items=[], result_id="off")
        stored = ls.findings.get(uri)
        if stored is None or stored[0] != doc.version or uri not in state.result_ids:
            result = await compute(ls, doc)
            if result is None:
                raise JsonRpcException(
                    "the document changed while it was being checked",
                    code=SERVER_CANCELLED,
                    data={"retriggerRequest": True},
                )
            state.result_ids[uri] = _result_id(*result)
        version, findings = ls.findings[uri]
        result_id = state.result_ids[uri]
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        current = ls.documents.get(uri)
        if current is None or current.version != version:
            raise JsonRpcException(
                "the document changed while it was being checked",
                code=SERVER_CANCELLED,
                data={"retriggerRequest": True},
            )
        return types.RelatedFullDocumentDiagnosticReport(
            items=[diagnostic(f, current.buffer, current.encoding) for f in findings],
            result_id=result_id,
        )


async def _noop() -> None:
    """Replaces a pending push task (scheduling under the same key cancels it)."""
