"""textDocument/documentSymbol (hierarchical) and workspace/symbol (fuzzy, ranked)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ..index.cache import content_hash
from ..index.summary import Definition, summarize
from .convert import path_uri, span_range, symbol_kind

if TYPE_CHECKING:
    from ..server import QwenLanguageServer
    from ..syntax.document import Document
    from ..syntax.text import PositionEncoding


def document_definitions(doc: Document) -> list[Definition]:
    """Definitions of a document from its current tree."""
    if doc.tree is None or doc.language is None:
        return []
    summary = summarize(
        doc.uri, doc.language, doc.tree, doc.buffer, content_hash(doc.buffer.data), False
    )
    return summary.definitions


def hierarchical_symbols(
    definitions: list[Definition], encoding: PositionEncoding
) -> list[types.DocumentSymbol]:
    """Nest definitions by their parent index into DocumentSymbols."""
    nodes = [
        types.DocumentSymbol(
            name=d.name or "<anonymous>",
            kind=symbol_kind(d.kind),
            range=span_range(d.span, encoding),
            selection_range=span_range(d.name_span, encoding),
            detail=d.signature or None,
            children=[],
        )
        for d in definitions
    ]
    roots = []
    for d, node in zip(definitions, nodes, strict=False):
        if d.parent >= 0:
            nodes[d.parent].children.append(node)  # type: ignore[union-attr]
        else:
            roots.append(node)
    for node in nodes:
        if not node.children:
            node.children = None
    return roots


def register(server: QwenLanguageServer) -> None:
    """Register symbol features."""

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(
        ls: QwenLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        doc = ls.read_document(params.text_document.uri)
        return hierarchical_symbols(document_definitions(doc), ls.encoding)

    @server.feature(types.WORKSPACE_SYMBOL)
    def workspace_symbol(
        ls: QwenLanguageServer, params: types.WorkspaceSymbolParams
    ) -> list[types.SymbolInformation]:
        results: list[types.SymbolInformation] = []
        for root in ls.roots:
            indexer = ls.core.index_containing(str(root / "_"))
            if indexer is None:
                continue
            for hit in indexer.index.search(params.query, limit=200):
                d = hit.definition
                container = ""
                summary = indexer.index.get(hit.path)
                if summary is not None and 0 <= d.parent < len(summary.definitions):
                    container = summary.definitions[d.parent].name
                results.append(
                    types.SymbolInformation(
                        name=d.name,
                        kind=symbol_kind(d.kind),
                        location=types.Location(
                            uri=path_uri(hit.path), range=span_range(d.name_span, ls.encoding)
                        ),
                        container_name=container or None,
                    )
                )
        return results[:200]
