""" "Fix with model": offered only once the language's module is loaded, and running it applies
a model-written line that makes the finding go away (through workspace/applyEdit)."""

from __future__ import annotations

import ast

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..support import SERVER_COMMAND
from .helpers import accept_registrations, assert_no_errors_logged, open_doc, wait_for

SOURCE = (
    "def total(prices):\n"
    "    result = 0\n"
    "    for price in prices:\n"
    "        result += price\n"
    "    return reslt\n"
)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient):
    accept_registrations(lsp_client)
    lsp_client.applied = []  # type: ignore[attr-defined]

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        lsp_client.applied.append(params)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={"diagnostics": {"debounceMs": 10}},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _actions(
    client: LanguageClient, uri: str, diag: types.Diagnostic
) -> list[types.CodeAction]:
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )


async def test_fix_with_model_after_the_module_loads(client: LanguageClient):
    uri = "file:///tmp/qwen-lsp-e2e/model_fix.py"
    open_doc(client, uri, SOURCE)
    await wait_for(lambda: client.diagnostics.get(uri), what="the undefined-name diagnostic")
    diag = next(d for d in client.diagnostics[uri] if d.code == "QL101")
    titles = [a.title for a in await _actions(client, uri, diag)]
    assert not any(t.startswith("Fix with model") for t in titles), "no model is loaded yet"
    # A completion loads the python module.
    await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=4, character=4),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    actions = await _actions(client, uri, diag)
    model_action = next(a for a in actions if a.title == "Fix with model (QL101)")
    # lsprotocol's client-side union Command | CodeAction can mistake our CodeAction (it has
    # title + command) for a Command whose `command` is then the nested command object.
    command = model_action.command
    if isinstance(command, str) and command.startswith("{"):
        command = ast.literal_eval(command)  # ...and even turns it into its repr() string
    if isinstance(command, types.Command):
        name, arguments = command.command, command.arguments
    elif isinstance(command, dict):
        name, arguments = command["command"], command["arguments"]
    else:
        name, arguments = command, model_action.arguments
    assert name == "qwen.fixWithModel"
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=arguments)
    )
    assert result["applied"] is True
    assert result["replaced"] == "return reslt"
    edit = client.applied[0].edit.changes[uri][0]  # type: ignore[attr-defined]
    assert edit.new_text == result["text"] and "reslt" not in edit.new_text
    assert edit.range.start == types.Position(line=4, character=4)
    assert_no_errors_logged(client)
