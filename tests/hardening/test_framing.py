"""Framing and envelope edge cases over a real pipe, each with its exact answer: lying,
missing and bad ``Content-Length``, stalled bodies, the size limit enforced before the body
is read, strict JSON, cancel with a bad id, requests after ``shutdown``, ``shutdown`` with a
command in flight. (The fuzzer covers the same ground at random; these pin the behaviour.)"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qwen_lsp.transport import scan_top_level

from .lsp_pipe import PipeServer, dumps, frame

STALL = 0.3
PARSE_ERROR, INVALID_REQUEST, REQUEST_FAILED = -32700, -32600, -32803


def _start(root: Path) -> PipeServer:
    srv = PipeServer(env={"QWEN_LSP_BODY_STALL_SECONDS": str(STALL)})
    srv.initialize(root, {"maxMessageBytes": 65536, "index": {"enable": False}})
    return srv


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory):
    """One session for the cases that leave it usable (each case checks it still serves)."""
    with _start(tmp_path_factory.mktemp("framing")) as srv:
        yield srv
        assert srv.tracebacks() == []
        assert srv.output_errors == []
        assert srv.proc.poll() is None


@pytest.fixture
def server(shared: PipeServer):
    shared.null_responses.clear()
    yield shared
    assert shared.tracebacks() == []


@pytest.fixture
def own_server(tmp_path: Path):
    """A session of its own, for the cases that end it."""
    with _start(tmp_path) as srv:
        yield srv
        assert srv.tracebacks() == []


def _symbol_request(srv: PipeServer, query: str = "x") -> tuple[int, bytes]:
    msg_id = srv.next_id()
    return msg_id, dumps(
        {"jsonrpc": "2.0", "id": msg_id, "method": "workspace/symbol", "params": {"query": query}}
    )


def _ok(srv: PipeServer, msg_id: int) -> None:
    answer = srv.response(msg_id, 20)
    assert "result" in answer, answer


def _error(srv: PipeServer, msg_id: int | None, code: int) -> str:
    if msg_id is None:
        srv.wait(lambda: srv.null_responses, 20, "an answer with id null")
        answer = srv.null_responses.pop(0)
    else:
        answer = srv.response(msg_id, 20)
    assert answer["error"]["code"] == code, answer
    return answer["error"]["message"]


def test_content_length_larger_than_the_message_then_another(server: PipeServer):
    a, body_a = _symbol_request(server)
    b, body_b = _symbol_request(server)
    server.write(frame(body_a, len(body_a) + 7) + frame(body_b))
    _ok(server, a)
    _ok(server, b)
    assert server.null_responses == []


def test_content_length_larger_than_the_only_message_is_answered_after_a_stall(server):
    a, body_a = _symbol_request(server)
    t0 = time.perf_counter()
    server.write(frame(body_a, len(body_a) + 100))
    _ok(server, a)
    assert time.perf_counter() - t0 >= STALL * 0.9  # it waited for the rest, then gave up
    _ok(server, server.request("workspace/symbol", {"query": "y"}))


def test_a_body_that_stops_arriving_is_answered_with_its_id(server: PipeServer):
    a, body_a = _symbol_request(server)
    server.write(frame(body_a[:-5], len(body_a)))  # the client writes less, and waits
    assert "incomplete message" in _error(server, a, PARSE_ERROR)
    _ok(server, server.request("workspace/symbol", {"query": "y"}))


def test_content_length_smaller_than_the_message(server: PipeServer):
    a, body_a = _symbol_request(server)
    b, body_b = _symbol_request(server)
    server.write(frame(body_a, len(body_a) - 9) + frame(body_b))
    _error(server, a, PARSE_ERROR)  # its id could still be read
    _ok(server, b)  # the rest of the first body is skipped up to the next header


@pytest.mark.parametrize(
    "header",
    [b"Content-Type: application/json\r\n", b"Content-Length: abc\r\n", b"Content-Length: -3\r\n"],
)
def test_missing_or_bad_content_length(server: PipeServer, header: bytes):
    a, body_a = _symbol_request(server)
    b, body_b = _symbol_request(server)
    server.write(header + b"\r\n" + body_a + frame(body_b))
    assert "invalid message header" in _error(server, None, PARSE_ERROR)
    _ok(server, b)
    assert server.responses.get(("int", a)) is None


def test_garbage_between_messages_is_skipped_unanswered(server: PipeServer):
    b, body_b = _symbol_request(server)
    server.write(b"\r\n\r\nhello\x00\xff there\r\n" + frame(body_b))
    _ok(server, b)
    assert server.null_responses == []


def test_oversize_request_is_answered_without_reading_it(server: PipeServer):
    msg_id = server.next_id()
    # 100 MB claimed and sent; the limit is 64 KiB: the body is skipped as it streams by.
    head = b'{"jsonrpc":"2.0","id":%d,"method":"workspace/symbol","params":{"query":"' % msg_id
    size = 100 * 1024 * 1024
    before_kb = _peak_rss_kb(server.proc.pid)
    server.write(b"Content-Length: %d\r\n\r\n" % size + head)
    chunk = b"q" * (1 << 20)
    left = size - len(head)
    while left > 0:
        server.write(chunk[: min(left, len(chunk))])
        left -= len(chunk)
    message = _error(server, msg_id, INVALID_REQUEST)
    assert "over the limit of 65536 bytes" in message and "maxMessageBytes" in message
    _ok(server, server.request("workspace/symbol", {"query": "y"}))
    grown_kb = _peak_rss_kb(server.proc.pid) - before_kb
    assert grown_kb < 40_000, f"the server held the body in memory (peak +{grown_kb} kB)"
    shown = server.notifications_of("window/showMessage")
    assert any("maxMessageBytes" in m["message"] for m in shown)


def test_oversize_change_drops_the_document_instead_of_serving_it_stale(server: PipeServer):
    uri = "file:///tmp/qwen-oversize-change.py"
    server.open(uri, "def before():\n    pass\n")
    assert server.call("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    server.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": "def after():\n    pass\n" + "#" * 100_000}],
        },
    )
    answer = server.response(
        server.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    )
    assert answer["error"]["code"] == REQUEST_FAILED and "not open" in answer["error"]["message"]
    shown = [m["message"] for m in server.notifications_of("window/showMessage")]
    assert any(uri in m and "not tracked until it is opened again" in m for m in shown)


def test_the_limit_is_a_setting(tmp_path: Path):
    big = "x" * 100_000
    with PipeServer() as srv:
        srv.initialize(tmp_path, {"index": {"enable": False}})  # default: 64 MiB
        assert srv.call("workspace/symbol", {"query": big}) == []


@pytest.mark.parametrize(
    "params",
    [b"[" * 20_000 + b"]" * 20_000, b"NaN", b"Infinity", b'{"query": "\xff"}'],
    ids=["nested-20000", "NaN", "Infinity", "invalid-utf8"],
)
def test_json_that_python_would_choke_on_or_accept_is_a_parse_error(server, params):
    msg_id = server.next_id()
    body = b'{"jsonrpc":"2.0","id":%d,"method":"workspace/symbol","params":' % msg_id
    server.write(frame(body + params + b"}"))
    _error(server, msg_id, PARSE_ERROR)
    _ok(server, server.request("workspace/symbol", {"query": "y"}))


@pytest.mark.parametrize("bad", [[], {}, None, 1.5, True])
def test_cancel_with_an_id_that_is_no_id(server: PipeServer, bad):
    server.notify("$/cancelRequest", {"id": bad})
    _ok(server, server.request("workspace/symbol", {"query": "y"}))


def test_requests_after_shutdown_are_refused_then_exit(own_server: PipeServer):
    server = own_server
    assert server.call("shutdown") is None
    msg_id = server.request("workspace/symbol", {"query": "y"})
    assert "shutting down" in _error(server, msg_id, INVALID_REQUEST)
    server.notify("exit")
    assert server.proc.wait(10) == 0


def test_shutdown_with_a_command_in_flight(own_server: PipeServer):
    server = own_server
    log = 'Traceback (most recent call last):\n  File "x.py", line 1\nNameError: y\n' * 3000
    command = server.request(
        "workspace/executeCommand", {"command": "qwen.explainLog", "arguments": [log]}
    )
    assert server.call("shutdown") is None  # pygls failed here: dict changed during iteration
    assert len(server.responses[("int", command)]) <= 1
    server.notify("exit")
    assert server.proc.wait(10) == 0
    assert len(server.responses[("int", command)]) == 1


def test_scan_top_level_reads_only_complete_members():
    assert scan_top_level('{"jsonrpc":"2.0","id":12,"method":"x","params":{"a":[1,') == {
        "jsonrpc": "2.0",
        "id": 12,
        "method": "x",
    }
    assert scan_top_level('{"id":12') == {}  # 12 may be the start of 123
    assert scan_top_level('{"params":{"id":5,"s":"}"},"id":"a"}')["id"] == "a"
    assert "result" in scan_top_level('{"id":1,"result":{"x":1}}')
    assert scan_top_level("[1,2]") == {} and scan_top_level("garbage") == {}


def test_the_same_recovery_over_tcp(tmp_path: Path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "qwen_lsp", "serve", "--tcp", "127.0.0.1:0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**__import__("os").environ, "QWEN_LSP_BODY_STALL_SECONDS": str(STALL)},
    )
    try:
        assert proc.stderr is not None
        port = None
        for _ in range(50):
            line = proc.stderr.readline().decode()
            if "listening on" in line:
                port = int(line.rsplit(":", 1)[1])
                break
        assert port, "the server did not announce its port"
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            init = dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
            )
            sym = dumps(
                {"jsonrpc": "2.0", "id": 2, "method": "workspace/symbol", "params": {"query": "x"}}
            )
            sock.sendall(frame(init) + b"garbage\r\n" + frame(sym, len(sym) + 40))
            got = b""
            deadline = time.monotonic() + 20
            while b'"id": 2' not in got and b'"id":2' not in got and time.monotonic() < deadline:
                got += sock.recv(65536)
            assert b'"id": 2' in got or b'"id":2' in got
    finally:
        proc.terminate()
        proc.wait(10)


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
