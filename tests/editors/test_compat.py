"""What vscode-languageclient 9.0.x sends for inline completions (checked in its source:
``InlineCompletionContext.create(context.triggerKind, context.selectedCompletionInfo)`` passes
VS Code's objects through): ``selectedCompletionInfo.range`` as VS Code's ``Range.toJSON()``
array and ``triggerKind`` in VS Code's numbering (0 = Invoke). qwen_lsp/features/compat.py
normalises it before lsprotocol structures the request."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from lsprotocol import types
from pygls.protocol import default_converter

from qwen_lsp.core import Core
from qwen_lsp.features import compat
from qwen_lsp.server import build_server

from ..support import REPO
from .support import init_options

VSCODE_RANGE = [{"line": 1, "character": 3}, {"line": 1, "character": 5}]


def _request(context: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "textDocument/inlineCompletion",
        "params": {
            "textDocument": {"uri": "file:///tmp/a.py"},
            "position": {"line": 1, "character": 5},
            "context": context,
        },
    }


@pytest.fixture
def server():
    core = Core()
    session = build_server(core)
    compat.register(session)
    yield session
    core.close()


@pytest.mark.parametrize(
    ("context", "kind", "info_range"),
    [
        # 9.0.x, automatic trigger with a completion widget item selected
        (
            {"triggerKind": 1, "selectedCompletionInfo": {"range": VSCODE_RANGE, "text": "path"}},
            types.InlineCompletionTriggerKind.Automatic,
            ((1, 3), (1, 5)),
        ),
        # 9.0.x, explicit trigger (VS Code's Invoke = 0)
        ({"triggerKind": 0}, types.InlineCompletionTriggerKind.Invoked, None),
        # the LSP shape is unchanged
        (
            {
                "triggerKind": 2,
                "selectedCompletionInfo": {
                    "range": {"start": VSCODE_RANGE[0], "end": VSCODE_RANGE[1]},
                    "text": "path",
                },
            },
            types.InlineCompletionTriggerKind.Automatic,
            ((1, 3), (1, 5)),
        ),
        ({"triggerKind": 1}, types.InlineCompletionTriggerKind.Invoked, None),
    ],
)
def test_contexts_structure(server, context, kind, info_range) -> None:
    message = server.protocol.structure_message(_request(context))
    structured = message.params.context
    assert structured.trigger_kind == kind
    if info_range is None:
        assert structured.selected_completion_info is None
    else:
        r = structured.selected_completion_info.range
        assert ((r.start.line, r.start.character), (r.end.line, r.end.character)) == info_range


def test_without_the_hook_lsprotocol_rejects_the_9x_shape() -> None:
    converter = default_converter()
    with pytest.raises(Exception, match="InlineCompletion"):
        converter.structure(_request({"triggerKind": 0}), types.InlineCompletionRequest)
    with pytest.raises(Exception, match="InlineCompletion"):
        converter.structure(
            _request(
                {"triggerKind": 2, "selectedCompletionInfo": {"range": VSCODE_RANGE, "text": "p"}}
            ),
            types.InlineCompletionRequest,
        )


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read(stream) -> dict[str, Any]:
    length = None
    while True:
        line = stream.readline()
        if not line.strip():
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return json.loads(stream.read(length))


def test_the_server_answers_the_9x_shape(tmp_path) -> None:
    """Over a real pipe: the session the server builds tolerates the 9.0.x request."""
    settings = tmp_path / "settings.json"
    settings.write_text("{}")
    env = {"QWEN_LSP_CONFIG": str(settings), "QWEN_LSP_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qwen_lsp", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env={**__import__("os").environ, **env},
    )
    try:
        assert proc.stdin and proc.stdout
        proc.stdin.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": None, "capabilities": {}}
                    | {"initializationOptions": init_options()},
                }
            )
        )
        proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        proc.stdin.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {
                        "textDocument": {
                            "uri": "file:///tmp/a.py",
                            "languageId": "python",
                            "version": 1,
                            "text": "import os\nos.pa",
                        }
                    },
                }
            )
        )
        proc.stdin.write(
            _frame(
                _request(
                    {
                        "triggerKind": 1,
                        "selectedCompletionInfo": {"range": VSCODE_RANGE, "text": "path"},
                    }
                )
            )
        )
        proc.stdin.flush()
        answer = None
        while answer is None:
            message = _read(proc.stdout)
            if message.get("id") == 7 and "method" not in message:
                answer = message
            elif "method" in message and "id" in message:
                proc.stdin.write(_frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
                proc.stdin.flush()
        assert "error" not in answer, answer
        assert isinstance(answer["result"]["items"], list)
    finally:
        proc.kill()
        proc.wait()
