"""Conversions between core types (byte offsets, spans, findings) and LSP types."""

from __future__ import annotations

from lsprotocol import types
from pygls.uris import from_fs_path

from ..analysis.findings import Finding
from ..index.summary import Span
from ..syntax.text import PositionEncoding, TextBuffer


def position(buffer: TextBuffer, offset: int, encoding: PositionEncoding) -> types.Position:
    """LSP position of a byte offset."""
    line, character = buffer.position_of_offset(offset, encoding)
    return types.Position(line=line, character=character)


def byte_range(buffer: TextBuffer, start: int, end: int, encoding: PositionEncoding) -> types.Range:
    """LSP range of a byte range."""
    return types.Range(start=position(buffer, start, encoding), end=position(buffer, end, encoding))


def span_range(span: Span, encoding: PositionEncoding) -> types.Range:
    """LSP range of an index span."""
    sl, sc, el, ec = span.columns(encoding)
    return types.Range(
        start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec)
    )


def path_uri(path: str) -> str:
    """``file:`` URI of a filesystem path."""
    return from_fs_path(path) or f"file://{path}"


def new_file_edit(uri: str, text: str) -> types.WorkspaceEdit:
    """An edit that creates ``uri`` holding ``text``; it fails rather than overwrite a file."""
    start = types.Position(line=0, character=0)
    return types.WorkspaceEdit(
        document_changes=[
            types.CreateFile(
                uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False)
            ),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=types.Range(start=start, end=start), new_text=text)],
            ),
        ]
    )


def diagnostic(
    finding: Finding, buffer: TextBuffer, encoding: PositionEncoding
) -> types.Diagnostic:
    """LSP diagnostic of a finding."""
    tags = []
    if "unnecessary" in finding.tags:
        tags.append(types.DiagnosticTag.Unnecessary)
    if "deprecated" in finding.tags:
        tags.append(types.DiagnosticTag.Deprecated)
    return types.Diagnostic(
        range=byte_range(buffer, finding.start, finding.end, encoding),
        message=finding.message,
        severity=types.DiagnosticSeverity(int(finding.severity)),
        code=finding.rule,
        source=finding.source,
        tags=tags or None,
    )


SYMBOL_KINDS: dict[str, types.SymbolKind] = {
    "function": types.SymbolKind.Function,
    "method": types.SymbolKind.Method,
    "class": types.SymbolKind.Class,
    "interface": types.SymbolKind.Interface,
    "struct": types.SymbolKind.Struct,
    "enum": types.SymbolKind.Enum,
    "trait": types.SymbolKind.Interface,
    "impl": types.SymbolKind.Class,
    "module": types.SymbolKind.Module,
    "namespace": types.SymbolKind.Namespace,
    "constant": types.SymbolKind.Constant,
    "variable": types.SymbolKind.Variable,
    "field": types.SymbolKind.Field,
    "property": types.SymbolKind.Property,
    "type": types.SymbolKind.TypeParameter,
    "macro": types.SymbolKind.Function,
    "constructor": types.SymbolKind.Constructor,
    "object": types.SymbolKind.Object,
}


def symbol_kind(kind: str) -> types.SymbolKind:
    """LSP symbol kind of an index definition kind."""
    return SYMBOL_KINDS.get(kind, types.SymbolKind.Variable)
