"""Document synchronisation: open, change (full and incremental), save, close, watched files."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from ..server import uri_to_path
from ..syntax.document import Document, TextEdit
from . import explain_log
from .diagnostics import clear_diagnostics, schedule_diagnostics

if TYPE_CHECKING:
    from ..server import QwenLanguageServer

log = logging.getLogger(__name__)

# How long after the last keystroke an open document's summary is refreshed in the index.
INDEX_REFRESH_DELAY = 0.5


def _edits(changes: Sequence[types.TextDocumentContentChangeEvent]) -> list[TextEdit]:
    out = []
    for change in changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            r = change.range
            out.append(
                TextEdit(
                    change.text, (r.start.line, r.start.character), (r.end.line, r.end.character)
                )
            )
        else:
            out.append(TextEdit(change.text))
    return out


def _exists(path: str) -> bool:
    """Whether ``path`` is a file now. A "deleted" event can be stale (an editor's atomic save
    deletes and recreates, and watchers may report only the first half): a file that is still
    there is read again rather than dropped from the index."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def schedule_index_refresh(server: QwenLanguageServer, doc: Document) -> None:
    """Refresh the document's summary in the project index shortly after typing stops."""
    path = uri_to_path(doc.uri)
    if path is None or doc.language is None:
        return
    indexer = server.core.index_containing(path)
    if indexer is None:
        return

    async def refresh() -> None:
        current = server.documents.get(doc.uri)
        if current is None or current.tree is None:
            return
        snapshot = current.snapshot()
        if snapshot.language is None:  # a parsed document always has a language
            return
        await asyncio.get_running_loop().run_in_executor(
            server.core.executor,
            indexer.update_from_tree,
            path,
            snapshot.language.id,
            snapshot.tree,
            snapshot.buffer,
        )

    server.schedule(f"index-doc:{doc.uri}", INDEX_REFRESH_DELAY, refresh)


def register(server: QwenLanguageServer) -> None:
    """Register document synchronisation handlers."""

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: QwenLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        path = uri_to_path(item.uri)
        language = ls.core.registry.resolve(item.language_id, path)
        doc = Document(
            item.uri, item.text, item.version, language, ls.encoding, ls.settings.maxParseBytes
        )
        ls.documents[item.uri] = doc
        if doc.parse_skipped_reason:
            ls.show_message_once(
                f"parse-skip:{item.uri}",
                f"qwen-lsp: {path or item.uri}: {doc.parse_skipped_reason}.",
            )
        schedule_diagnostics(ls, doc, immediate=True)
        schedule_index_refresh(ls, doc)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: QwenLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = ls.documents.get(uri)
        if doc is None:
            log.warning("didChange for a document that is not open: %s (ignored)", uri)
            return
        version = params.text_document.version
        if version is not None and version <= doc.version and doc.version > 0:
            log.warning(
                "didChange for %s with version %s after %s (applied anyway)",
                uri,
                version,
                doc.version,
            )
        had_tree = doc.tree is not None
        doc.apply(_edits(params.content_changes), version)
        if had_tree and doc.tree is None and doc.parse_skipped_reason:
            ls.show_message_once(
                f"parse-skip:{uri}", f"qwen-lsp: {uri}: {doc.parse_skipped_reason}."
            )
        schedule_diagnostics(ls, doc)
        schedule_index_refresh(ls, doc)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: QwenLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is not None:
            schedule_index_refresh(ls, doc)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: QwenLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = ls.documents.pop(uri, None)
        if doc is None:
            log.warning("didClose for a document that is not open: %s (ignored)", uri)
            return
        clear_diagnostics(ls, uri)
        if ls.core._completions is not None:
            ls.core._completions.forget(uri)
        # Unsaved edits are gone with the buffer: the index goes back to the file on disk.
        path = uri_to_path(uri)
        indexer = ls.core.index_containing(path) if path else None
        if indexer is not None and path is not None:
            ls.core.submit(indexer.refresh_file, path)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(
        ls: QwenLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path is None or event.uri in ls.documents:
                continue  # open documents are tracked through didChange
            # Log findings on a file that changed on disk no longer point at the right lines.
            explain_log.publish_closed(ls, event.uri)
            indexer = ls.core.index_containing(path)
            if indexer is None:
                continue
            if event.type == types.FileChangeType.Deleted and not _exists(path):
                indexer.remove_file(path)
            else:
                ls.core.submit(indexer.refresh_file, path)
