"""A shared team server: two clients at once over TCP and over WebSocket, one disconnecting
without a word, a reconnect, and the server still serving the other client throughout."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from ..support import SERVER_COMMAND


async def _start(mode: str) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen(
        [*SERVER_COMMAND, f"--{mode}", "127.0.0.1:0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert proc.stderr is not None
    loop = asyncio.get_running_loop()
    while True:
        line = (
            await asyncio.wait_for(loop.run_in_executor(None, proc.stderr.readline), 20)
        ).decode()
        if not line:
            raise AssertionError(f"server exited: {proc.wait()}")
        if m := re.search(r"listening on \w+://[\d.]+:(\d+)", line):
            # Keep draining stderr so the server never blocks on a full pipe.
            loop.run_in_executor(None, lambda: [None for _ in iter(proc.stderr.readline, b"")])
            return proc, int(m.group(1))


@pytest.fixture(params=["tcp", "ws"])
async def shared_server(request) -> AsyncIterator[tuple[str, int, subprocess.Popen[bytes]]]:
    proc, port = await _start(request.param)
    yield request.param, port, proc
    proc.terminate()
    proc.wait(10)


async def _connect(mode: str, port: int, root: Path) -> LanguageClient:
    client = LanguageClient("test-client", "1")
    client.diagnostics = {}  # type: ignore[attr-defined]

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diags(params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics  # type: ignore[attr-defined]

    if mode == "tcp":
        await client.start_tcp("127.0.0.1", port)
    else:
        await client.start_ws("127.0.0.1", port)
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    client.initialized(types.InitializedParams())
    return client


async def _drop(client: LanguageClient) -> None:
    """Close the connection from the client side, as a crashed or closed editor does.

    (pygls' client ``stop()`` alone waits for the next message from the server before it
    notices it should stop.)
    """
    closing = client.protocol.writer.close()
    if asyncio.iscoroutine(closing):
        await closing
    client._stop_event.set()
    for task in client._async_tasks:
        task.cancel()
    await asyncio.gather(*client._async_tasks, return_exceptions=True)


async def _symbols(client: LanguageClient, uri: str, text: str) -> list[str]:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    result = await asyncio.wait_for(
        client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
        ),
        10,
    )
    return [s.name for s in result]


async def test_two_clients_at_once_then_disconnect_and_reconnect(shared_server, shop: Path):
    mode, port, proc = shared_server
    a = await _connect(mode, port, shop)
    b = await _connect(mode, port, shop)
    # Each connection has its own documents: same URI, different text.
    uri = "file:///tmp/shared/same.py"
    names_a, names_b = await asyncio.gather(
        _symbols(a, uri, "def from_a():\n    pass\n"), _symbols(b, uri, "class FromB:\n    pass\n")
    )
    assert names_a == ["from_a"] and names_b == ["FromB"]
    # Both see the one shared index of the workspace.
    for client in (a, b):
        found = await asyncio.wait_for(
            client.workspace_symbol_async(types.WorkspaceSymbolParams(query="PriceList")), 20
        )
        for _ in range(100):
            if found:
                break
            await asyncio.sleep(0.1)
            found = await client.workspace_symbol_async(
                types.WorkspaceSymbolParams(query="PriceList")
            )
        assert found and found[0].name == "PriceList"
    # Client A vanishes without shutdown/exit: B keeps working.
    await _drop(a)
    await asyncio.sleep(0.3)
    assert await _symbols(b, "file:///tmp/shared/b2.py", "def still_here():\n    pass\n") == [
        "still_here"
    ]
    # B leaves properly (shutdown + exit): the server keeps running for others.
    await b.shutdown_async(None)
    b.exit(None)
    await asyncio.sleep(0.3)
    await _drop(b)
    assert proc.poll() is None, "the shared server must outlive its clients"
    # A reconnects: a fresh session, served normally.
    c = await _connect(mode, port, shop)
    assert await _symbols(c, uri, "def again():\n    pass\n") == ["again"]
    await c.shutdown_async(None)
    c.exit(None)
    await _drop(c)
    assert proc.poll() is None
