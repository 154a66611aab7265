""" "Convert selection to <language>" through a real server session over a pipe: the actions
listed for a selection, and the command creating the converted file beside the source through
workspace/applyEdit (the server never writes the workspace itself)."""

from __future__ import annotations

import ast
import shutil
import tempfile
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..e2e.helpers import accept_registrations, assert_no_errors_logged, open_doc
from ..support import SERVER_COMMAND
from .helpers import parses, run_node, run_python

SOURCE = '''import math


def evens_squared(xs: list[int], limit: int = 100) -> list[int]:
    """Squares of the even numbers, at most limit."""
    return [x * x for x in xs if x % 2 == 0 and x * x <= limit]


def describe(name: str, total: float) -> str:
    return f"{name}: {total:.1f}"
'''


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient):
    root = Path(tempfile.mkdtemp(prefix="qwen-convert-"))
    (root / "numbers.py").write_text(SOURCE)
    (root / "numbers.js").write_text("// already here\n")
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
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="numbers")],
            initialization_options={"diagnostics": {"enable": False}, "index": {"enable": False}},
        )
    )
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(root, ignore_errors=True)


async def _actions(client: LanguageClient, uri: str, start: types.Position, end: types.Position):
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=start, end=end),
            context=types.CodeActionContext(diagnostics=[], only=["refactor"]),
        )
    )


async def test_convert_selection_to_javascript_creates_the_file(client: LanguageClient):
    root: Path = client.root  # type: ignore[attr-defined]
    source = root / "numbers.py"
    open_doc(client, source.as_uri(), SOURCE)
    lines = SOURCE.split("\n")
    first = lines.index("def evens_squared(xs: list[int], limit: int = 100) -> list[int]:")
    last = len(lines) - 1
    actions = await _actions(
        client, source.as_uri(), types.Position(first, 0), types.Position(last, 0)
    )
    titles = sorted(a.title for a in actions if a.title.startswith("Convert"))
    assert titles == [
        "Convert selection to Java",
        "Convert selection to JavaScript",
        "Convert selection to TypeScript",
    ]
    # The import line has no rule: selecting it is not offered for Java (no model for Java).
    with_import = await _actions(
        client, source.as_uri(), types.Position(0, 0), types.Position(last, 0)
    )
    assert "Convert selection to Java" not in [a.title for a in with_import]

    action = next(a for a in actions if a.title == "Convert selection to JavaScript")
    command = ast.literal_eval(action.command)  # pytest-lsp reads it back as a string
    assert command["command"] == "qwen.convertSelection"
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
    )
    assert result["ok"] is True and result["applied"] is True
    assert {"signature", "comprehension", "f-string"} <= set(result["rules"])
    # numbers.js exists: a new file beside it, never overwritten.
    target = root / "numbers.converted.js"
    assert result["uri"] == target.as_uri()
    [edit] = client.edits  # type: ignore[attr-defined]
    create, change = edit.document_changes
    assert isinstance(create, types.CreateFile) and create.options.overwrite is False
    text = change.edits[0].new_text
    assert parses("javascript", text)
    assert not target.exists(), "the server never writes the workspace itself"
    assert (root / "numbers.js").read_text() == "// already here\n"

    # The converted code does what the Python does.
    calls = [[[1, 2, 3, 4, 12]], [[2, 4], 5]]
    js = text + "\nconst f = evens_squared;\n"
    py = SOURCE + "\nf = evens_squared\n"
    assert run_node(js, calls) == run_python(py, calls)
    assert run_node(text + "\nconst f = describe;\n", [["a", 2.26], ["b", -1.04]]) == run_python(
        SOURCE + "\nf = describe\n", [["a", 2.26], ["b", -1.04]]
    )
    assert_no_errors_logged(client)


async def test_stale_version_is_refused(client: LanguageClient):
    root: Path = client.root  # type: ignore[attr-defined]
    source = root / "numbers.py"
    open_doc(client, source.as_uri(), SOURCE)
    try:
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="qwen.convertSelection",
                arguments=[source.as_uri(), 99, 0, 10, "javascript"],
            )
        )
    except Exception as exc:  # ContentModified
        assert "changed" in str(exc)
    else:
        raise AssertionError("a stale version must be refused")
