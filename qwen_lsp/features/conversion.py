""" "Convert selection to <language>": code actions over a selection, and
``qwen.convertSelection`` that converts it (rules over the syntax tree, the target's model for
the statements no rule covers: ``qwen_lsp/convert``) and creates the result as a new file
beside the source through ``workspace/applyEdit`` (the server never writes the workspace; an
existing file is never overwritten).

An action is listed when the rules convert the whole selection into code that parses in the
target grammar, or when a model module serves the target for the rest (listing never runs the
model). The command applies a result only when it parses; otherwise it answers the reason.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams

from ..convert import NAMES, TARGETS, convert
from ..server import QwenLanguageServer, uri_to_path
from .convert import new_file_edit, path_uri

if TYPE_CHECKING:
    from ..syntax.document import Document

CONVERT_COMMAND = "qwen.convertSelection"
CONVERT_KIND = "refactor.rewrite.qwen-lsp.convert"
# Larger selections are not offered as an action (qwen-lsp convert still takes them).
MAX_SELECTION_BYTES = 64 * 1024
_EXT = {"python": ".py", "javascript": ".js", "typescript": ".ts", "java": ".java"}


def _wanted(only: list[str] | None) -> bool:
    return not only or any(k == CONVERT_KIND or CONVERT_KIND.startswith(k + ".") for k in only)


def _model_serves(server: QwenLanguageServer, target: str) -> bool:
    """Whether a model module is configured for ``target`` (never loads it)."""
    if not server.settings.completion.enable:
        return False
    try:
        service = server.core.completions(server.settings.models)
        return service.module_path(target, server.settings) is not None
    except Exception:
        return False


def actions(
    server: QwenLanguageServer, doc: Document, start: int, end: int, only: list[str] | None
) -> list[types.CodeAction]:
    """One action per target language the rules (or a model) write, for a non-empty
    selection."""
    if not _wanted(only) or doc.language is None or doc.tree is None or end <= start:
        return []
    if end - start > MAX_SELECTION_BYTES:
        return []  # listing runs the rules on every request: keep it cheap
    source = doc.language.id
    out = []
    for target in TARGETS.get(source, ()):
        result = convert(doc.text, source, target, start, end, tree=doc.tree)
        if result.error == "the selection has syntax errors":
            return []
        with_model = not result.ok and bool(result.uncovered) and _model_serves(server, target)
        if not result.ok and not with_model:
            continue
        title = f"Convert selection to {NAMES[target]}" + (
            " (with the model)" if with_model else ""
        )
        out.append(
            types.CodeAction(
                title=title,
                kind=CONVERT_KIND,
                command=types.Command(
                    title=title,
                    command=CONVERT_COMMAND,
                    arguments=[doc.uri, doc.version, start, end, target],
                ),
            )
        )
    return out


def new_file(source: Path, target: str) -> Path:
    """Where the converted code goes: ``<stem>.<ext>`` beside the source, or
    ``<stem>.converted[N].<ext>`` when that exists."""
    ext = _EXT[target]
    candidates = [source.with_suffix(ext)] if source.suffix != ext else []
    candidates += [source.with_name(f"{source.stem}.converted{ext}")]
    candidates += [source.with_name(f"{source.stem}.converted{n}{ext}") for n in range(2, 100)]
    return next(p for p in candidates if not p.exists())


def register(server: QwenLanguageServer) -> None:
    """Register ``qwen.convertSelection``."""

    @server.command(CONVERT_COMMAND)
    async def convert_selection(ls: QwenLanguageServer, *args: Any) -> dict[str, Any]:
        first: Any = args[0] if args else None
        values = first if isinstance(first, list) and len(args) == 1 else list(args)
        try:
            uri, version, start, end, target = values[:5]
            version, start, end, target = int(version), int(start), int(end), str(target)
        except (ValueError, TypeError) as exc:
            raise JsonRpcInvalidParams(
                f"{CONVERT_COMMAND} expects [uri, version, start, end, target]: {exc}"
            ) from None
        doc = ls.document(str(uri))
        if doc.version != version:
            raise JsonRpcContentModified("the document changed since the action was offered")
        if doc.language is None or target not in TARGETS.get(doc.language.id, ()):
            raise JsonRpcInvalidParams(f"no conversion to {target} from this document")
        from ..convert.model import ModelConverter

        text, source = doc.text, doc.language.id
        path_text = uri_to_path(doc.uri)
        root = next((str(r) for r in ls.roots), "")
        service = ls.core.completions(ls.settings.models)
        hook = ModelConverter(service, ls.settings, root) if _model_serves(ls, target) else None
        name = Path(path_text).name if path_text else ""
        result = await asyncio.get_running_loop().run_in_executor(
            service.executor,
            lambda: convert(text, source, target, start, end, model=hook, file_name=name),
        )
        answer: dict[str, Any] = {
            "target": target,
            "ok": result.ok,
            "text": result.text if result.ok else "",
            "rules": result.rules,
            "byModel": result.by_model,
            "uncovered": result.uncovered,
            "error": result.error,
            "applied": False,
        }
        if not result.ok:
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Info,
                    message=f"qwen-lsp: not converted to {NAMES[target]}: {result.error}",
                )
            )
            return answer
        current = ls.documents.get(doc.uri)
        if current is None or current.version != version:
            raise JsonRpcContentModified("the document changed while converting")
        if path_text is None:
            return answer  # an unsaved buffer: the text is the answer
        source_path = Path(path_text).resolve()
        if not any(source_path == r or r in source_path.parents for r in ls.roots):
            return answer  # outside the workspace: never create files there
        out = new_file(source_path, target)
        out_uri = path_uri(str(out))
        edit = new_file_edit(out_uri, result.text + "\n")
        applied = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=f"Convert to {NAMES[target]}")
        )
        answer["applied"] = bool(applied and applied.applied)
        answer["uri"] = out_uri
        window = getattr(ls.client_capabilities, "window", None)
        if answer["applied"] and getattr(getattr(window, "show_document", None), "support", False):
            await ls.window_show_document_async(
                types.ShowDocumentParams(uri=out_uri, take_focus=True)
            )
        return answer
