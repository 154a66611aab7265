"""Framework awareness through a real server session (pytest-lsp): a Django view's completion
prompt carries the app's models, and the completion list offers Django snippets filled with
them."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..e2e.helpers import accept_registrations, assert_no_errors_logged, open_doc, wait_for_index
from ..support import REPO, SERVER_COMMAND
from . import layouts

FIXTURE = REPO / "tests" / "fixtures" / "tiny_qwen2"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient):
    root = Path(tempfile.mkdtemp(prefix="qwen-django-"))
    layouts.write(root, layouts.DJANGO)
    lsp_client.root = root  # type: ignore[attr-defined]
    accept_registrations(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="site")],
            initialization_options={
                "models": {"byLanguage": {"python": str(FIXTURE)}},
                "completion": {
                    "syntaxCheck": False,
                    "nameCheck": False,
                    "minChars": 0,
                    "maxTokens": 8,
                    "contextTimeMs": 1000,
                },
                "diagnostics": {"enable": False},
            },
        )
    )
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(root, ignore_errors=True)


async def test_a_django_view_prompt_carries_the_models(client: LanguageClient):
    root: Path = client.root  # type: ignore[attr-defined]
    await wait_for_index(client)
    views = root / "blog" / "views.py"
    text = views.read_text()
    open_doc(client, views.as_uri(), text)
    lines = text.split("\n")
    position = types.Position(line=len(lines) - 1, character=len(lines[-1]))
    await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=views.as_uri()),
            position=position,
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    info = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.modelInfo")
    )
    last = info["last"]
    assert last is not None
    # views.py names no model: the models come from the framework source, not from imports.
    assert "blog/models.py" in last["snippets"]
    at = last["snippets"].index("blog/models.py")
    assert last["snippet_sources"][at] == "framework"

    found = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.frameworks")
    )
    ids = [f["id"] for f in found["workspaces"][0]["frameworks"]]
    assert ids == ["django"]

    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=views.as_uri()), position=position
        )
    )
    snippets = {i.label: i for i in result.items if i.kind == types.CompletionItemKind.Snippet}
    view = snippets["djview"]
    assert view.insert_text_format == types.InsertTextFormat.Snippet
    assert "${3|Article,Comment|}.objects.all()" in view.text_edit.new_text
    assert view.detail == "Django list view (django)"
    assert_no_errors_logged(client)
