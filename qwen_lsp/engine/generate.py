"""The generation loop: prefill, step, pick, stop.

:func:`prefill` runs the prompt (only the part the KV prefix cache does not already hold);
:func:`decode` steps one or several sequences together (left-padded past, one attention mask),
each sequence picking its own tokens (token healing, sampling) and stopping on its own rules.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .healing import HealingConstraint
from .sampling import pick
from .session import DecoderSession, KVCache
from .tokenizer import ModelTokenizer, _decode_complete

log = logging.getLogger(__name__)

PREFILL_CHUNK = 384


@dataclass
class GenerationRequest:
    """What to generate: a prompt (token ids) and when to stop."""

    prompt: list[int]
    max_new_tokens: int = 64
    heal: bytes = b""  # bytes cut from the prompt's end; the output must re-create them first
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    stop: Callable[[str], int | None] | None = None  # -> where to cut the text, when done
    cancelled: Callable[[], bool] = lambda: False
    cache_key: str | None = None  # KV prefix cache slot (e.g. the document)
    ignore_eos: bool = False  # keep going past end-of-text (tests against fixed-length outputs)
    # Streaming: called on the decoding thread with the text so far after each accepted token
    # (stop rules applied), once the text continues what healing removed. Must be quick.
    on_text: Callable[[str], None] | None = None
    # Tokens the first generated token may not be: a retry after the syntax check rejected the
    # candidates that started with them (the next most likely start instead).
    exclude_first: tuple[int, ...] = ()


@dataclass
class GenerationResult:
    """What came out, and what it cost."""

    tokens: list[int]
    text: str
    finish_reason: str  # eos | stop | length | cancelled
    prompt_tokens: int
    reused_tokens: int = 0
    prefill_seconds: float = 0.0
    decode_seconds: float = 0.0
    batch_size: int = 1


@dataclass
class SequenceState:
    """One sequence being generated."""

    request: GenerationRequest
    tokenizer: ModelTokenizer
    tokens: list[int] = field(default_factory=list)
    text: str = ""
    finish_reason: str | None = None
    healing: HealingConstraint | None = None
    rng: np.random.Generator | None = None

    def __post_init__(self) -> None:
        if self.request.heal:
            self.healing = HealingConstraint(self.tokenizer, self.request.heal)
        if self.request.temperature > 0:
            self.rng = np.random.default_rng(self.request.seed)

    @property
    def done(self) -> bool:
        """Whether this sequence has finished."""
        return self.finish_reason is not None

    def choose(self, logits: np.ndarray) -> int:
        """Pick the next token from this sequence's logits row."""
        allowed = self.healing.allowed() if self.healing and self.healing.active else None
        req = self.request
        first = not self.tokens and self.finish_reason is None
        if first and req.exclude_first:
            excluded = set(req.exclude_first)
            if allowed is not None:
                allowed = [t for t in allowed if t not in excluded]
            logits = logits.copy()
            logits[list(excluded)] = -np.inf
        if allowed == []:
            allowed = None  # nothing re-creates the text: let the model decide
            self.healing = None
        token = pick(logits, allowed, req.temperature, req.top_p, self.rng)
        if self.healing and self.healing.active:
            self.healing.advance(token)
        return token

    def accept(self, token: int) -> None:
        """Record a token and apply the stop rules."""
        req = self.request
        if req.cancelled():
            self.finish_reason = "cancelled"
            return
        if token in self.tokenizer.stop_ids and not req.ignore_eos:
            self.finish_reason = "eos"
            return
        self.tokens.append(token)
        data = self.tokenizer.decode_bytes(self.tokens)
        removed = self.healing.removed if self.healing else b""
        healed = data.startswith(removed)
        self.text = _decode_complete(data[len(removed) :] if healed else data)
        if req.stop is not None and (cut := req.stop(self.text)) is not None:
            self.text = self.text[:cut]
            self.finish_reason = "stop"
        elif len(self.tokens) >= req.max_new_tokens:
            self.finish_reason = "length"
        if req.on_text is not None and healed:
            try:
                req.on_text(self.text)
            except Exception:  # a failing listener must not stop the generation
                log.exception("streaming listener failed")
                req.on_text = None

    def result(
        self, prompt_tokens: int, reused: int, prefill_s: float, decode_s: float, batch: int
    ) -> GenerationResult:
        """The final result."""
        return GenerationResult(
            self.tokens,
            self.text,
            self.finish_reason or "length",
            prompt_tokens,
            reused,
            prefill_s,
            decode_s,
            batch,
        )


def prefill(
    session: DecoderSession,
    prompt: list[int],
    cache: KVCache | None = None,
    cancelled: Callable[[], bool] | None = None,
    reserve: int = 0,
) -> tuple[np.ndarray, KVCache]:
    """Run ``prompt`` after ``cache`` (which holds its first ``cache.length`` tokens);
    returns the last position's logits and the cache of the whole prompt. Checks
    ``cancelled`` between chunks (the caller then discards the partial result). Shared
    buffers are sized for ``reserve`` more positions (the tokens to generate)."""
    kv = cache if cache is not None else session.empty_cache(capacity=len(prompt) + reserve)
    start = kv.length
    if start >= len(prompt):
        raise ValueError("prefill needs at least one new token")
    logits = None
    for i in range(start, len(prompt), PREFILL_CHUNK):
        ids = prompt[i : i + PREFILL_CHUNK]
        n = len(ids)
        logits, kv = session.forward(
            np.array([ids], dtype=np.int64),
            np.ones((1, i + n), dtype=np.int64),
            np.arange(i, i + n, dtype=np.int64)[None, :],
            kv,
        )
        if cancelled is not None and cancelled() and i + n < len(prompt):
            break
    assert logits is not None
    return logits[0], kv


def decode(
    session: DecoderSession,
    states: list[SequenceState],
    caches: list[KVCache],
    first_logits: list[np.ndarray],
) -> None:
    """Generate for ``states`` together until every one has finished. With shared buffers a
    finished sequence leaves the batch (its row dropped); plain graphs keep stepping it."""
    reserve = max(s.request.max_new_tokens for s in states) + 1
    with session.batched(caches, reserve) as (kv, mask):
        positions = np.array([c.length for c in caches], dtype=np.int64)
        rows = list(states)  # the state of each batch row
        logits_rows = list(first_logits)
        pad = states[0].tokenizer.eos_id or 0
        while True:
            next_ids = []
            for state, row in zip(rows, logits_rows, strict=True):
                if state.done:
                    next_ids.append(pad)
                    continue
                token = state.choose(row)
                state.accept(token)
                next_ids.append(token)
            if all(s.done for s in rows):
                return
            if kv.shared and any(s.done for s in rows):
                live = [i for i, s in enumerate(rows) if not s.done]
                # ``positions`` holds each row's valid length: only that much moves.
                kv, order = session.keep_rows(kv, live, positions)
                rows = [rows[i] for i in order]
                next_ids = [next_ids[i] for i in order]
                mask, positions = mask[order], positions[order]
                # ORT's GroupQueryAttention takes the mask's width as the longest row's
                # length: trim the padding the dropped rows needed (rows are right-aligned).
                mask = mask[:, mask.shape[1] - int(mask.sum(axis=1).max()) :]
            mask = np.concatenate([mask, np.ones((len(rows), 1), dtype=np.int64)], axis=1)
            logits, kv = session.forward(
                np.array(next_ids, dtype=np.int64)[:, None], mask, positions[:, None], kv
            )
            positions += 1
            logits_rows = [logits[i] for i in range(len(rows))]


def generate(
    session: DecoderSession,
    tokenizer: ModelTokenizer,
    request: GenerationRequest,
    cache: KVCache | None = None,
) -> tuple[GenerationResult, KVCache]:
    """Generate for one request; returns the result and the prompt's KV cache (for reuse)."""
    t0 = time.perf_counter()
    logits, prompt_kv = prefill(session, request.prompt, cache, reserve=request.max_new_tokens + 1)
    t1 = time.perf_counter()
    state = SequenceState(request, tokenizer)
    decode(session, [state], [prompt_kv], [logits])
    t2 = time.perf_counter()
    reused = cache.length if cache is not None else 0
    return state.result(len(request.prompt), reused, t1 - t0, t2 - t1, 1), prompt_kv
