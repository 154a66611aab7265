"""The remote backend (off by default): completions from an OpenAI-compatible server
(``/v1/completions``: vLLM, TGI, llama.cpp and llama-cpp-python servers) or llama.cpp's
``/infill``, over async HTTP (``httpx``).

- The OpenAI request carries a FIM prompt built here with the module's special tokens, in the
  layout of ``engine/prompt.py`` (:func:`prompt_text`); ``/infill`` carries the prefix, suffix
  and cross-file chunks (``input_extra``) and the server builds the prompt.
- Streaming: the text is checked against the plan's stop rule as it arrives, and the stream is
  closed as soon as the rule cuts it (the server stops generating when the client goes away).
- Timeouts: connect, and one deadline for the whole request. Cancelling the awaiting task
  closes the connection.
- Retries only where safe: once, when the request never reached the server (connection refused
  or the connect timed out, or a kept-alive connection was found closed before any answer).
- :class:`CircuitBreaker`: a failing endpoint is put aside for a cool-down that doubles while it
  keeps failing (up to 4x); after it, one request probes it.

What goes into a request is decided by the completion service (secrets redacted, excluded files
left out: ``security/redact.py``); nothing here imports LSP types.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .module import FimTokens
from .prompt import PromptParts

if TYPE_CHECKING:
    # Imported where a request is made: the remote is off by default, and httpx costs the
    # server about 20 MB of memory.
    import httpx

log = logging.getLogger(__name__)

APIS = ("openai", "llamacpp")


@dataclass(frozen=True)
class RemoteConfig:
    """Where the remote is and how long to wait for it."""

    url: str
    api: str = "openai"
    model: str = ""
    api_key: str = ""
    timeout: float = 1.5  # seconds for the whole request
    connect_timeout: float = 0.5
    cooldown: float = 30.0  # seconds a failing endpoint is put aside

    def endpoint(self) -> str:
        """The URL requests are posted to."""
        base = self.url.rstrip("/")
        if self.api == "llamacpp":
            return base if base.endswith("/infill") else base + "/infill"
        if base.endswith("/completions"):
            return base
        return base + ("/completions" if base.endswith("/v1") else "/v1/completions")


@dataclass
class RemoteRequest:
    """One completion for the remote: the prompt (OpenAI) or its parts (``/infill``)."""

    prompt: str = ""
    prefix: str = ""
    suffix: str = ""
    extra: list[tuple[str, str]] = field(default_factory=list)  # (file name, text) chunks
    max_tokens: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    stop_strings: list[str] = field(default_factory=list)
    stop: Callable[[str], int | None] | None = None  # the plan's rule: where to cut, once done

    def body(self, config: RemoteConfig) -> dict[str, Any]:
        """The JSON body for ``config``'s API."""
        common: dict[str, Any] = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": self.stop_strings,
            "stream": True,
            # Sample as the local engine does: llama-cpp-python's server penalises repeats by
            # default (1.1), which changes code (a second `push` becomes `pop`). Servers that do
            # not know the field ignore it (vLLM, TGI).
            "repeat_penalty": 1.0,
            "frequency_penalty": 0.0,
            "presence_penalty": 0.0,
        }
        if config.api == "llamacpp":
            return {
                **common,
                "input_prefix": self.prefix,
                "input_suffix": self.suffix,
                "input_extra": [{"filename": n, "text": t} for n, t in self.extra],
                "n_predict": self.max_tokens,
                "cache_prompt": True,
            }
        body = {**common, "prompt": self.prompt, "max_tokens": self.max_tokens}
        if config.model:
            body["model"] = config.model
        return body

    def sent_text(self, config: RemoteConfig) -> str:
        """What the request carries as context (hashed into the audit log)."""
        if config.api == "llamacpp":
            return json.dumps(
                {"prefix": self.prefix, "suffix": self.suffix, "extra": self.extra},
                sort_keys=True,
                ensure_ascii=False,
            )
        return self.prompt


@dataclass
class RemoteResult:
    """What the remote answered (already cut by the stop rule)."""

    text: str
    finish_reason: str  # stop | eos | length
    pieces: int  # streamed chunks (about one per token)
    first_byte_seconds: float
    seconds: float
    # Prompt tokens the server says it read (llama.cpp's ``tokens_evaluated``, OpenAI's
    # ``usage.prompt_tokens``); None when it did not say (or the stream was cut before).
    prompt_tokens: int | None = None


class RemoteError(Exception):
    """The remote could not answer; ``kind`` is connect, timeout, http or protocol."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def prompt_text(fim: FimTokens, parts: PromptParts, order: str) -> str:
    """The prompt of ``engine/prompt.build_prompt`` as text (special tokens by name, no
    token healing): what an OpenAI-compatible server tokenizes itself."""
    out = []
    if parts.snippets:
        for snippet in parts.snippets:
            out.append(f"{fim.file_sep}{snippet.path}\n{snippet.text.rstrip()}\n")
        out.append(f"{fim.file_sep}{parts.path or 'current'}\n")
    if order == "psm":
        out.append(f"{fim.prefix}{parts.prefix}{fim.suffix}{parts.suffix}{fim.middle}")
    elif order == "spm":
        out.append(f"{fim.prefix}{fim.suffix}{parts.suffix}{fim.middle}{parts.prefix}")
    elif order == "prefix_only":
        out.append(parts.prefix)
    else:
        raise ValueError(f"unknown prompt order {order!r}")
    return "".join(out)


# -- the circuit breaker ------------------------------------------------------------------------


class CircuitBreaker:
    """Closed (use the remote), open (put aside until a deadline), half-open (one probe)."""

    def __init__(self, cooldown: float = 30.0, max_factor: int = 4) -> None:
        self.cooldown = cooldown
        self.max_factor = max_factor
        self.failures = 0  # in a row
        self.open_until = 0.0
        self.last_error = ""
        self.successes = 0
        self.total_failures = 0
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """closed, open or half-open."""
        if self.failures == 0:
            return "closed"
        return "open" if time.monotonic() < self.open_until else "half-open"

    def available(self) -> bool:
        """Whether a request would be let through now (does not take the probe)."""
        with self._lock:
            return self.failures == 0 or (time.monotonic() >= self.open_until and not self._probing)

    def allow(self) -> bool:
        """Take the right to send one request now (after a cool-down: the one probe)."""
        with self._lock:
            if self.failures == 0:
                return True
            if time.monotonic() < self.open_until or self._probing:
                return False
            self._probing = True
            return True

    def success(self) -> None:
        """The remote answered."""
        with self._lock:
            self.failures = 0
            self.successes += 1
            self._probing = False
            self.last_error = ""

    def failure(self, reason: str) -> None:
        """The remote failed: put it aside (longer each time it fails again)."""
        with self._lock:
            self.failures += 1
            self.total_failures += 1
            self._probing = False
            self.last_error = reason
            factor = min(self.max_factor, 2 ** (self.failures - 1))
            self.open_until = time.monotonic() + self.cooldown * factor

    def release(self) -> None:
        """A request that took the probe ended without a verdict (cancelled)."""
        with self._lock:
            self._probing = False

    def retry_in(self) -> float:
        """Seconds until the next probe (0 when closed)."""
        return max(0.0, self.open_until - time.monotonic()) if self.failures else 0.0


# -- the client ---------------------------------------------------------------------------------


def _prompt_tokens(data: dict[str, Any]) -> int | None:
    """The prompt size an answer reports, if it reports one."""
    value = data.get("tokens_evaluated")
    usage = data.get("usage")
    if value is None and isinstance(usage, dict):
        value = usage.get("prompt_tokens")
    return value if isinstance(value, int) and value >= 0 else None


def _parse_event(api: str, data: dict[str, Any]) -> tuple[str, str | None]:
    """(text piece, finish reason or None) of one streamed or complete JSON answer."""
    if api == "llamacpp":
        piece = str(data.get("content", ""))
        if data.get("stop"):
            if data.get("stopped_limit") or data.get("stop_type") == "limit":
                return piece, "length"
            if data.get("stopped_word") or data.get("stop_type") == "word":
                return piece, "stop"
            return piece, "eos"
        return piece, None
    choices = data.get("choices") or []
    if not choices:
        return "", None
    choice = choices[0]
    piece = str(choice.get("text") or "")
    reason = choice.get("finish_reason")
    if reason is None:
        return piece, None
    return piece, {"length": "length", "stop": "eos"}.get(str(reason), str(reason))


class RemoteBackend:
    """One remote endpoint with its circuit breaker, shared by every session of the process."""

    def __init__(self, config: RemoteConfig) -> None:
        if config.api not in APIS:
            raise ValueError(f"unknown remote api {config.api!r}")
        self.config = config
        self.breaker = CircuitBreaker(config.cooldown)
        self.latencies_ms: list[float] = []
        self.requests = 0
        self.retries = 0
        # httpx clients hold connections bound to one event loop: one client per loop.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()

    def _timeout(self) -> httpx.Timeout:
        import httpx

        c = self.config
        return httpx.Timeout(c.timeout, connect=min(c.connect_timeout, c.timeout), pool=c.timeout)

    def new_client(self) -> httpx.AsyncClient:
        """A fresh HTTP client (the caller closes it)."""
        import httpx

        return httpx.AsyncClient(
            timeout=self._timeout(),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
            trust_env=False,  # proxies from the environment must not reroute code
        )

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = self._clients[loop] = self.new_client()
        return client

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream, application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        return headers

    async def complete(
        self, request: RemoteRequest, client: httpx.AsyncClient | None = None
    ) -> RemoteResult:
        """Run one request under the deadline; updates the circuit breaker. Raises
        :class:`RemoteError`; cancelling the caller closes the request."""
        self.requests += 1
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(
                self._with_retry(request, client or self._client(), started),
                self.config.timeout,
            )
        except asyncio.TimeoutError:
            error = RemoteError("timeout", f"no complete answer in {self.config.timeout:.2f} s")
            self.breaker.failure(str(error))
            raise error from None
        except RemoteError as exc:
            self.breaker.failure(str(exc))
            raise
        except asyncio.CancelledError:
            self.breaker.release()
            raise
        self.breaker.success()
        self.latencies_ms.append(result.seconds * 1000)
        del self.latencies_ms[:-100]
        return result

    async def _with_retry(
        self, request: RemoteRequest, client: httpx.AsyncClient, started: float
    ) -> RemoteResult:
        for attempt in (0, 1):
            try:
                return await self._once(request, client, started)
            except _NotSent as exc:
                remaining = self.config.timeout - (time.perf_counter() - started)
                if attempt == 0 and remaining > self.config.connect_timeout + 0.05:
                    self.retries += 1
                    await asyncio.sleep(0.05)
                    continue
                raise RemoteError("connect", str(exc)) from None
        raise AssertionError("unreachable")

    async def _once(
        self, request: RemoteRequest, client: httpx.AsyncClient, started: float
    ) -> RemoteResult:
        import httpx

        config = self.config
        text = ""
        pieces = 0
        finish = "length"
        first = 0.0
        answered = False
        prompt_tokens: int | None = None
        try:
            async with client.stream(
                "POST", config.endpoint(), json=request.body(config), headers=self._headers()
            ) as response:
                answered = True
                first = time.perf_counter() - started
                if response.status_code != 200:
                    detail = (await response.aread())[:200].decode("utf-8", "replace")
                    raise RemoteError(
                        "http", f"HTTP {response.status_code} from {config.endpoint()}: {detail}"
                    )
                kind = response.headers.get("content-type", "")
                if "text/event-stream" not in kind:
                    data = json.loads(await response.aread())
                    piece, reason = _parse_event(config.api, data)
                    prompt_tokens = _prompt_tokens(data) if isinstance(data, dict) else None
                    text, finish = piece, reason or "length"
                    pieces = 1
                else:
                    async for line in response.aiter_lines():
                        if not line.startswith("data:"):
                            continue
                        payload = line[5:].strip()
                        if payload == "[DONE]":
                            break
                        event = json.loads(payload)
                        if isinstance(event, dict) and "error" in event:
                            raise RemoteError("http", f"the server reported: {event['error']}")
                        piece, reason = _parse_event(config.api, event)
                        if isinstance(event, dict):
                            prompt_tokens = _prompt_tokens(event) or prompt_tokens
                        pieces += 1
                        text += piece
                        cut = _cut(text, request)
                        if cut is not None:
                            # Done by our rules: leaving the block closes the stream.
                            return RemoteResult(
                                text[:cut], "stop", pieces, first, time.perf_counter() - started
                            )
                        if reason is not None:
                            finish = reason
                            break
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise _NotSent(f"cannot connect to {config.endpoint()}: {exc}") from None
        except httpx.RemoteProtocolError as exc:
            if not answered:
                raise _NotSent(f"{config.endpoint()} closed the connection: {exc}") from None
            raise RemoteError("protocol", f"{config.endpoint()}: {exc}") from None
        except httpx.TimeoutException as exc:
            raise RemoteError("timeout", f"{config.endpoint()}: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise RemoteError("protocol", f"{config.endpoint()}: {exc}") from None
        except ValueError as exc:  # bad JSON
            raise RemoteError(
                "protocol", f"{config.endpoint()}: unreadable answer ({exc})"
            ) from None
        cut = _cut(text, request)
        if cut is not None:
            text, finish = text[:cut], "stop"
        return RemoteResult(
            text, finish, pieces, first, time.perf_counter() - started, prompt_tokens
        )

    def describe(self) -> dict[str, Any]:
        """State for ``qwen.modelInfo``."""
        lat = sorted(self.latencies_ms)
        return {
            "url": self.config.url,
            "api": self.config.api,
            "model": self.config.model or None,
            "state": self.breaker.state,
            "retry_in_s": round(self.breaker.retry_in(), 1),
            "last_error": self.breaker.last_error or None,
            "requests": self.requests,
            "successes": self.breaker.successes,
            "failures": self.breaker.total_failures,
            "retries": self.retries,
            "latency_ms_p50": round(lat[len(lat) // 2], 1) if lat else None,
        }

    async def aclose(self) -> None:
        """Close this loop's client."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


class _NotSent(Exception):
    """The request never reached the server (safe to retry)."""


def _cut(text: str, request: RemoteRequest) -> int | None:
    """Where the stop strings or the plan's rule end ``text`` (None: not done)."""
    cut = None
    for stop in request.stop_strings:
        i = text.find(stop)
        if i >= 0 and (cut is None or i < cut):
            cut = i
    head = text if cut is None else text[:cut]
    if request.stop is not None:
        rule = request.stop(head)
        if rule is not None:
            return rule
    return cut
