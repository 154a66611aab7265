"""Code actions over the findings of the document's current version:

- each fix as a quick fix (``isPreferred`` when the rule marks it the obvious one), and the
  other fixes of the finding after it;
- "Fix all <rule> in this file" when a rule has two or more fixable findings;
- "Explain <rule>": a command action, ``qwen.explainRule``, that shows the rule's long text
  (a Markdown document opened with ``window/showDocument`` where the client supports it,
  else ``window/showMessage``); the command also returns the text;
- ``source.fixAll.qwen-lsp``: every preferred fix of the file (for "fix on save");
- "Fix with model": :func:`model_fix_action`, offered when the language's module is loaded; its
  command (``features/model_fix.py``) regenerates the flagged lines fill-in-the-middle and
  applies the result only when the finding is gone.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ..analysis.findings import Edit, Finding, Fix
from ..analysis.rules import default_rules
from ..index.cache import default_cache_dir

# At run time, not only for type checkers: pygls reads command handlers' annotations.
from ..server import QwenLanguageServer
from .convert import byte_range
from .diagnostics import diagnostic

if TYPE_CHECKING:
    from ..syntax.document import Document

log = logging.getLogger(__name__)

EXPLAIN_COMMAND = "qwen.explainRule"
FIX_ALL_KIND = "source.fixAll.qwen-lsp"


def _workspace_edit(doc: Document, edits: list[Edit] | tuple[Edit, ...]) -> types.WorkspaceEdit:
    text_edits = [
        types.TextEdit(range=byte_range(doc.buffer, e.start, e.end, doc.encoding), new_text=e.text)
        for e in edits
    ]
    return types.WorkspaceEdit(changes={doc.uri: text_edits})


def fix_actions(doc: Document, finding: Finding) -> list[types.CodeAction]:
    """The quick fixes of one finding (its main fix first)."""
    actions = []
    diag = diagnostic(finding, doc.buffer, doc.encoding)
    for i, fix in enumerate(finding.fixes):
        actions.append(
            types.CodeAction(
                title=fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diag],
                edit=_workspace_edit(doc, fix.edits),
                is_preferred=fix.preferred and i == 0,
            )
        )
    return actions


def fix_action(doc: Document, finding: Finding) -> types.CodeAction | None:
    """The main quick fix of one finding, if it has one."""
    actions = fix_actions(doc, finding)
    return actions[0] if actions else None


def _overlap(a: Edit, b: Edit) -> bool:
    if a.start < b.end and b.start < a.end:
        return True
    return a.start == a.end == b.start == b.end  # two insertions at one point: order unclear


def combine(fixes: list[Fix]) -> list[Edit]:
    """Edits of several fixes as one change: an edit repeated by several fixes once (removing
    a whole import statement for each of its names), and a fix that overlaps an edit already
    taken left out (it can be applied on the next round)."""
    chosen: list[Edit] = []
    seen: set[Edit] = set()
    for fix in fixes:
        new = [e for e in fix.edits if e not in seen]
        if not new or any(_overlap(e, c) for e in new for c in chosen):
            continue
        chosen.extend(new)
        seen.update(new)
    chosen.sort(key=lambda e: (e.start, e.end))
    return chosen


def fix_all_action(doc: Document, rule: str, findings: list[Finding]) -> types.CodeAction | None:
    """One action applying the main fix of every finding of ``rule`` in the file."""
    fixes = [f.fix for f in findings if f.rule == rule and f.fix is not None]
    if len(fixes) < 2:
        return None
    edits = combine(fixes)
    meta = default_rules().get(rule)
    name = f" ({meta.name})" if meta else ""
    return types.CodeAction(
        title=f"Fix all {rule}{name} in this file",
        kind=types.CodeActionKind.QuickFix,
        edit=_workspace_edit(doc, edits),
    )


def source_fix_all(doc: Document, findings: list[Finding]) -> types.CodeAction | None:
    """Every preferred fix of the file, for ``source.fixAll`` (fix on save)."""
    fixes = [
        f.fix for f in findings if f.fix is not None and f.fix.preferred and f.source != "qwen-log"
    ]
    if not fixes:
        return None
    return types.CodeAction(
        title="Apply every preferred qwen-lsp fix",
        kind=FIX_ALL_KIND,
        edit=_workspace_edit(doc, combine(fixes)),
    )


def explain_action(finding: Finding, diag: types.Diagnostic) -> types.CodeAction | None:
    """ "Explain <rule>" for a rule with a long text (not syntax errors: their message is the
    explanation)."""
    rule = default_rules().get(finding.rule)
    if rule is None or rule.category == "syntax" or finding.source == "qwen-log":
        return None
    return types.CodeAction(
        title=f"Explain {rule.id} ({rule.name})",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diag],
        command=types.Command(
            title=f"Explain {rule.id}", command=EXPLAIN_COMMAND, arguments=[rule.id]
        ),
    )


def model_fix_action(
    server: QwenLanguageServer, doc: Document, finding: Finding
) -> types.CodeAction | None:
    """ "Fix with model": offered when the language's module is already loaded (listing actions
    never loads a model). The action runs the ``qwen.fixWithModel`` command, which regenerates
    the flagged lines fill-in-the-middle and applies the result only if the finding is gone."""
    from .model_fix import FIX_WITH_MODEL, module_loaded

    if doc.language is None or not module_loaded(server, doc.language.id):
        return None
    return types.CodeAction(
        title=f"Fix with model ({finding.rule})",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic(finding, doc.buffer, doc.encoding)],
        is_preferred=False,
        command=types.Command(
            title="Fix with model",
            command=FIX_WITH_MODEL,
            arguments=[doc.uri, doc.version, finding.start, finding.end, finding.rule],
        ),
    )


def _wanted(only: list[str] | None, kind: str) -> bool:
    if not only:
        return kind != FIX_ALL_KIND  # source actions only when asked for
    return any(kind == k or kind.startswith(k + ".") for k in only)


def code_actions(
    server: QwenLanguageServer, doc: Document, start: int, end: int, only: list[str] | None
) -> list[types.CodeAction]:
    """Every action for the byte range ``[start, end]`` of ``doc``."""
    version, findings = server.findings.get(doc.uri, (-1, []))
    if version != doc.version:
        return []  # findings are for an older text; fresh ones are being computed
    actions: list[types.CodeAction] = []
    quick = _wanted(only, types.CodeActionKind.QuickFix)
    if quick:
        explained: set[str] = set()
        fix_all_done: set[str] = set()
        here = [f for f in findings if not (f.end < start or f.start > end)]
        for finding in here:
            actions.extend(fix_actions(doc, finding))
            model = model_fix_action(server, doc, finding)
            if model is not None:
                actions.append(model)
        for finding in here:
            if finding.rule not in fix_all_done and finding.fix is not None:
                fix_all_done.add(finding.rule)
                action = fix_all_action(doc, finding.rule, findings)
                if action is not None:
                    actions.append(action)
        for finding in here:
            if finding.rule in explained:
                continue
            explained.add(finding.rule)
            action = explain_action(finding, diagnostic(finding, doc.buffer, doc.encoding))
            if action is not None:
                actions.append(action)
    if only and _wanted(only, FIX_ALL_KIND):
        action = source_fix_all(doc, findings)
        if action is not None:
            actions.append(action)
    return actions


def explanation_file(rule_id: str, text: str) -> Path:
    """Write a rule's explanation where editors can open it (the user cache folder, never
    the workspace)."""
    folder = default_cache_dir() / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rule_id}.md"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def register(server: QwenLanguageServer) -> None:
    """Register ``textDocument/codeAction`` and the ``qwen.explainRule`` command."""

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[
                types.CodeActionKind.QuickFix,
                FIX_ALL_KIND,
                types.CodeActionKind.Refactor,
                types.CodeActionKind.RefactorRewrite,
            ],
            resolve_provider=False,
        ),
    )
    def code_action(
        ls: QwenLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        doc = ls.document(params.text_document.uri)
        start = doc.offset(params.range.start.line, params.range.start.character)
        end = doc.offset(params.range.end.line, params.range.end.character)
        only = [str(k) for k in params.context.only] if params.context.only else None
        from . import conversion, testgen

        # Actions that need no finding: generate tests for the definition at the cursor,
        # convert the selection to another language (not for a range that is exactly a
        # diagnostic's: that request asks for the diagnostic's fixes).
        extra: list[types.CodeAction] = []
        if not any(d.range == params.range for d in params.context.diagnostics or []):
            extra += testgen.actions(ls, doc, start, end, only)
            extra += conversion.actions(ls, doc, start, end, only)
        return code_actions(ls, doc, start, end, only) + extra

    @server.command(EXPLAIN_COMMAND)
    async def explain_rule(ls: QwenLanguageServer, *args: Any) -> dict[str, str]:
        first: Any = args[0] if args else ""
        if isinstance(first, list):  # some clients wrap the arguments once more
            first = first[0] if first else ""
        rule = default_rules().get(str(first).upper())
        if rule is None:
            raise JsonRpcInvalidParams(f"unknown rule {first!r}")
        text = rule.explanation()
        await _show(ls, rule.id, text)
        return {"rule": rule.id, "markdown": text}


async def _show(server: QwenLanguageServer, rule_id: str, text: str) -> None:
    window = getattr(server.client_capabilities, "window", None)
    show_document = getattr(getattr(window, "show_document", None), "support", False)
    if show_document:
        try:
            path = await asyncio.get_running_loop().run_in_executor(
                None, explanation_file, rule_id, text
            )
            await server.window_show_document_async(
                types.ShowDocumentParams(uri=path.as_uri(), take_focus=True)
            )
            return
        except Exception as exc:  # fall back to a message
            log.info("showDocument failed for %s: %s", rule_id, exc)
    server.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=text))
