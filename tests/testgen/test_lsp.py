""" "Generate tests" through a real server session: the code action on a definition's header,
and the command creating the file through workspace/applyEdit (never written by the server)."""

from __future__ import annotations

import ast
import shutil
import tempfile
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..e2e.helpers import accept_registrations, assert_no_errors_logged, open_doc
from ..support import REPO, SERVER_COMMAND
from .test_generate import MODULE

FIXTURE = REPO / "tests" / "fixtures" / "tiny_qwen2"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient):
    root = Path(tempfile.mkdtemp(prefix="qwen-testgen-"))
    (root / "textkit").mkdir()
    (root / "textkit" / "__init__.py").write_text("")
    (root / "textkit" / "helpers.py").write_text(MODULE)
    (root / "tests").mkdir()
    (root / "tests" / "test_helpers.py").write_text("# already here\n")
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.edits = []  # type: ignore[attr-defined]

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        lsp_client.edits.append(params.edit)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    accept_registrations(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="textkit")],
            initialization_options={
                "models": {"byLanguage": {"python": str(FIXTURE)}},
                "diagnostics": {"enable": False},
                "index": {"enable": False},
            },
        )
    )
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(root, ignore_errors=True)


async def _actions(client: LanguageClient, uri: str, line: int, col: int) -> list[types.CodeAction]:
    position = types.Position(line=line, character=col)
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )


async def test_generate_tests_action_creates_the_file_through_the_client(client: LanguageClient):
    root: Path = client.root  # type: ignore[attr-defined]
    source = root / "textkit" / "helpers.py"
    lines = MODULE.split("\n")
    open_doc(client, source.as_uri(), MODULE)
    slugify = lines.index('def slugify(text, sep="-"):')
    actions = await _actions(client, source.as_uri(), slugify, 6)
    titles = [a.title for a in actions]
    assert "Generate tests for slugify" in titles
    add = next(i for i, line in enumerate(lines) if "def add(self, item)" in line)
    assert "Generate tests for Tally.add" in [
        a.title for a in await _actions(client, source.as_uri(), add, 8)
    ]
    inside_body = lines.index('    words = re.findall(r"[a-z0-9]+", text.lower())')
    assert not [
        a
        for a in await _actions(client, source.as_uri(), inside_body, 6)
        if a.title.startswith("Generate")
    ]

    # (pytest-lsp's client reads an action that only carries a command as a bare Command, the
    # action's command object turned into a string: read it back.)
    action = next(a for a in actions if a.title == "Generate tests for slugify")
    command = ast.literal_eval(action.command)
    assert command["command"] == "qwen.generateTests"
    assert command["arguments"] == [source.as_uri(), "slugify"]
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
    )
    assert result["applied"] is True
    assert result["targets"] == ["slugify"]
    # The user's file stays; a new one is created beside it.
    target = root / "tests" / "test_helpers_generated.py"
    assert result["uri"] == target.as_uri()
    [edit] = client.edits  # type: ignore[attr-defined]
    create, change = edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri == target.as_uri()
    assert create.options.overwrite is False
    text = change.edits[0].new_text
    assert (
        "def test_slugify_doctest():\n    assert slugify(\"Hello, World!\") == 'hello-world'"
        in text
    )
    assert "from textkit.helpers import slugify" in text
    assert not target.exists(), "the server never writes the workspace itself"
    assert (root / "tests" / "test_helpers.py").read_text() == "# already here\n"
    assert_no_errors_logged(client)
