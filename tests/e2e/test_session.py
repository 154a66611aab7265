"""An editor session against the real server over stdio: initialize, index with progress,
open/change/close, symbols, workspace symbols, definition across files, hover, syntax
diagnostics appearing and clearing, the quick fix, shutdown."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from ..support import SERVER_COMMAND
from .helpers import (
    accept_registrations,
    assert_no_errors_logged,
    change_doc,
    open_doc,
    wait_for,
    wait_for_index,
)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient, shop: Path):
    lsp_client.shop = shop  # type: ignore[attr-defined]
    lsp_client.registrations = accept_registrations(lsp_client)  # type: ignore[attr-defined]
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=shop.as_uri(), name="shop")],
            root_uri=shop.as_uri(),
        )
    )
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_initialize_advertises_features(client: LanguageClient):
    caps = client.init_result.capabilities  # type: ignore[attr-defined]
    assert caps.position_encoding == types.PositionEncodingKind.Utf16
    assert caps.document_symbol_provider
    assert caps.workspace_symbol_provider
    assert caps.definition_provider
    assert caps.hover_provider
    sync = caps.text_document_sync
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert client.init_result.server_info.name == "qwen-lsp"  # type: ignore[attr-defined]


async def test_indexing_reports_progress_then_workspace_symbols(client: LanguageClient):
    reports = await wait_for_index(client)
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert "Indexing" in reports[0].title
    assert "indexed" in reports[-1].message
    watchers = [
        r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    ]  # type: ignore[attr-defined]
    assert watchers, "the server registers a file watcher when the client allows it"
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="calcdisc"))
    names = [s.name for s in symbols]
    assert names[0] == "calculate_discount"
    assert symbols[0].location.uri.endswith("shop/pricing.py")
    classes = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="PriceList"))
    assert classes[0].kind == types.SymbolKind.Class
    assert_no_errors_logged(client)


async def test_document_symbols_are_hierarchical(client: LanguageClient):
    shop = client.shop  # type: ignore[attr-defined]
    uri = (shop / "shop" / "pricing.py").as_uri()
    open_doc(client, uri, (shop / "shop" / "pricing.py").read_text())
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    top = {s.name: s for s in symbols}
    assert {"VAT_RATE", "calculate_discount", "with_vat", "PriceList"} <= set(top)
    price_list = top["PriceList"]
    assert price_list.kind == types.SymbolKind.Class
    methods = {c.name: c for c in price_list.children}
    assert set(methods) == {"__init__", "price_of", "cheapest"}
    assert methods["price_of"].kind == types.SymbolKind.Method
    assert methods["price_of"].selection_range.start.line == 24
    assert top["calculate_discount"].detail == "def calculate_discount(price, discount_rate):"
    assert_no_errors_logged(client)


async def test_definition_and_hover_across_files(client: LanguageClient):
    await wait_for_index(client)
    shop = client.shop  # type: ignore[attr-defined]
    cart = shop / "shop" / "cart.py"
    uri = cart.as_uri()
    text = cart.read_text()
    open_doc(client, uri, text)
    line = next(
        i for i, row in enumerate(text.splitlines()) if "return with_vat(calculate_discount" in row
    )
    col = text.splitlines()[line].index("calculate_discount") + 3
    locations = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=col),
        )
    )
    assert locations and locations[0].uri == (shop / "shop" / "pricing.py").as_uri()
    assert locations[0].range.start.line == 7
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=col),
        )
    )
    assert "def calculate_discount(price, discount_rate):" in hover.contents.value
    assert "Return the discounted price" in hover.contents.value
    # A method reached through an attribute chain resolves by name.
    line2 = next(i for i, row in enumerate(text.splitlines()) if "price_of(sku)" in row)
    col2 = text.splitlines()[line2].index("price_of") + 1
    locations = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line2, character=col2),
        )
    )
    assert locations[0].uri.endswith("pricing.py") and locations[0].range.start.line == 24
    assert_no_errors_logged(client)


async def test_syntax_diagnostics_appear_clear_and_quick_fix(client: LanguageClient):
    uri = "file:///tmp/qwen-lsp-e2e/typing.py"
    open_doc(client, uri, "def area(w, h):\n    return w * h\n")
    await wait_for(lambda: uri in client.diagnostics, what="first diagnostics")
    assert list(client.diagnostics[uri]) == []
    # Type an unclosed call, as a user would, char by char.
    typed = "print(area(2, 3)"
    for i, ch in enumerate(typed):
        change_doc(client, uri, 2 + i, (2, i), (2, i), ch)
    version = 1 + len(typed)
    await wait_for(lambda: client.diagnostics.get(uri), what="syntax error")
    diag = client.diagnostics[uri][0]
    assert diag.message == "`(` is never closed"
    assert diag.code == "QL001" and diag.severity == types.DiagnosticSeverity.Error
    assert diag.range.start == types.Position(line=2, character=5)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    assert [a.title for a in actions] == ["Insert `)`"]
    edit = actions[0].edit.changes[uri][0]
    assert edit.range.start == types.Position(line=2, character=len(typed)) and edit.new_text == ")"
    # Apply the fix as the editor would: the diagnostic clears.
    change_doc(client, uri, version + 1, (2, len(typed)), (2, len(typed)), ")")
    await wait_for(
        lambda: client.diagnostics.get(uri) is not None and len(client.diagnostics[uri]) == 0,
        what="diagnostics to clear",
    )
    # Break it again, then close: diagnostics are removed.
    change_doc(client, uri, version + 2, (0, 0), (0, 0), "x = [\n")
    await wait_for(lambda: client.diagnostics.get(uri), what="a new syntax error")
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await wait_for(
        lambda: client.diagnostics.get(uri) is not None and len(client.diagnostics[uri]) == 0,
        what="cleared on close",
    )
    assert_no_errors_logged(client)
