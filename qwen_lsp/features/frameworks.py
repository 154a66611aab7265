"""Framework awareness in the editor: snippet completion items of the detected frameworks
(added to ``textDocument/completion`` by :func:`completion_items`) and ``qwen.frameworks``,
which lists what was detected for the workspace and why."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..frameworks.context import _current_summary, imported_frameworks
from ..frameworks.detect import default_detector, project_root
from ..frameworks.snippets import FileContext, snippet_items

# At run time: pygls reads command handlers' annotations.
from ..server import QwenLanguageServer, uri_to_path

if TYPE_CHECKING:
    from ..syntax.document import Document

FRAMEWORKS_COMMAND = "qwen.frameworks"


def _root_of(ls: QwenLanguageServer, path: str) -> str:
    for root in ls.roots:
        if path.startswith(str(root) + os.sep) or path == str(root):
            return str(root)
    return str(project_root(Path(path))) if path else ""


def completion_items(
    ls: QwenLanguageServer, doc: Document, typed: str, edit_range: types.Range
) -> list[types.CompletionItem]:
    """Snippet items of the frameworks detected for ``doc``'s project."""
    path = uri_to_path(doc.uri) or ""
    if doc.language is None or not path:
        return []
    root = _root_of(ls, path)
    indexer = ls.core.index_containing(path)
    index = indexer.index if indexer is not None else None
    summary = _current_summary(path, doc.language.id, doc.text, doc.tree)
    detected = default_detector().ids(root, index)
    if summary is not None:
        detected |= imported_frameworks([i.module for i in summary.imports])
    if not detected:
        return []
    ctx = FileContext(path, doc.text, doc.language.id, summary, index, root)
    items = []
    for item in snippet_items(detected, ctx):
        if typed and not item.prefix.lower().startswith(typed.lower()[:2]):
            continue
        items.append(
            types.CompletionItem(
                label=item.prefix,
                kind=types.CompletionItemKind.Snippet,
                detail=f"{item.label} ({item.framework})",
                documentation=types.MarkupContent(
                    kind=types.MarkupKind.Markdown,
                    value=f"{item.description}\n\n```\n{item.body}\n```",
                ),
                filter_text=item.prefix,
                sort_text=f"2{item.prefix}",
                insert_text_format=types.InsertTextFormat.Snippet,
                text_edit=types.TextEdit(range=edit_range, new_text=item.body),
                data={"framework": item.framework},
            )
        )
    return items


def register(server: QwenLanguageServer) -> None:
    """Register ``qwen.frameworks``."""

    @server.command(FRAMEWORKS_COMMAND)
    def frameworks(ls: QwenLanguageServer, *args: Any) -> dict[str, Any]:
        out = []
        for root in ls.roots:
            indexer = ls.core.index_containing(str(root))
            index = indexer.index if indexer is not None else None
            found = default_detector().detect(root, index)
            out.append({"root": str(root), "frameworks": [d.to_json() for d in found]})
        return {"workspaces": out}
