"""``qwen.explainLog`` on a real traceback: a small program is run in a subprocess, its
traceback is given to the server, and the explanation appears as diagnostics on the right
lines, with the fix as a code action; a log file inside the workspace works too, one outside
is refused, and ``qwen.clearLog`` takes the diagnostics back."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..support import SERVER_COMMAND
from .helpers import accept_registrations, assert_no_errors_logged, open_doc, wait_for

PROGRAM = '''\
"""Prints a summary line."""


def label(count):
    return count + " items"


def main():
    print(label(3))


main()
'''

HELPER = """\
def lookup(table, key):
    return table[key]
"""

CALLER = """\
from helper import lookup


def run():
    return lookup({"a": 1}, "b")


run()
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    accept_registrations(lsp_client)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    lsp_client.workspace = workspace  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
            initialization_options={"diagnostics": {"debounceMs": 20}},
        )
    )
    yield
    await lsp_client.shutdown_session()


def _run(script: Path) -> str:
    done = subprocess.run(
        [sys.executable, script.name], cwd=script.parent, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1 and "Traceback" in done.stderr
    return done.stderr


async def test_traceback_becomes_diagnostics_with_a_fix(client: LanguageClient):
    ws: Path = client.workspace  # type: ignore[attr-defined]
    script = ws / "report.py"
    script.write_text(PROGRAM)
    traceback = _run(script)
    uri = script.as_uri()
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.explainLog", arguments=[{"text": traceback}])
    )
    assert result["files"] == [uri]
    first = result["explanations"][0]
    assert first["error"].startswith(
        "TypeError: unsupported operand type(s) for +: 'int' and 'str'"
    )
    assert first["line"] == 5 and first["corrected_line"].strip() == 'return str(count) + " items"'
    # The file is not open: the diagnostics are pushed for it anyway.
    await wait_for(lambda: client.diagnostics.get(uri), what="log diagnostics")
    by_line = {d.range.start.line: d for d in client.diagnostics[uri]}
    error = by_line[4]  # line 5 of the traceback, 0-based
    assert error.source == "qwen-log" and error.code == "TypeError"
    assert error.severity == types.DiagnosticSeverity.Error
    assert "Cause:" in error.message
    assert by_line[8].severity == types.DiagnosticSeverity.Information  # the caller's line
    assert by_line[11].severity == types.DiagnosticSeverity.Information  # main()
    # Open the file: the explanation stays (same text) and its fix is a code action.
    open_doc(client, uri, PROGRAM)
    actions: list = []
    for _ in range(200):  # until the open document's findings (rules + log) are computed
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=error.range,
                context=types.CodeActionContext(diagnostics=[error]),
            )
        )
        if actions:
            break
        await asyncio.sleep(0.05)
    fix = next(a for a in actions if getattr(a, "title", "") == "Wrap `count` in `str()`")
    (edit,) = fix.edit.changes[uri]
    assert (
        edit.range.start == types.Position(line=4, character=11) and edit.new_text == "str(count)"
    )
    # Editing the file retires the explanation (its lines may no longer match).
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(
                    text=PROGRAM.replace("count +", "str(count) +")
                )
            ],
        )
    )
    await wait_for(
        lambda: (
            uri in client.diagnostics
            and not any(d.source == "qwen-log" for d in client.diagnostics[uri])
        ),
        what="log diagnostics to go",
    )
    assert_no_errors_logged(client)


async def test_log_file_in_workspace_chained_frames_and_clear(
    client: LanguageClient, tmp_path: Path
):
    ws: Path = client.workspace  # type: ignore[attr-defined]
    (ws / "helper.py").write_text(HELPER)
    caller = ws / "caller.py"
    caller.write_text(CALLER)
    (ws / "run.log").write_text("$ python caller.py\n" + _run(caller))
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.explainLog", arguments=[{"path": "run.log"}])
    )
    helper_uri = (ws / "helper.py").as_uri()
    assert sorted(result["files"]) == sorted([helper_uri, caller.as_uri()])
    await wait_for(lambda: client.diagnostics.get(helper_uri), what="diagnostics in helper.py")
    (key_error,) = client.diagnostics[helper_uri]
    assert key_error.code == "KeyError" and key_error.range.start.line == 1
    # A path outside the workspace is refused.
    outside = tmp_path / "secret.log"
    outside.write_text("Traceback (most recent call last):\n")
    with pytest.raises(JsonRpcException, match="outside the workspace"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="qwen.explainLog", arguments=[{"path": str(outside)}]
            )
        )
    with pytest.raises(JsonRpcException, match="outside the workspace"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="qwen.explainLog", arguments=[{"path": "../secret.log"}]
            )
        )
    cleared = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.clearLog", arguments=[])
    )
    assert cleared == {"cleared": 2}
    await wait_for(lambda: not client.diagnostics.get(helper_uri), what="cleared diagnostics")
    assert_no_errors_logged(client)
