"""Hybrid mode end to end: qwen-lsp over a real pipe, a real llama-cpp-python server serving the
embedded python module as GGUF. Completions come from the remote while it runs, from the local
model within the same request after it is killed, and from the remote again once it is back;
the user is told once per change; every generation lands in the audit log (chain intact,
accepted suggestions marked). What leaves the machine, recorded by a TCP proxy in front of the
server: no secrets, nothing from gitignored files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from qwen_lsp.security.audit import verify

from ..e2e.helpers import accept_registrations, assert_no_errors_logged, open_doc, wait_for
from ..support import SERVER_COMMAND
from .conftest import ServerProcess

STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
DB_PASSWORD = "Sup3r" + "S3cretPw"
CART = f'''"""Shopping cart totals."""

STRIPE_KEY = "{STRIPE}"
DATABASE_URL = "postgres://shop:{DB_PASSWORD}@db.internal/shop"


def cart_total(items, discount_rate):
    subtotal = sum(item.price * item.quantity for item in items)
    discounted = subtotal * (1 - discount_rate)
    return '''
PRICING = """ALLOWED_PRICING_MARKER = "pricing"


def apply_discount(subtotal, discount_rate):
    discounted = subtotal * (1 - discount_rate)
    return round(discounted, 2)


def item_total(item):
    return item.price * item.quantity
"""
PRIVATE = """IGNORED_PRIVATE_MARKER = "never send"


def private_cart_total(items, discount_rate):
    subtotal = sum(item.price * item.quantity for item in items)
    return subtotal * (1 - discount_rate) * 0.5
"""


def _workspace(root: Path) -> Path:
    (root / "shop").mkdir(parents=True)
    (root / ".gitignore").write_text("private_notes.py\n")
    (root / "shop" / "cart.py").write_text(CART)
    (root / "shop" / "pricing.py").write_text(PRICING)
    (root / "shop" / "private_notes.py").write_text(PRIVATE)
    return root


def _options(url: str, audit: Path) -> dict:
    return {
        "completion": {
            "multiline": "never",
            "maxTokens": 16,
            "crossFile": True,
            "crossFileTokens": 1024,
            "contextTimeMs": 1000,
            "syntaxCheck": False,
            "nameCheck": False,
            "minChars": 0,
        },
        "remote": {
            "enable": True,
            "url": url,
            "api": "openai",
            "timeoutMs": 8000,
            "connectTimeoutMs": 300,
            "cooldownSeconds": 1,
        },
        "auditLog": str(audit),
    }


async def _initialize(client: LanguageClient, root: Path, url: str, audit: Path) -> None:
    accept_registrations(client)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=_options(url, audit),
        )
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def hybrid(lsp_client: LanguageClient, llama_server: ServerProcess, tmp_path: Path):
    root = _workspace(tmp_path / "ws")
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.audit = tmp_path / "audit" / "qwen.jsonl"  # type: ignore[attr-defined]
    lsp_client.remote = llama_server  # type: ignore[attr-defined]
    await _initialize(lsp_client, root, llama_server.url, lsp_client.audit)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def _complete(client: LanguageClient, uri: str, line: int, col: int):
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=col),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    return result.items if isinstance(result, types.InlineCompletionList) else (result or [])


async def _info(client: LanguageClient) -> dict:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.modelInfo")
    )


class _Doc:
    """An open document whose cursor line moves down as comment lines are added above it (a
    new context each time, so no cache answers)."""

    def __init__(self, client: LanguageClient, path: Path) -> None:
        self.client = client
        self.uri = path.as_uri()
        self.text = path.read_text()
        self.version = 1
        open_doc(client, self.uri, self.text)

    @property
    def cursor(self) -> tuple[int, int]:
        lines = self.text.split("\n")
        return len(lines) - 1, len(lines[-1])

    def touch(self, tag: str) -> None:
        line = self.cursor[0] - 3  # above the function: the body stays as it is
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=line, character=0),
                            end=types.Position(line=line, character=0),
                        ),
                        text=f"# {tag}\n",
                    )
                ],
            )
        )
        lines = self.text.split("\n")
        lines.insert(line, f"# {tag}")
        self.text = "\n".join(lines)

    async def complete(self):
        return await _complete(self.client, self.uri, *self.cursor)


def _messages(client: LanguageClient, needle: str) -> list[str]:
    return [m.message for m in client.messages if needle in m.message]


async def test_remote_then_local_then_remote(hybrid: LanguageClient) -> None:
    client = hybrid
    server: ServerProcess = client.remote  # type: ignore[attr-defined]
    root: Path = client.root  # type: ignore[attr-defined]
    doc = _Doc(client, root / "shop" / "cart.py")

    # 1. The remote serves.
    items = await doc.complete()
    info = await _info(client)
    assert info["last"]["backend"] == "remote", info["last"]
    assert info["backend"]["serving"] == "remote"
    assert info["backend"]["remote"]["state"] == "closed"
    if items:
        assert items[0].command.arguments[0] == "remote"
    await wait_for(lambda: _messages(client, "come from the remote server"), 5, "a message")

    # 2. Killed: the same request falls back to the local model at once.
    server.kill()
    doc.touch("after the kill")
    started = time.monotonic()
    await doc.complete()
    elapsed = time.monotonic() - started
    info = await _info(client)
    assert info["last"]["backend"] == "local", info["last"]
    assert elapsed < 8.0 + 10.0  # the remote's budget, then the local model
    assert info["backend"]["serving"] == "local"
    assert info["backend"]["remote"]["state"] in ("open", "half-open")
    assert "cannot connect" in info["backend"]["remote"]["last_error"]
    await wait_for(lambda: _messages(client, "is not answering"), 5, "the fallback message")
    # Put aside: the next request does not wait for the remote at all.
    requests_before = info["backend"]["remote"]["requests"]
    doc.touch("while it is down")
    await doc.complete()
    info = await _info(client)
    assert info["last"]["backend"] == "local"
    assert info["backend"]["remote"]["requests"] - requests_before <= 1  # at most one probe

    # 3. Back: after the cool-down a probe finds it, and it serves again.
    server.start()
    deadline = time.monotonic() + 30
    n = 0
    while True:
        n += 1
        doc.touch(f"back {n}")
        await doc.complete()
        info = await _info(client)
        if info["last"]["backend"] == "remote":
            break
        assert time.monotonic() < deadline, info["backend"]
        await asyncio.sleep(0.5)
    await wait_for(
        lambda: len(_messages(client, "come from the remote server")) >= 2, 5, "a new message"
    )
    # Once per change: one message for each switch, not one per request.
    assert len(_messages(client, "is not answering")) == 1

    # 4. The audit log: one line per generation, chain intact, backends as they served.
    audit: Path = client.audit  # type: ignore[attr-defined]
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    backends = [r["backend"] for r in records if r["event"] == "generation"]
    assert backends[0] == "remote" and "local" in backends and backends[-1] == "remote"
    first = records[0]
    assert first["document"] == doc.uri
    assert first["endpoint"] == server.url and first["model_sha256"] is None
    local = next(r for r in records if r["backend"] == "local")
    assert local["model"] == "qwen-lsp-python" and len(local["model_sha256"]) == 64
    assert local["range"]["start"] == local["range"]["end"]
    assert all(len(r["prompt_sha256"]) == 64 and len(r["output_sha256"]) == 64 for r in records)
    # Accepting a suggestion appends an "accepted" line for it.
    items = []
    for k in range(6):
        doc.touch(f"accept {k}")
        items = await doc.complete()
        if items:
            break
    assert items, "no suggestion to accept"
    command = items[0].command
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )
    accepted = await wait_for(
        lambda: [
            json.loads(line)
            for line in audit.read_text().splitlines()
            if '"event":"accepted"' in line
        ],
        5,
        "the accepted line",
    )
    assert accepted[0]["id"] == command.arguments[1] and accepted[0]["accepted"] is True
    report = verify(audit)
    assert report.ok, report.problems
    assert_no_errors_logged(client)


class _RecordingProxy:
    """A TCP proxy in front of the real server that keeps every byte the client sends."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.sent = bytearray()
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, keep: bool) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    if keep:
                        self.sent += data
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def recorded(lsp_client: LanguageClient, llama_server: ServerProcess, tmp_path: Path):
    proxy = _RecordingProxy(llama_server.port)
    url = await proxy.start()
    root = _workspace(tmp_path / "ws")
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.proxy = proxy  # type: ignore[attr-defined]
    await _initialize(lsp_client, root, url, tmp_path / "audit.jsonl")
    yield
    await lsp_client.shutdown_session()
    proxy.close()


async def test_what_leaves_the_machine(recorded: LanguageClient) -> None:
    client = recorded
    root: Path = client.root  # type: ignore[attr-defined]
    proxy: _RecordingProxy = client.proxy  # type: ignore[attr-defined]
    open_doc(client, (root / "shop" / "pricing.py").as_uri(), PRICING)
    open_doc(client, (root / "shop" / "private_notes.py").as_uri(), PRIVATE)
    doc = _Doc(client, root / "shop" / "cart.py")
    await doc.complete()
    info = await _info(client)
    assert info["last"]["backend"] == "remote", info["last"]
    # The local prompt would have quoted both files; the ignored one was dropped before sending.
    quoted = {Path(p).name for p in info["last"]["snippets"]}
    assert {"pricing.py", "private_notes.py"} <= quoted, quoted
    sent = proxy.sent.decode("utf-8", "replace")
    body = json.loads(sent[sent.index("\r\n\r\n") + 4 :])
    prompt = body["prompt"]
    assert "def cart_total(items, discount_rate):" in prompt  # the document itself
    assert "ALLOWED_PRICING_MARKER" in prompt  # an allowed file's chunk
    assert "IGNORED_PRIVATE_MARKER" not in sent and "private_cart_total" not in sent
    assert STRIPE not in sent and DB_PASSWORD not in sent
    assert 'STRIPE_KEY = "REDACTED"' in prompt
    assert "postgres://shop:REDACTED@db.internal/shop" in prompt
    assert prompt.startswith("<|file_sep|>")  # repository-level FIM layout, module tokens
    assert "<|fim_prefix|>" in prompt and prompt.endswith("<|fim_middle|>")
    assert info["backend"]["dropped_snippets"] >= 1 and info["backend"]["redactions"] >= 2
    # A gitignored document itself is completed by the local model: nothing is sent.
    before = len(proxy.sent)
    private = PRIVATE.split("\n")
    await _complete(client, (root / "shop" / "private_notes.py").as_uri(), 5, len(private[5]))
    info = await _info(client)
    assert info["last"]["backend"] == "local"
    assert len(proxy.sent) == before
    assert info["backend"]["excluded_documents"] >= 1
    assert_no_errors_logged(client)
