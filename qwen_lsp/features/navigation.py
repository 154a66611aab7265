"""textDocument/definition and textDocument/hover from the project index (best effort:
through imports first, then by name)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from ..index.cache import content_hash
from ..index.project import ProjectIndex, SymbolHit
from ..index.summary import summarize
from ..server import uri_to_path
from .convert import path_uri, span_range

if TYPE_CHECKING:
    from ..server import QwenLanguageServer
    from ..syntax.document import Document

_IDENT = re.compile(rb"[A-Za-z_$\x80-\xff][\w$\x80-\xff]*")
_QUALIFIER = re.compile(rb"([A-Za-z_$][\w$]*)\s*(?:\.|::|->|\\)\s*$")


def word_at(doc: Document, line: int, character: int) -> tuple[str, str | None] | None:
    """The identifier under the cursor and the qualifier before it (``a`` in ``a.b``)."""
    if line < 0 or line >= doc.buffer.line_count:
        return None
    offset = doc.offset(line, character)
    start, end = doc.buffer.line_span(line)
    text = doc.buffer.data[start:end]
    col = offset - start
    for m in _IDENT.finditer(text):
        if m.start() <= col <= m.end():
            qual = _QUALIFIER.search(text[: m.start()])
            return (
                m.group().decode("utf-8", "replace"),
                qual.group(1).decode("utf-8", "replace") if qual else None,
            )
    return None


def _hits(
    ls: QwenLanguageServer, doc: Document, name: str, qualifier: str | None
) -> list[SymbolHit]:
    path = uri_to_path(doc.uri) or doc.uri
    indexer = ls.core.index_containing(path)
    if indexer is not None:
        if path not in indexer.index and doc.tree is not None and doc.language is not None:
            indexer.update_from_tree(path, doc.language.id, doc.tree, doc.buffer)
        return indexer.index.find_definitions(path, name, qualifier)
    # A file outside every workspace: its own definitions only.
    if doc.tree is None or doc.language is None:
        return []
    local = ProjectIndex()
    local.update(
        summarize(path, doc.language, doc.tree, doc.buffer, content_hash(doc.buffer.data), False)
    )
    return local.find_definitions(path, name, qualifier)


def register(server: QwenLanguageServer) -> None:
    """Register navigation features."""

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(
        ls: QwenLanguageServer, params: types.DefinitionParams
    ) -> list[types.Location] | None:
        doc = ls.read_document(params.text_document.uri)
        word = word_at(doc, params.position.line, params.position.character)
        if word is None:
            return None
        hits = _hits(ls, doc, *word)
        return [
            types.Location(
                uri=path_uri(h.path) if Path(h.path).is_absolute() else h.path,
                range=span_range(h.definition.name_span, ls.encoding),
            )
            for h in hits[:20]
        ] or None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: QwenLanguageServer, params: types.HoverParams) -> types.Hover | None:
        doc = ls.read_document(params.text_document.uri)
        word = word_at(doc, params.position.line, params.position.character)
        if word is None:
            return None
        hits = _hits(ls, doc, *word)
        if not hits:
            return None
        hit = hits[0]
        d = hit.definition
        lang = doc.language.id if doc.language else ""
        parts = [f"```{lang}\n{d.signature or d.name}\n```"]
        if d.doc:
            parts.append(d.doc)
        where = Path(hit.path).name
        parts.append(f"*{d.kind}* in `{where}`, line {d.name_span.start_line + 1}")
        if len(hits) > 1:
            parts[-1] += f" (and {len(hits) - 1} more)"
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(parts))
        )
