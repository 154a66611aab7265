"""``qwen.fixWithModel``: regenerate a finding's lines with the model and apply the result."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams

from ..analysis.findings import Finding
from ..server import QwenLanguageServer
from .convert import byte_range
from .diagnostics import options_of

log = logging.getLogger(__name__)

FIX_WITH_MODEL = "qwen.fixWithModel"


def module_loaded(server: QwenLanguageServer, language_id: str) -> bool:
    """Whether the module serving ``language_id`` is in memory (never loads it)."""
    service = server.core._completions
    if service is None or not server.settings.completion.enable:
        return False
    path = service.module_path(language_id, server.settings)
    if path is None:
        return False
    key = str(path.expanduser().resolve())
    return any(m.key == key for m in service.registry.loaded())


def register(server: QwenLanguageServer) -> None:
    """Register the command."""

    @server.command(FIX_WITH_MODEL)
    async def fix_with_model(ls: QwenLanguageServer, *args: Any) -> dict[str, Any]:
        try:
            uri, version, start, end, rule = args[:5]
            version, start, end = int(version), int(start), int(end)
        except (ValueError, TypeError) as exc:
            raise JsonRpcInvalidParams(
                f"{FIX_WITH_MODEL} expects [uri, version, start, end, rule]: {exc}"
            ) from None
        doc = ls.document(str(uri))
        if doc.version != version:
            raise JsonRpcContentModified("the document changed since the action was offered")
        snapshot = doc.snapshot()
        finding = Finding(str(rule), "", start, end)
        from ..completion.model_fix import propose

        service = ls.core.completions(ls.settings.models)
        fix = await asyncio.get_running_loop().run_in_executor(
            service.executor, propose, service, snapshot, finding, ls.settings, options_of(ls)
        )
        if fix is None:
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Info,
                    message=f"qwen-lsp: the model found no fix for {rule} here.",
                )
            )
            return {"applied": False}
        current = ls.documents.get(doc.uri)
        if current is None or current.version != version:
            raise JsonRpcContentModified("the document changed while the model was writing")
        edit = types.TextEdit(
            range=byte_range(doc.buffer, fix.edit.start, fix.edit.end, doc.encoding),
            new_text=fix.edit.text,
        )
        result = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(
                edit=types.WorkspaceEdit(changes={doc.uri: [edit]}), label=f"Fix {rule} with model"
            )
        )
        return {
            "applied": bool(result and result.applied),
            "text": fix.edit.text,
            "replaced": fix.original,
        }
