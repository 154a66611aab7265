"""Tolerance for what real clients send that the LSP types reject.

A pre-processing hook on the session's cattrs converter: the raw JSON of the affected type is
normalised before lsprotocol structures it, so handlers only ever see valid LSP types and need no
special cases.

``vscode-languageclient`` 9.0.x (``InlineCompletionItemFeature``, registered by
``registerProposedFeatures()``) passes VS Code's own ``InlineCompletionContext`` through
``InlineCompletionContext.create(context.triggerKind, context.selectedCompletionInfo)`` without
converting it, so the request carries:

- ``selectedCompletionInfo.range`` as VS Code's ``Range.toJSON()`` writes it, a two-element
  array ``[{"line", "character"}, {"line", "character"}]`` instead of ``{"start", "end"}``;
- ``triggerKind`` in VS Code's numbering (``Invoke = 0``, ``Automatic = 1``) instead of the LSP's
  (``Invoked = 1``, ``Automatic = 2``): ``0`` is not a valid LSP value at all.

Without this hook the server answers such requests with ``InvalidParams``. 10.x and later convert
both properly (``asInlineCompletionContext``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from ..server import QwenLanguageServer

_LSP_INVOKED = int(types.InlineCompletionTriggerKind.Invoked)
_LSP_AUTOMATIC = int(types.InlineCompletionTriggerKind.Automatic)


def normalize_inline_completion_context(raw: Any) -> Any:
    """The LSP shape of an ``InlineCompletionContext`` sent in VS Code's shape (see the module
    docstring); anything else is returned unchanged."""
    if not isinstance(raw, dict):
        return raw
    context = dict(raw)
    info = context.get("selectedCompletionInfo")
    vscode_shape = False
    if isinstance(info, dict):
        rng = info.get("range")
        if isinstance(rng, list) and len(rng) == 2:
            context["selectedCompletionInfo"] = {**info, "range": {"start": rng[0], "end": rng[1]}}
            vscode_shape = True
    kind = context.get("triggerKind")
    if kind == 0:
        # VS Code's Invoke; never a valid LSP value.
        context["triggerKind"] = _LSP_INVOKED
    elif kind == 1 and vscode_shape:
        # VS Code's Automatic, recognisable only when the range shows the VS Code shape.
        context["triggerKind"] = _LSP_AUTOMATIC
    return context


def register(server: QwenLanguageServer) -> None:
    """Install the hooks on this session's converter (before any message is structured)."""
    converter = server.protocol._converter
    structure_context = converter.get_structure_hook(types.InlineCompletionContext)

    def structure(raw: Any, cls: type) -> types.InlineCompletionContext:
        return structure_context(normalize_inline_completion_context(raw), cls)

    converter.register_structure_hook(types.InlineCompletionContext, structure)
