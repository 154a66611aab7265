"""Helpers for end-to-end tests: waiting for server notifications, checking the server's log."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


def assert_no_errors_logged(client: LanguageClient) -> None:
    """The server sent no error-level log message (a normal session must be clean)."""
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
    assert errors == [], f"server logged errors: {errors}"


async def wait_for_index(client: LanguageClient, timeout: float = 30.0) -> list[Any]:
    """Wait until an indexing progress sequence has ended; return its reports."""

    def ended() -> list[Any] | None:
        for reports in client.progress_reports.values():
            if reports and isinstance(reports[-1], types.WorkDoneProgressEnd):
                return reports
        return None

    return await wait_for(ended, timeout, "indexing to finish")


def open_doc(
    client: LanguageClient, uri: str, text: str, language_id: str = "python", version: int = 1
) -> None:
    """Send didOpen."""
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language_id, version=version, text=text
            )
        )
    )


def change_doc(
    client: LanguageClient,
    uri: str,
    version: int,
    start: tuple[int, int],
    end: tuple[int, int],
    text: str,
) -> None:
    """Send one incremental didChange."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=start[0], character=start[1]),
                        end=types.Position(line=end[0], character=end[1]),
                    ),
                    text=text,
                )
            ],
        )
    )


def accept_registrations(client: LanguageClient) -> list[types.Registration]:
    """Make the test client accept ``client/registerCapability`` (as VS Code does) and
    return the list that collects the registrations."""
    registrations: list[types.Registration] = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    @client.feature(types.CLIENT_UNREGISTER_CAPABILITY)
    def unregister_capability(params: types.UnregistrationParams) -> None:
        ids = {u.id for u in params.unregisterations}
        registrations[:] = [r for r in registrations if r.id not in ids]

    return registrations
