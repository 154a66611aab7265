"""Bad input gets a clear answer and the server keeps serving: unknown URIs, positions past
the end, a 50 MB file, binary content, invalid UTF-8 on disk, malformed settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..support import SERVER_COMMAND
from .helpers import assert_no_errors_logged, open_doc, wait_for, wait_for_index


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, shop: Path):
    lsp_client.shop = shop  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim"),
            workspace_folders=[types.WorkspaceFolder(uri=shop.as_uri(), name="shop")],
            initialization_options={
                "completion": {"maxTokens": "many"},
                "diagnostics": {"debounceMs": 20},
            },
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _still_serving(client: LanguageClient) -> None:
    uri = "file:///tmp/qwen-lsp-alive.py"
    open_doc(client, uri, "def alive():\n    return 1\n")
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [s.name for s in symbols] == ["alive"]


async def test_malformed_setting_is_reported_once_and_default_used(client: LanguageClient):
    await wait_for(lambda: client.messages, what="a settings message")
    texts = [m.message for m in client.messages]
    assert any(
        "qwenLsp.completion.maxTokens must be a number, not 'many'; using the default" in t
        for t in texts
    )
    assert len([t for t in texts if "maxTokens" in t]) == 1
    await _still_serving(client)


async def test_unknown_uri_gets_a_clear_error(client: LanguageClient):
    with pytest.raises(JsonRpcException) as info:
        await client.text_document_document_symbol_async(
            types.DocumentSymbolParams(
                text_document=types.TextDocumentIdentifier(uri="file:///no/such/file.py")
            )
        )
    assert info.value.code == -32803
    assert "unknown document file:///no/such/file.py" in info.value.message
    with pytest.raises(JsonRpcException) as info:
        await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri="untitled:Untitled-1"),
                position=types.Position(line=0, character=0),
            )
        )
    assert "not open" in info.value.message
    # Notifications for unknown documents are ignored (logged), never fatal.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri="file:///never/opened.py", version=3
            ),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="x")],
        )
    )
    await _still_serving(client)


async def test_positions_past_the_end(client: LanguageClient):
    uri = "file:///tmp/qwen-lsp-short.py"
    open_doc(client, uri, "x = 1\n")
    for line, character in [(999, 0), (0, 999), (-0, 10**9)]:
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
            )
        )
        assert hover is None
        result = await client.text_document_definition_async(
            types.DefinitionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
            )
        )
        assert result is None
    # An edit whose range lies past the end is clamped to the end of the document.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=50, character=3),
                        end=types.Position(line=60, character=0),
                    ),
                    text="def tail():\n    pass\n",
                )
            ],
        )
    )
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [s.name for s in symbols] == ["x", "tail"]
    assert_no_errors_logged(client)


async def test_a_50_mb_file(client: LanguageClient):
    uri = "file:///tmp/qwen-lsp-huge.py"
    text = "x = 1\n" * (50 * 1024 * 1024 // 6)
    open_doc(client, uri, text)
    await wait_for(
        lambda: any("parse limit" in m.message for m in client.messages), 60, "the size message"
    )
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert symbols == []
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await _still_serving(client)


async def test_binary_content(client: LanguageClient):
    uri = "file:///tmp/qwen-lsp-binary.py"
    open_doc(client, uri, "\x00\x01\x02ELF\x00" * 100)
    await wait_for(
        lambda: any("binary" in m.message for m in client.messages), 10, "the binary message"
    )
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert symbols == []
    await _still_serving(client)


async def test_invalid_utf8_on_disk_is_indexed_and_read(client: LanguageClient):
    shop = client.shop  # type: ignore[attr-defined]
    latin1 = shop / "shop" / "legacy.py"
    latin1.write_bytes(
        "def caf\xe9_menu():\n    return 'cr\xe8me'\n\ndef ok():\n    pass\n".encode("latin-1")
    )
    (shop / "shop" / "blob.py").write_bytes(b"\x00\x01binary\x00" * 50)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(uri=latin1.as_uri(), type=types.FileChangeType.Created),
                types.FileEvent(
                    uri=(shop / "shop" / "blob.py").as_uri(), type=types.FileChangeType.Created
                ),
            ]
        )
    )
    await wait_for_index(client)

    async def found() -> list:
        return await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="ok"))

    for _ in range(100):
        if [s for s in await found() if s.location.uri.endswith("legacy.py")]:
            break
        import asyncio

        await asyncio.sleep(0.05)
    assert [s for s in await found() if s.location.uri.endswith("legacy.py")]
    # Not open: read from disk, decoded with replacement characters, still answered.
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=latin1.as_uri()))
    )
    assert [s.name for s in symbols][-1] == "ok"
    assert_no_errors_logged(client)
