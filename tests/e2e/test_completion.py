"""Inline completions over a real pipe with a real ONNX model (the Qwen2 fixture): the text is
what the engine generates (checked against the engine called in-process), cancellation,
superseded versions never answered, lazy load with progress, idle unload, a tampered model."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from qwen_lsp.completion.service import CompletionQuery, CompletionService
from qwen_lsp.config import Settings, merge
from qwen_lsp.syntax.document import Document
from qwen_lsp.syntax.languages import default_registry

from ..support import REPO, SERVER_COMMAND
from .helpers import accept_registrations, assert_no_errors_logged, change_doc, open_doc, wait_for

FIXTURE = REPO / "tests" / "fixtures" / "tiny_qwen2"
SOURCE = (
    "def area(width, height):\n    return width * height\n\n\ndef perimeter(width, height):\n    "
)


def options(model: Path, **completion) -> dict:
    base = {
        "syntaxCheck": False,
        "nameCheck": False,
        "minChars": 0,
        "crossFile": False,
        "multiline": "never",
        "maxTokens": 12,
    }
    base.update(completion)
    return {
        "models": {"byLanguage": {"python": str(model)}, "idleUnloadSeconds": 600},
        "completion": base,
    }


async def _start(client: LanguageClient, model: Path, **completion) -> types.InitializeResult:
    accept_registrations(client)
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options=options(model, **completion),
        )
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient):
    lsp_client.init_result = await _start(lsp_client, FIXTURE)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def _inline_params(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
    )


def _engine_text(
    uri: str, text: str, line: int, character: int, model: Path, **completion
) -> str | None:
    settings, errors = merge(Settings(), options(model, **completion))
    assert errors == []
    doc = Document(uri, text, 1, default_registry().by_id("python"))
    service = CompletionService()
    try:
        suggestion = service.complete_sync(
            CompletionQuery(uri, doc.snapshot(), doc.offset(line, character), settings)
        )
    finally:
        service.close()
    return suggestion.text if suggestion else None


async def test_capabilities_advertise_inline_completion(client: LanguageClient):
    caps = client.init_result.capabilities  # type: ignore[attr-defined]
    assert caps.inline_completion_provider is not None
    assert caps.completion_provider is not None
    commands = caps.execute_command_provider.commands
    assert "qwen.modelInfo" in commands


async def test_inline_completion_is_the_engines_output_and_loads_lazily(client: LanguageClient):
    info = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.modelInfo")
    )
    assert info["loaded"] == []  # nothing loads before a document needs it
    uri = "file:///tmp/qwen-lsp-e2e/geometry.py"
    open_doc(client, uri, SOURCE)
    line, col = 5, 4
    result = await client.text_document_inline_completion_async(_inline_params(uri, line, col))
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    expected = _engine_text(uri, SOURCE, line, col, FIXTURE)
    assert expected, "the fixture model produces some text here"
    assert len(items) == 1
    assert items[0].insert_text == expected
    assert items[0].range.start == types.Position(line=line, character=col)
    info = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.modelInfo")
    )
    assert [m["name"] for m in info["loaded"]] == ["tiny-qwen2-fixture"]
    titles = [
        r[0].title
        for r in client.progress_reports.values()
        if r and isinstance(r[0], types.WorkDoneProgressBegin)
    ]
    assert any(t.startswith("Loading model tiny-qwen2-fixture") for t in titles)
    # The same context again is answered from the cache, with the same text.
    again = await client.text_document_inline_completion_async(_inline_params(uri, line, col))
    assert again.items[0].insert_text == expected
    info = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.modelInfo")
    )
    assert info["answered_by"].get("cache", 0) >= 1
    # Retries after a rejection, told apart by the check that rejected.
    retries = info["retries"]
    assert set(retries) == {"syntax", "names", "repeats", "rescued"}
    assert isinstance(info["repeats_rejected"], int)
    assert all(isinstance(n, int) and n >= 0 for n in retries.values())
    assert_no_errors_logged(client)


async def _model_info(client: LanguageClient) -> dict:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="qwen.modelInfo")
    )


async def test_no_suggestion_while_spaces_are_typed_towards_the_indentation(
    client: LanguageClient,
):
    """Spaces typed one by one towards a 4-space block get nothing (no model run, not even a
    load); the suggestion comes once the indentation is whole."""
    uri = "file:///tmp/qwen-lsp-e2e/indent.py"
    open_doc(client, uri, SOURCE[:-4])
    change_doc(client, uri, 2, (5, 0), (5, 0), " ")
    change_doc(client, uri, 3, (5, 1), (5, 1), " ")
    result = await client.text_document_inline_completion_async(_inline_params(uri, 5, 2))
    assert not result.items
    info = await _model_info(client)
    assert info["waited_for_indent"] == 1 and info["loaded"] == []
    change_doc(client, uri, 4, (5, 2), (5, 2), "  ")
    result = await client.text_document_inline_completion_async(_inline_params(uri, 5, 4))
    assert result.items and result.items[0].insert_text == _engine_text(uri, SOURCE, 5, 4, FIXTURE)
    info = await _model_info(client)
    assert info["waited_for_indent"] == 1 and info["loaded"]


async def test_a_column_nobody_is_typing_towards_gets_a_suggestion(client: LanguageClient):
    """The same column reached otherwise (a continuation line, a file just opened) is not
    indentation being typed: the model runs."""
    uri = "file:///tmp/qwen-lsp-e2e/aligned.py"
    open_doc(client, uri, SOURCE[:-4] + "  ")
    await client.text_document_inline_completion_async(_inline_params(uri, 5, 2))
    info = await _model_info(client)
    assert info["waited_for_indent"] == 0 and info["loaded"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def eager_client(lsp_client: LanguageClient):
    await _start(lsp_client, FIXTURE, waitForIndent=False)
    yield
    await lsp_client.shutdown_session()


async def test_the_indentation_wait_can_be_turned_off(eager_client: LanguageClient):
    uri = "file:///tmp/qwen-lsp-e2e/indent.py"
    open_doc(eager_client, uri, SOURCE[:-4])
    change_doc(eager_client, uri, 2, (5, 0), (5, 0), "  ")
    await eager_client.text_document_inline_completion_async(_inline_params(uri, 5, 2))
    info = await _model_info(eager_client)
    assert info["waited_for_indent"] == 0 and info["loaded"]


async def test_partially_typed_word_replaces_from_the_word_start(client: LanguageClient):
    uri = "file:///tmp/qwen-lsp-e2e/words.py"
    text = SOURCE + "return wid"
    open_doc(client, uri, text)
    result = await client.text_document_inline_completion_async(_inline_params(uri, 5, 14))
    if result.items:
        item = result.items[0]
        assert item.range.start == types.Position(line=5, character=11)
        assert item.insert_text.startswith("wid")


async def test_completion_fallback_has_the_model_item_and_index_names(client: LanguageClient):
    uri = "file:///tmp/qwen-lsp-e2e/fallback.py"
    open_doc(client, uri, SOURCE)
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=5, character=4),
        )
    )
    expected = _engine_text(uri, SOURCE, 5, 4, FIXTURE)
    model_items = [i for i in result.items if i.detail and i.detail.startswith("qwen-lsp")]
    assert model_items and model_items[0].text_edit.new_text == expected


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def debounced_client(lsp_client: LanguageClient):
    # A server-side debounce makes the race deterministic: the edit below always arrives
    # while the first request is still pending.
    await _start(lsp_client, FIXTURE, debounceMs=300)
    yield
    await lsp_client.shutdown_session()


async def test_superseded_version_is_never_answered_with_stale_text(
    debounced_client: LanguageClient,
):
    client = debounced_client
    uri = "file:///tmp/qwen-lsp-e2e/stale.py"
    open_doc(client, uri, SOURCE)
    # *_async methods send when awaited: a task sends it now.
    first = asyncio.ensure_future(
        client.text_document_inline_completion_async(_inline_params(uri, 5, 4))
    )
    await asyncio.sleep(0.05)
    change_doc(client, uri, 2, (5, 4), (5, 4), "r")  # the user typed on
    try:
        result = await asyncio.wait_for(first, 10)
    except JsonRpcException as exc:
        assert exc.code == -32801  # ContentModified: the answer was for an older version
    else:
        pytest.fail(f"a stale answer was sent: {result}")
    fresh = await client.text_document_inline_completion_async(_inline_params(uri, 5, 5))
    assert isinstance(fresh, types.InlineCompletionList)


async def test_cancelled_request_answers_request_cancelled(debounced_client: LanguageClient):
    """$/cancelRequest on a pending completion: the answer is RequestCancelled. (Stopping a
    generation mid-decode is tested on the scheduler: tests/engine/test_scheduler.py.)"""
    client = debounced_client
    uri = "file:///tmp/qwen-lsp-e2e/cancel.py"
    open_doc(client, uri, SOURCE)
    # pytest-lsp's send_request_async sends when awaited: a task sends it now.
    future = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, _inline_params(uri, 5, 4), msg_id="c-1"
        )
    )
    await asyncio.sleep(0.05)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="c-1"))
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(future, 10)
    assert info.value.code == -32800  # RequestCancelled
    # The session goes on: the next request is served.
    result = await client.text_document_inline_completion_async(_inline_params(uri, 5, 4))
    assert isinstance(result, types.InlineCompletionList)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def idle_client(lsp_client: LanguageClient):
    accept_registrations(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={
                **options(FIXTURE),
                "models": {"byLanguage": {"python": str(FIXTURE)}, "idleUnloadSeconds": 1},
            },
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_idle_module_unloads_and_reloads(idle_client: LanguageClient):
    client = idle_client
    uri = "file:///tmp/qwen-lsp-e2e/idle.py"
    open_doc(client, uri, SOURCE)
    await client.text_document_inline_completion_async(_inline_params(uri, 5, 4))

    async def loaded() -> list:
        info = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="qwen.modelInfo")
        )
        return info["loaded"]

    assert await loaded()
    for _ in range(60):
        if not await loaded():
            break
        await asyncio.sleep(0.1)
    assert await loaded() == [], "the idle module was not unloaded"
    change_doc(client, uri, 2, (5, 4), (5, 4), "r")
    await client.text_document_inline_completion_async(_inline_params(uri, 5, 5))
    assert await loaded(), "the module loads again when needed"


@pytest.fixture
def tampered(tmp_path: Path) -> Path:
    target = tmp_path / "tampered"
    shutil.copytree(FIXTURE, target)
    data = bytearray((target / "model.onnx").read_bytes())
    data[-100] ^= 0x01  # one bit of one weight
    (target / "model.onnx").write_bytes(bytes(data))
    return target


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def tampered_client(lsp_client: LanguageClient, tampered: Path):
    await _start(lsp_client, tampered)
    yield
    await lsp_client.shutdown_session()


async def test_tampered_model_is_refused_once_and_the_rest_works(tampered_client: LanguageClient):
    client = tampered_client
    uri = "file:///tmp/qwen-lsp-e2e/tampered.py"
    open_doc(client, uri, SOURCE)
    for i in range(3):
        result = await client.text_document_inline_completion_async(_inline_params(uri, 5, 4))
        assert list(result.items) == []
        change_doc(client, uri, 2 + i, (5, 4 + i), (5, 4 + i), "x")
    await wait_for(
        lambda: [m for m in client.messages if "SHA-256" in m.message], what="the tamper message"
    )
    messages = [m for m in client.messages if "SHA-256" in m.message]
    assert len(messages) == 1
    assert messages[0].type == types.MessageType.Error
    assert "completions are off for python" in messages[0].message
    # Symbols and diagnostics still work.
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [s.name for s in symbols] == ["area", "perimeter"]
    await wait_for(lambda: uri in client.diagnostics, what="diagnostics")
