"""The remote client against real servers: llama-cpp-python's ``/v1/completions`` (FIM prompt
built here with the module's special tokens) gives the engine's own text for the same prompt;
the stop rule closes the stream early; timeouts, refused connections, the circuit breaker;
cancelling closes the connection (the server says so, and answers the next request at once);
llama.cpp's ``/infill`` with cross-file chunks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time

import pytest

from qwen_lsp.engine.generate import GenerationRequest, generate
from qwen_lsp.engine.prompt import PromptParts, Snippet, build_prompt
from qwen_lsp.engine.registry import LoadedModel, ModelRegistry
from qwen_lsp.engine.remote import (
    CircuitBreaker,
    RemoteBackend,
    RemoteConfig,
    RemoteError,
    RemoteRequest,
    prompt_text,
)

from .conftest import MODULE, ServerProcess, free_port

PARTS = [
    PromptParts(
        "import os\n\n\ndef read_lines(path):\n    with open(path) as fh:\n        ",
        "\n\n\ndef main():\n    pass\n",
    ),
    # No digits: llama.cpp's pre-tokenizer splits numbers digit by digit, ours by three, so a
    # prompt with numbers reaches the model as other (valid) tokens.
    PromptParts("def is_empty(items):\n    return ", "\n\n\ndef first(items):\n    pass\n"),
    PromptParts(
        "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n"
        "        ",
        "\n",
        "stack.py",
        (
            Snippet(
                "queue.py",
                "class Queue:\n    def put(self, item):\n        self.items.append(item)",
            ),
        ),
    ),
]


@pytest.fixture(scope="module")
def engine() -> LoadedModel:
    return ModelRegistry(threads=1).get(MODULE)


def _stops(model: LoadedModel) -> list[str]:
    return [model.module.fim.eos, *model.module.stop_tokens]


@pytest.mark.parametrize("case", range(len(PARTS)))
async def test_openai_stream_is_the_engines_text(
    llama_server: ServerProcess, engine: LoadedModel, case: int
) -> None:
    parts = PARTS[case]
    prompt = build_prompt(engine.tokenizer, parts, "psm", heal=False)
    local, _kv = generate(engine.session, engine.tokenizer, GenerationRequest(prompt.ids, 24))
    backend = RemoteBackend(RemoteConfig(llama_server.url, "openai", timeout=60))
    request = RemoteRequest(
        prompt=prompt_text(engine.module.fim, parts, "psm"),
        max_tokens=24,
        stop_strings=_stops(engine),
    )
    answer = await backend.complete(request)
    assert answer.text == local.text
    assert answer.pieces >= 1 and answer.first_byte_seconds <= answer.seconds
    assert backend.breaker.state == "closed" and backend.breaker.successes == 1


async def test_the_plans_stop_rule_closes_the_stream(
    llama_server: ServerProcess, engine: LoadedModel
) -> None:
    parts = PromptParts("def f(x):\n    ", "")
    text = prompt_text(engine.module.fim, parts, "prefix_only")
    seen: list[str] = []

    def first_line(so_far: str) -> int | None:
        seen.append(so_far)
        nl = so_far.find("\n")
        return nl if nl >= 0 else None

    backend = RemoteBackend(RemoteConfig(llama_server.url, "openai", timeout=60))
    answer = await backend.complete(
        RemoteRequest(prompt=text, max_tokens=200, stop_strings=_stops(engine), stop=first_line)
    )
    assert "\n" not in answer.text
    assert answer.finish_reason == "stop"
    # Stopped as soon as the rule cut: far fewer pieces than the 200 allowed.
    assert answer.pieces == len(seen) < 60


async def test_timeout_puts_the_endpoint_aside(llama_server: ServerProcess, engine: LoadedModel):
    backend = RemoteBackend(RemoteConfig(llama_server.url, "openai", timeout=0.3, cooldown=1))
    request = RemoteRequest(prompt="def f():\n", max_tokens=2000, stop_strings=[])
    started = time.monotonic()
    with pytest.raises(RemoteError) as caught:
        await backend.complete(request)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 1.5
    assert backend.breaker.state == "open" and not backend.breaker.available()
    await asyncio.sleep(1.1)
    assert backend.breaker.state == "half-open"
    assert backend.breaker.allow() and not backend.breaker.allow()  # one probe only
    backend.breaker.release()
    ok = await RemoteBackend(RemoteConfig(llama_server.url, "openai", timeout=60)).complete(
        RemoteRequest(prompt="x = ", max_tokens=4, stop_strings=_stops(engine))
    )
    assert ok.pieces >= 1  # the server is fine: only our deadline was short


async def test_refused_connection_fails_fast_after_one_safe_retry() -> None:
    port = free_port()  # nobody listens here
    backend = RemoteBackend(RemoteConfig(f"http://127.0.0.1:{port}", "openai", timeout=2))
    started = time.monotonic()
    with pytest.raises(RemoteError) as caught:
        await backend.complete(RemoteRequest(prompt="x", max_tokens=4))
    assert caught.value.kind == "connect"
    assert time.monotonic() - started < 0.5
    assert backend.retries == 1
    assert backend.breaker.state == "open"
    assert "cannot connect" in backend.breaker.last_error


def test_breaker_cooldown_doubles_up_to_four_times() -> None:
    breaker = CircuitBreaker(cooldown=10)
    for expected in (10, 20, 40, 40):
        breaker.failure("down")
        assert expected - 0.5 < breaker.retry_in() <= expected
    breaker.success()
    assert breaker.state == "closed" and breaker.retry_in() == 0


class _SlowSSE:
    """A real TCP server that answers with an event stream, one event every 100 ms, and
    records when the client closes the connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.closed_at: float | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            try:
                for i in range(200):
                    event = b'data: {"choices": [{"text": "a", "finish_reason": null}]}\n\n'
                    conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
                    time.sleep(0.1)
                    del i
            except OSError:
                self.closed_at = time.monotonic()

    def close(self) -> None:
        self.sock.close()


async def test_cancelling_closes_the_connection() -> None:
    server = _SlowSSE()
    backend = RemoteBackend(RemoteConfig(f"http://127.0.0.1:{server.port}", "openai", timeout=30))
    task = asyncio.create_task(backend.complete(RemoteRequest(prompt="x", max_tokens=500)))
    await asyncio.sleep(0.5)
    cancelled_at = time.monotonic()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.to_thread(server.thread.join, 3)
    assert server.closed_at is not None, "the server kept streaming to a closed request"
    assert server.closed_at - cancelled_at < 0.5
    assert backend.breaker.state == "closed"  # a cancel is no failure of the endpoint
    server.close()


async def test_cancelling_stops_the_real_server(llama_server: ServerProcess, engine: LoadedModel):
    backend = RemoteBackend(RemoteConfig(llama_server.url, "openai", timeout=120))
    long = RemoteRequest(prompt="def f():\n", max_tokens=1500, stop_strings=[])
    task = asyncio.create_task(backend.complete(long))
    await asyncio.sleep(1.0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    started = time.monotonic()
    quick = await backend.complete(
        RemoteRequest(prompt="x = ", max_tokens=4, stop_strings=_stops(engine))
    )
    assert quick.pieces >= 1
    # The server serves one request at a time: it answers at once only because it stopped
    # the cancelled generation (1500 tokens would take many seconds on one thread).
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 5
    while "Disconnected from client" not in llama_server.log_text():
        assert time.monotonic() < deadline, llama_server.log_text()[-2000:]
        await asyncio.sleep(0.1)


SHAPES = "class Rect:\n    def area(self):\n        return self.w * self.h\n"


async def test_infill_with_cross_file_chunks(
    llamacpp_native: ServerProcess, engine: LoadedModel
) -> None:
    backend = RemoteBackend(RemoteConfig(llamacpp_native.url, "llamacpp", timeout=60))

    def request(extra: list[tuple[str, str]], **kw) -> RemoteRequest:
        return RemoteRequest(
            prefix="def area(width, height):\n    return ",
            suffix="\n",
            extra=extra,
            **{"max_tokens": 4, "stop_strings": [], **kw},
        )

    # The chunks reach the model: the server reads the chunk's tokens (and its file name's)
    # on top of the same request without them.
    bare = await backend.complete(request([]))
    both = await backend.complete(request([("shapes.py", SHAPES), ("util.py", "X = 1\n")]))
    assert bare.prompt_tokens and both.prompt_tokens, (bare, both)
    chunk_tokens = len(engine.tokenizer.encode(SHAPES)) + len(engine.tokenizer.encode("X = 1\n"))
    assert both.prompt_tokens - bare.prompt_tokens >= chunk_tokens, (bare, both, chunk_tokens)
    # A one-line completion, streamed and cut by the stop string.
    answer = await backend.complete(
        request([("shapes.py", SHAPES)], max_tokens=16, stop_strings=["\n", *_stops(engine)])
    )
    assert answer.text.strip(), answer
    assert "\n" not in answer.text
    assert answer.pieces >= 1 and answer.finish_reason in ("stop", "eos", "length")
    assert backend.breaker.successes == 3


def test_endpoints() -> None:
    assert RemoteConfig("http://h:1").endpoint() == "http://h:1/v1/completions"
    assert RemoteConfig("http://h:1/v1/").endpoint() == "http://h:1/v1/completions"
    assert RemoteConfig("http://h:1", "llamacpp").endpoint() == "http://h:1/infill"
    assert (
        RemoteConfig("https://api.example.com/v1/completions").endpoint()
        == "https://api.example.com/v1/completions"
    )


def test_prompt_text_matches_the_engines_prompt(engine: LoadedModel) -> None:
    from tokenizers import Tokenizer

    plain = Tokenizer.from_file(str(MODULE / "tokenizer.json"))  # specials recognised in text
    for parts in PARTS:
        for order in ("psm", "spm", "prefix_only"):
            ids = build_prompt(engine.tokenizer, parts, order, heal=False).ids
            text = prompt_text(engine.module.fim, parts, order)
            assert plain.encode(text, add_special_tokens=False).ids == ids, (order, parts)
