"""Every end-to-end test fails when its server logs an error or a traceback.

pytest-lsp forwards each server's stderr to the test process; :func:`_recording_forwarder`
forwards it too, and keeps the lines per server process. After each test that used a
``LanguageClient``, :func:`_server_logged_no_errors` looks at what the server sent as
``window/logMessage`` of type Error and at its stderr log (``ERROR``/``CRITICAL`` records and
``Traceback``). A test that provokes an error on purpose names what it expects with
``@pytest.mark.server_errors("regex", ...)``; every other line fails the test.
"""

from __future__ import annotations

import asyncio
import re
import sys
from typing import Any

import pytest
import pytest_lsp.client
from lsprotocol import types
from pytest_lsp import LanguageClient

_STDERR: dict[int, list[str]] = {}
"""Server stderr lines by process id."""

_ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback \(most recent call last\)")


async def _recording_forwarder(server: asyncio.subprocess.Process) -> None:
    if server.stderr is None:
        return
    lines = _STDERR.setdefault(server.pid, [])
    while (line := await server.stderr.readline()) != b"":
        sys.stderr.buffer.write(line)
        lines.append(line.decode("utf-8", "replace").rstrip("\n"))


pytest_lsp.client.forward_stderr = _recording_forwarder  # read by LanguageClient.start_io


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "server_errors(*patterns): errors the test provokes on purpose (regexes); any other "
        "error or traceback the server logs fails the test",
    )


def server_errors(client: LanguageClient) -> list[str]:
    """Error log messages and error/traceback lines of the server's stderr so far."""
    found = [
        f"window/logMessage: {m.message}"
        for m in client.log_messages
        if m.type == types.MessageType.Error
    ]
    server = getattr(client, "_server", None)
    if server is not None:
        found += [
            f"stderr: {line}" for line in _STDERR.get(server.pid, []) if _ERROR_LINE.search(line)
        ]
    return found


@pytest.fixture(autouse=True)
def _server_logged_no_errors(request: pytest.FixtureRequest) -> Any:
    """Set up before the client fixture, so this check runs after the server has ended."""
    yield
    clients = [v for v in (request.node.funcargs or {}).values() if isinstance(v, LanguageClient)]
    if not clients:
        return
    marker = request.node.get_closest_marker("server_errors")
    allowed = [re.compile(p) for p in (marker.args if marker else ())]
    unexpected = [
        line
        for client in clients
        for line in server_errors(client)
        if not any(p.search(line) for p in allowed)
    ]
    for client in clients:
        server = getattr(client, "_server", None)
        if server is not None:
            _STDERR.pop(server.pid, None)
    if unexpected:
        pytest.fail("the server logged errors in this session:\n" + "\n".join(unexpected))
