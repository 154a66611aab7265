""" "Generate tests" on a function or class: a code action, and ``qwen.generateTests`` that
builds the test file (skeleton, documented cases, the model's proposals) and asks the client
to create it with ``workspace/applyEdit`` (the server itself never writes the workspace). The
file goes where the project keeps its tests; an existing file is never overwritten."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

# At run time: pygls reads command handlers' annotations.
from ..server import QwenLanguageServer, uri_to_path
from ..testgen.generate import LANGUAGES, GenerationError, Options, generate_tests
from .convert import new_file_edit, path_uri

if TYPE_CHECKING:
    from ..syntax.document import Document

GENERATE_TESTS_COMMAND = "qwen.generateTests"
GENERATE_TESTS_KIND = "refactor.qwen-lsp.generateTests"

_DEFINITIONS = {
    "python": {"function_definition", "class_definition"},
    "javascript": {
        "function_declaration",
        "class_declaration",
        "method_definition",
        "variable_declarator",
    },
}


def _wanted(only: list[str] | None) -> bool:
    return not only or any(GENERATE_TESTS_KIND.startswith(k) for k in only)


def target_at(doc: Document, offset: int) -> str | None:
    """The function, class or ``Class.method`` whose header holds ``offset``."""
    if doc.language is None or doc.tree is None or doc.language.id not in LANGUAGES:
        return None
    kinds = _DEFINITIONS[doc.language.id]
    node = doc.tree.root_node.named_descendant_for_byte_range(offset, offset)
    names: list[str] = []
    while node is not None:
        value = node.child_by_field_name("value") if node.type == "variable_declarator" else None
        if node.type in kinds and (
            node.type != "variable_declarator"
            or (value is not None and value.type in ("arrow_function", "function_expression"))
        ):
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body") or node.child_by_field_name("value")
            in_header = body is None or offset <= body.start_byte
            if name is not None and name.text and (in_header or names):
                names.insert(0, name.text.decode())
        node = node.parent
    names = [n for n in names if not n.startswith("_")]
    if not names:
        return None
    return ".".join(names[:2])


def actions(
    server: QwenLanguageServer, doc: Document, start: int, end: int, only: list[str] | None
) -> list[types.CodeAction]:
    """ "Generate tests for <name>" when the range starts on a definition's header."""
    if not _wanted(only) or uri_to_path(doc.uri) is None:
        return []
    name = target_at(doc, start)
    if name is None:
        return []
    return [
        types.CodeAction(
            title=f"Generate tests for {name}",
            kind=GENERATE_TESTS_KIND,
            command=types.Command(
                title=f"Generate tests for {name}",
                command=GENERATE_TESTS_COMMAND,
                arguments=[doc.uri, name],
            ),
        )
    ]


def _root(server: QwenLanguageServer, path: Path) -> Path | None:
    for root in server.roots:
        if path == root or root in path.parents:
            return root
    return None


def register(server: QwenLanguageServer) -> None:
    """Register ``qwen.generateTests``."""

    @server.command(GENERATE_TESTS_COMMAND)
    async def generate(ls: QwenLanguageServer, *args: Any) -> dict[str, Any]:
        first: Any = args[0] if args else None
        if isinstance(first, dict):
            uri, name = first.get("uri"), first.get("name")
        elif isinstance(first, list):
            uri, name = ([*first, None, None])[:2]
        else:
            uri, name = ([*list(args), None, None])[:2]
        path_text = uri_to_path(str(uri)) if uri else None
        if path_text is None:
            raise JsonRpcInvalidParams(f"{GENERATE_TESTS_COMMAND} expects [uri, name]")
        path = Path(path_text).resolve()
        root = _root(ls, path)
        if root is None:
            raise JsonRpcInvalidParams(f"{path} is outside the workspace folders; refused")
        doc = ls.documents.get(str(uri))
        data = doc.text.encode("utf-8") if doc is not None else None
        from ..testgen.fill import ModelFiller
        from ..testgen.layout import project_of

        project = project_of(path, root)
        service = ls.core.completions(ls.settings.models)
        filler = ModelFiller(service, ls.settings, str(root))
        options = Options(function=name or None, write=False, run=False, roots=list(ls.roots))
        try:
            report = await asyncio.get_running_loop().run_in_executor(
                service.executor, lambda: generate_tests(path, project, options, filler, data=data)
            )
        except GenerationError as exc:
            raise JsonRpcInvalidParams(str(exc)) from None
        result = report.to_json()
        if not report.generated:
            result["applied"] = False
            return result
        test_uri = path_uri(report.test_file)
        edit = new_file_edit(test_uri, report.text)
        applied = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(
                edit=edit, label=f"Generate tests for {name or path.name}"
            )
        )
        result["applied"] = bool(applied and applied.applied)
        result["uri"] = test_uri
        result["text"] = report.text
        window = getattr(ls.client_capabilities, "window", None)
        if result["applied"] and getattr(getattr(window, "show_document", None), "support", False):
            await ls.window_show_document_async(
                types.ShowDocumentParams(uri=test_uri, take_focus=True)
            )
        return result
