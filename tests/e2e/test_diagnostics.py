"""Rule diagnostics against the real server, as an editor session: findings appear while
typing, quick fixes apply and the finding goes away, "fix all" and "explain" actions, pull
diagnostics with result ids, rules turned off in the settings."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..support import SERVER_COMMAND
from .helpers import accept_registrations, assert_no_errors_logged, change_doc, open_doc, wait_for


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    accept_registrations(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
            initialization_options={
                "diagnostics": {"debounceMs": 30, "disabled": ["QL103"]},
                "index": {"enable": False},
            },
        )
    )
    yield
    await lsp_client.shutdown_session()


def _codes(client: LanguageClient, uri: str) -> list[str]:
    return [str(d.code) for d in client.diagnostics.get(uri, [])]


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (ASCII text: characters are columns) as an editor would."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: types.Position) -> int:
        return starts[p.line] + p.character

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


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


async def test_findings_appear_while_typing_and_quick_fixes_apply(
    client: LanguageClient, tmp_path: Path
):
    path = tmp_path / "typing.py"
    uri = path.as_uri()
    text = "def check(value):\n    return value\n"
    open_doc(client, uri, text)
    await wait_for(lambda: uri in client.diagnostics, what="first diagnostics")
    assert _codes(client, uri) == []
    # Type a comparison with None, one character at a time, as a user would.
    typed = "    if value == None:\n        return 0\n"
    version = 1
    line, col = 1, 0
    for ch in typed:
        version += 1
        change_doc(client, uri, version, (line, col), (line, col), ch)
        if ch == "\n":
            line, col = line + 1, 0
        else:
            col += 1
    text = "def check(value):\n" + typed + "    return value\n"
    await wait_for(lambda: "QL106" in _codes(client, uri), what="QL106 while typing")
    diag = next(d for d in client.diagnostics[uri] if d.code == "QL106")
    assert diag.range.start.line == 1 and diag.source == "qwen-lsp"
    assert diag.code_description is not None and "ql106" in diag.code_description.href
    actions = await _actions(client, uri, diag)
    titles = [a.title for a in actions]
    assert titles[0] == "Use `is` / `is not`" and actions[0].is_preferred
    assert "Explain QL106 (none-comparison)" in titles
    # Apply the quick fix as the editor does: its edit becomes a didChange.
    edits = actions[0].edit.changes[uri]
    fixed = _apply(text, edits)
    assert "if value is None:" in fixed
    version += 1
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                for e in sorted(
                    edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
                )
            ],
        )
    )
    await wait_for(lambda: "QL106" not in _codes(client, uri), what="QL106 to clear")
    # "Explain" runs a command that opens the rule's text.
    # (pytest-lsp's client reads an action that only carries a command as a bare Command
    # and loses its arguments, so the test runs the command the action names itself.)
    assert any(a.title == "Explain QL106 (none-comparison)" for a in actions)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.explainRule", arguments=["QL106"])
    )
    assert result["rule"] == "QL106" and "# QL106 `none-comparison`" in result["markdown"]
    shown = client.shown_documents
    assert shown and shown[-1].uri.endswith("/rules/QL106.md")
    assert Path(shown[-1].uri.removeprefix("file://")).read_text().startswith("# QL106")
    assert_no_errors_logged(client)


async def test_fix_all_in_file_and_disabled_rule(client: LanguageClient, tmp_path: Path):
    uri = (tmp_path / "imports.py").as_uri()
    text = "import os\nimport sys\nimport json\n\n\ndef f():\n    unused = 1\n    return json.dumps({})\n"
    open_doc(client, uri, text)
    await wait_for(lambda: _codes(client, uri).count("QL102") == 2, what="two unused imports")
    assert "QL103" not in _codes(client, uri)  # turned off in the settings
    diag = client.diagnostics[uri][0]
    actions = await _actions(client, uri, diag)
    assert not any(getattr(a, "kind", None) == "source.fixAll.qwen-lsp" for a in actions)
    fix_all = next(a for a in actions if a.title.startswith("Fix all QL102"))
    # `source.fixAll` (fix on save) applies every preferred fix of the file.
    source = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
        )
    )
    assert [a.kind for a in source] == ["source.fixAll.qwen-lsp"]
    assert _apply(text, source[0].edit.changes[uri]) == _apply(text, fix_all.edit.changes[uri])
    fixed = _apply(text, fix_all.edit.changes[uri])
    assert (
        fixed.startswith("import json\n") and "import os" not in fixed and "import sys" not in fixed
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    await wait_for(lambda: "QL102" not in _codes(client, uri), what="imports fixed")
    assert "QL102" not in _codes(client, uri)
    assert_no_errors_logged(client)


async def test_pull_diagnostics_with_result_ids(client: LanguageClient, tmp_path: Path):
    uri = (tmp_path / "pulled.js").as_uri()
    text = "export function f(x) {\n  if (x == 0) { return 1; }\n  return 2;\n}\n"
    open_doc(client, uri, text, language_id="javascript")
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert report.kind == "full" and [d.code for d in report.items] == ["QL301"]
    assert report.items[0].range.start == types.Position(line=1, character=8)
    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id
        )
    )
    assert again.kind == "unchanged" and again.result_id == report.result_id
    change_doc(client, uri, 2, (1, 8), (1, 10), "===")
    fresh = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id
        )
    )
    assert fresh.kind == "full" and list(fresh.items) == [] and fresh.result_id != report.result_id
    # In pull mode the server does not push for this document (it would show twice).
    pushed = client.diagnostics.get(uri)
    assert not pushed
    assert_no_errors_logged(client)
