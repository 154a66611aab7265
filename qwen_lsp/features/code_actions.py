"""Code actions: the fixes of published findings, as quick fixes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ..analysis.findings import Finding
from .convert import byte_range, diagnostic

if TYPE_CHECKING:
    from ..server import QwenLanguageServer
    from ..syntax.document import Document


def fix_action(doc: Document, finding: Finding) -> types.CodeAction | None:
    """The quick fix of one finding, if it has one."""
    if finding.fix is None:
        return None
    edits = [
        types.TextEdit(range=byte_range(doc.buffer, e.start, e.end, doc.encoding), new_text=e.text)
        for e in finding.fix.edits
    ]
    return types.CodeAction(
        title=finding.fix.title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic(finding, doc.buffer, doc.encoding)],
        edit=types.WorkspaceEdit(changes={doc.uri: edits}),
        is_preferred=finding.fix.preferred,
    )


def register(server: QwenLanguageServer) -> None:
    """Register ``textDocument/codeAction``."""

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=False
        ),
    )
    def code_action(
        ls: QwenLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        doc = ls.document(params.text_document.uri)
        version, findings = ls.findings.get(doc.uri, (-1, []))
        if version != doc.version:
            return []  # findings are for an older text; fresh ones are being computed
        start = doc.offset(params.range.start.line, params.range.start.character)
        end = doc.offset(params.range.end.line, params.range.end.character)
        actions = []
        for finding in findings:
            if finding.end < start or finding.start > end:
                continue
            action = fix_action(doc, finding)
            if action is not None:
                actions.append(action)
        return actions
