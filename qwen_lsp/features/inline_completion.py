"""textDocument/inlineCompletion (ghost text) and the textDocument/completion fallback."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified

from ..server import uri_to_path
from .convert import position

if TYPE_CHECKING:
    from ..completion.service import Suggestion
    from ..server import QwenLanguageServer
    from ..syntax.document import Document

log = logging.getLogger(__name__)

_WORD_TAIL = re.compile(r"[A-Za-z0-9_$]+$")
ACCEPT_COMMAND = "qwen.acceptSuggestion"


def _model_events(ls: QwenLanguageServer):
    """A listener that reports module loads as $/progress and failures once as a message."""
    loop = asyncio.get_running_loop()
    token = f"qwen-lsp/model/{uuid.uuid4().hex[:8]}"
    progress_ok = bool(
        getattr(getattr(ls.client_capabilities, "window", None), "work_done_progress", False)
    )

    def on_loop(event: str, name: str, detail: str) -> None:
        if event == "loading" and progress_ok:
            ls.work_done_progress.create(token)
            ls.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title=f"Loading model {name}", message=detail)
            )
        elif event == "loaded" and progress_ok:
            ls.work_done_progress.end(
                token, types.WorkDoneProgressEnd(message=f"{name} loaded in {detail}")
            )
        elif event == "failed" and progress_ok:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"{name} failed"))

    def listener(event: str, name: str, detail: str) -> None:
        loop.call_soon_threadsafe(on_loop, event, name, detail)

    return listener


async def suggest(
    ls: QwenLanguageServer, uri: str, pos: types.Position
) -> tuple[Document, int, Suggestion] | None:
    """The suggestion at a position, or None; raises ContentModified for a stale version."""
    # The completion layer (ONNX Runtime, numpy, tokenizers) is imported with the first request:
    # a server that never completes stays small.
    from ..completion.service import CompletionQuery, ModelUnavailable
    from ..engine.scheduler import Cancelled

    doc = ls.document(uri)
    if doc.language is None or doc.tree is None:
        return None
    if pos.line >= doc.buffer.line_count:
        return None
    version = doc.version
    debounce = ls.settings.completion.debounceMs
    if debounce:
        await asyncio.sleep(debounce / 1000)
        if uri not in ls.documents or ls.documents[uri].version != version:
            raise JsonRpcContentModified("the document changed while waiting")
    offset = doc.offset(pos.line, pos.character)
    path = uri_to_path(uri) or ""
    indexer = ls.core.index_containing(path) if path else None
    root = next((str(r) for r in ls.roots if path.startswith(str(r))), "")
    others = [
        (uri_to_path(u) or u, d.text)
        for u, d in ls.documents.items()
        if u != uri and d.language is doc.language and len(d.buffer.data) < 512 * 1024
    ][:12]
    query = CompletionQuery(
        uri,
        doc.snapshot(),
        offset,
        ls.settings,
        path,
        indexer.index if indexer else None,
        root,
        others,
        _model_events(ls),
    )
    service = ls.core.completions(ls.settings.models)
    try:
        suggestion = await service.complete(query)
        _show_backend(ls, service)
    except ModelUnavailable as exc:
        ls.show_message_once(
            f"model:{exc.module}",
            f"qwen-lsp: completions are off for {doc.language.id}: {exc}",
            types.MessageType.Error,
        )
        return None
    except Cancelled:
        raise JsonRpcContentModified("superseded by a newer request for this document") from None
    current = ls.documents.get(uri)
    if current is None or current.version != version:
        raise JsonRpcContentModified("the document changed during generation")
    if suggestion is None:
        return None
    ls.last_suggestion = suggestion
    return doc, offset, suggestion


def _show_backend(ls: QwenLanguageServer, service: Any) -> None:
    """Hybrid mode: tell the user which backend serves, once per change."""
    status = service.hybrid.status(ls.settings)
    if status is None:
        return
    key, message, warning = status
    if getattr(ls, "qwen_backend_shown", None) == key:
        return
    ls.qwen_backend_shown = key  # type: ignore[attr-defined]
    log.info("%s", message)
    kind = types.MessageType.Warning if warning else types.MessageType.Info
    ls.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _word_start(doc: Document, offset: int) -> int:
    line, _ = doc.buffer.position_of_offset(offset, doc.encoding)
    start, _end = doc.buffer.line_span(line)
    before = doc.buffer.data[start:offset].decode("utf-8", "replace")
    m = _WORD_TAIL.search(before)
    return offset - len(m.group().encode()) if m else offset


def register(server: QwenLanguageServer) -> None:
    """Register completion features."""

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: QwenLanguageServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        found = await suggest(ls, params.text_document.uri, params.position)
        if found is None:
            return types.InlineCompletionList(items=[])
        doc, offset, suggestion = found
        # Replace from the start of the word being typed: clients filter ghost text by the
        # range's text, so the item keeps matching while the user types on.
        start = _word_start(doc, offset)
        typed = doc.buffer.data[start:offset].decode("utf-8", "replace")
        item = types.InlineCompletionItem(
            insert_text=typed + suggestion.text,
            range=types.Range(
                start=position(doc.buffer, start, doc.encoding),
                end=position(doc.buffer, offset, doc.encoding),
            ),
            command=types.Command(
                title="accepted",
                command=ACCEPT_COMMAND,
                arguments=[suggestion.source, suggestion.id],
            ),
        )
        return types.InlineCompletionList(items=[item])

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[".", "(", " "], resolve_provider=False),
    )
    async def completion(
        ls: QwenLanguageServer, params: types.CompletionParams
    ) -> types.CompletionList:
        doc = ls.document(params.text_document.uri)
        offset = doc.offset(params.position.line, params.position.character)
        start = _word_start(doc, offset)
        typed = doc.buffer.data[start:offset].decode("utf-8", "replace")
        edit_range = types.Range(
            start=position(doc.buffer, start, doc.encoding),
            end=position(doc.buffer, offset, doc.encoding),
        )
        items: list[types.CompletionItem] = []
        found = await suggest(ls, params.text_document.uri, params.position)
        if found is not None:
            suggestion = found[2]
            label = (typed + suggestion.text.split("\n", 1)[0]).strip() or suggestion.text.strip()
            items.append(
                types.CompletionItem(
                    label=label,  # clients shorten long labels on screen themselves
                    kind=types.CompletionItemKind.Snippet,
                    detail=f"qwen-lsp ({suggestion.model or suggestion.source})",
                    documentation=types.MarkupContent(
                        kind=types.MarkupKind.Markdown, value=f"```\n{typed + suggestion.text}\n```"
                    ),
                    sort_text="0",
                    filter_text=typed + suggestion.text,
                    text_edit=types.TextEdit(range=edit_range, new_text=typed + suggestion.text),
                    insert_text_format=types.InsertTextFormat.PlainText,
                    command=types.Command(
                        title="accepted",
                        command=ACCEPT_COMMAND,
                        arguments=[suggestion.source, suggestion.id],
                    ),
                )
            )
        items.extend(_index_items(ls, doc, typed))
        from .frameworks import completion_items as framework_items

        items.extend(framework_items(ls, doc, typed, edit_range))
        return types.CompletionList(is_incomplete=True, items=items)


def _index_items(ls: QwenLanguageServer, doc: Document, typed: str) -> list[types.CompletionItem]:
    """Identifiers from the project index that start with the word being typed."""
    if len(typed) < 2:
        return []
    path = uri_to_path(doc.uri) or ""
    indexer = ls.core.index_containing(path) if path else None
    if indexer is None:
        return []
    seen: set[str] = set()
    out: list[types.CompletionItem] = []
    from .convert import symbol_kind

    kinds: dict[Any, types.CompletionItemKind] = {
        types.SymbolKind.Function: types.CompletionItemKind.Function,
        types.SymbolKind.Method: types.CompletionItemKind.Method,
        types.SymbolKind.Class: types.CompletionItemKind.Class,
    }
    for hit in indexer.index.search(typed, limit=40):
        name = hit.definition.name
        if name in seen or not name.lower().startswith(typed.lower()):
            continue
        seen.add(name)
        out.append(
            types.CompletionItem(
                label=name,
                kind=kinds.get(symbol_kind(hit.definition.kind), types.CompletionItemKind.Variable),
                detail=hit.definition.signature or None,
                sort_text=f"1{name}",
            )
        )
    return out[:30]
