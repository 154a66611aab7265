"""Batched decoding over the session's reusable batch workspace: a batch gives what each of
its requests gives alone, with rows finishing at different times (a fused graph drops them from
the batch), after the workspace held an earlier batch of another size and other lengths (stale
keys and values past each row's length), over uninitialised memory, and when a second decode
asks for the workspace while one holds it. Both kinds of graph: the shipped module's fused graph
(one shared KV buffer per sequence) and the plain fp32 exports of ``tests/fixtures`` (whose
batched tokens are transformers' own, exactly).

ONNX Runtime's int4 matrix kernels round a batch of one row differently from a batch of several
(up to ~0.2 in a logit with the shipped module, before this workspace as after it), so a
batched row of the fused graph may take the other of two nearly tied tokens. Its rows are
compared with their one-by-one tokens, which they may leave only at a choice that was that
close; a row mixed up with another, or stale keys read, changes clear choices (logits ~10
apart)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
import pytest

from qwen_lsp.engine.generate import GenerationRequest, SequenceState, decode, generate, prefill
from qwen_lsp.engine.registry import ModelRegistry

from ..support import REPO

# Rows finishing at different times: the first, third and fifth rows end early, so later live
# rows move into their places (in an order other than the batch's).
STEPS = [3, 16, 5, 16, 1, 9]
# A one-by-one choice whose best logit leads the second by less than this may go the other way
# in a batch (see above).
CLEAR = 1.0


@pytest.fixture(scope="module")
def fused():
    """The shipped python module (a fused graph with shared KV buffers)."""
    loaded = ModelRegistry().get(REPO / "qwen_lsp" / "models" / "python")
    assert loaded.session.shared_kv
    return loaded


def _source_prompts(tokenizer, lengths: list[int]) -> list[list[int]]:
    """Prompts of ``lengths`` tokens, each a different stretch of real code (a standard library
    module: the same text for as long as the interpreter; past its long docstring, where most of
    the model's choices are clear)."""
    text = (Path(sysconfig.get_paths()["stdlib"]) / "email" / "_header_value_parser.py").read_text()
    ids = tokenizer.encode(text)
    prompts, start = [], 4000
    for n in lengths:
        prompts.append(ids[start : start + n])
        start += n // 2 + 17
    return prompts


def _alone(session, tokenizer, prompt: list[int], steps: int) -> tuple[list[int], list[float]]:
    """Greedy tokens of ``prompt`` decoded alone, and the lead of each choice's logit over the
    runner-up (the session's own steps, which give the engine's tokens)."""
    logits, kv = prefill(session, prompt, reserve=steps + 1)
    tokens, margins = [], []
    while True:
        second, best = np.partition(logits, -2)[-2:]
        margins.append(float(best - second))
        tokens.append(int(np.argmax(logits)))
        if len(tokens) == steps:
            break
        step, kv = session.forward(
            np.array([[tokens[-1]]]),
            np.ones((1, kv.length + 1), dtype=np.int64),
            np.array([[kv.length]]),
            kv,
        )
        logits = step[0]
    request = GenerationRequest(prompt, max_new_tokens=steps, ignore_eos=True)
    assert generate(session, tokenizer, request)[0].tokens == tokens
    return tokens, margins


def _assert_agree(got: list[list[int]], alone: list[tuple[list[int], list[float]]]) -> None:
    """Each batched row has its one-by-one tokens, or leaves them only at a close choice (after
    which the rest cannot be compared); and most tokens were compared."""
    compared = total = 0
    for row, (tokens, (want, margins)) in enumerate(zip(got, alone, strict=True)):
        assert len(tokens) == len(want), row
        apart = next(
            (i for i, (a, b) in enumerate(zip(tokens, want, strict=True)) if a != b), len(want)
        )
        if apart < len(want):
            assert margins[apart] < CLEAR, (row, apart, margins[apart])
        compared += apart
        total += len(want)
    assert compared >= total // 2, (compared, total)


def _prefilled(session, tokenizer, prompts: list[list[int]], steps: list[int]):
    states, caches, logits = [], [], []
    for prompt, n in zip(prompts, steps, strict=True):
        first, kv = prefill(session, prompt, reserve=n + 1)
        request = GenerationRequest(prompt, max_new_tokens=n, ignore_eos=True)
        states.append(SequenceState(request, tokenizer))
        caches.append(kv)
        logits.append(first)
    return states, caches, logits


def _batched(session, tokenizer, prompts: list[list[int]], steps: list[int]) -> list[list[int]]:
    states, caches, logits = _prefilled(session, tokenizer, prompts, steps)
    decode(session, states, caches, logits)
    return [s.tokens for s in states]


def test_fused_rows_finishing_apart_agree_with_one_by_one(fused):
    session, tokenizer = fused.session, fused.tokenizer
    prompts = _source_prompts(tokenizer, [40, 310, 95, 600, 220, 150])
    alone = [_alone(session, tokenizer, p, n) for p, n in zip(prompts, STEPS, strict=True)]
    _assert_agree(_batched(session, tokenizer, prompts, STEPS), alone)
    assert session.workspace.nbytes > 0  # the merged batch lived in the workspace


def test_fused_workspace_reused_by_a_smaller_batch_holds_stale_data_that_is_never_read(fused):
    """A batch of six long prompts fills the workspace; a batch of three shorter ones then
    views the same memory with another shape, over keys left by the first: still what each
    gives alone."""
    session, tokenizer = fused.session, fused.tokenizer
    big = _source_prompts(tokenizer, [700, 520, 650, 480, 610, 560])
    _batched(session, tokenizer, big, [12] * len(big))
    held = session.workspace.nbytes
    small = _source_prompts(tokenizer, [130, 45, 260])
    steps = [16, 4, 10]
    states, caches, logits = _prefilled(session, tokenizer, small, steps)
    with session.batched(caches, max(steps) + 1) as (kv, _mask):
        key = kv.arrays()[0][0]
        # What lies past each row's length is the first batch's data, not zeros: a graph
        # reading it would give other tokens.
        assert all((key[row, :, c.length :] != 0).any() for row, c in enumerate(caches))
    decode(session, states, caches, logits)
    alone = [_alone(session, tokenizer, p, n) for p, n in zip(small, steps, strict=True)]
    _assert_agree([s.tokens for s in states], alone)
    assert session.workspace.nbytes == held  # reused, not reallocated


def _poison(session, rows: int, positions: int) -> int:
    """Fill the workspace (grown to ``rows`` x ``positions`` if need be) with NaN, as
    uninitialised memory may be; returns the bytes it holds."""
    flat = session.workspace.take(
        session.num_layers, rows * session.kv_heads * positions * session.head_dim, session.kv_dtype
    )
    assert flat is not None
    for key, value in flat:
        key.fill(np.nan)
        value.fill(np.nan)
    session.workspace.give_back()
    return session.workspace.nbytes


def test_fused_positions_past_each_row_are_never_read_even_when_not_numbers(fused):
    """The workspace is not zeroed (uninitialised memory may hold any bit pattern): with NaN
    everywhere before the batch, every row still gives what it gives alone."""
    session, tokenizer = fused.session, fused.tokenizer
    held = _poison(session, 4, 2048)
    prompts = _source_prompts(tokenizer, [350, 120, 500, 60])
    steps = [10, 3, 16, 7]
    alone = [_alone(session, tokenizer, p, n) for p, n in zip(prompts, steps, strict=True)]
    _assert_agree(_batched(session, tokenizer, prompts, steps), alone)
    assert session.workspace.nbytes == held  # the NaN-filled buffers were the ones used


def test_a_decode_while_the_workspace_is_held_gets_its_own_buffers(fused):
    """A second decode (re-entrant use) while a merged batch holds the workspace: it gives
    what its rows give alone and leaves the first batch's keys and values as they were."""
    session, tokenizer = fused.session, fused.tokenizer
    first = _source_prompts(tokenizer, [300, 200])
    _states, first_caches, _logits = _prefilled(session, tokenizer, first, [8, 8])
    other = _source_prompts(tokenizer, [90, 400, 250])
    steps = [6, 12, 2]
    alone = [_alone(session, tokenizer, p, n) for p, n in zip(other, steps, strict=True)]
    with session.batched(first_caches, 9) as (kv, _mask):
        before = [(k.copy(), v.copy()) for k, v in kv.arrays()]
        _assert_agree(_batched(session, tokenizer, other, steps), alone)
        after = kv.arrays()
        for (k0, v0), (k1, v1) in zip(before, after, strict=True):
            assert np.array_equal(k0, k1) and np.array_equal(v0, v1)


def test_keep_rows_moves_the_last_live_rows_into_the_holes(fused):
    """Rows 1, 3 and 4 of five stay: row 3 moves to place 0 and row 4 to place 2, each copying
    its valid positions only (what lies past them is the dropped row's, untouched); row 1 stays
    where it is."""
    session = fused.session
    caches = [session.empty_cache(capacity=32) for _ in range(5)]
    for row, cache in enumerate(caches):
        cache.length = 20 - 2 * row
        for key, value in cache.arrays():
            key[...] = row + 1
            value[...] = -(row + 1)
    lengths = [c.length for c in caches]
    with session.batched(caches, 4) as (kv, _mask):
        kept, order = session.keep_rows(kv, [1, 3, 4], lengths)
        assert order == [3, 1, 4]
        for key, value in kept.arrays():
            assert key.shape[0] == 3
            for new, old in enumerate(order):
                assert np.all(key[new, :, : lengths[old]] == old + 1)
                assert np.all(value[new, :, : lengths[old]] == -(old + 1))
            assert np.all(key[0, :, lengths[3] : lengths[0]] == 1)
            assert np.all(key[2, :, lengths[4] : lengths[2]] == 3)


def test_plain_rows_finishing_apart_give_the_transformers_tokens(tiny_model):
    """A plain graph, where finished rows keep stepping: every row's tokens are
    transformers' own greedy tokens (``expected.json``), before and after the workspace held a
    larger batch of other lengths, and over a workspace full of NaN."""
    _module, tokenizer, session, expected = tiny_model
    cases = expected["single"]
    first = cases[:6]
    got = _batched(session, tokenizer, [c["prompt_ids"] for c in first], STEPS)
    assert got == [c["new_ids"][:n] for c, n in zip(first, STEPS, strict=True)]
    assert session.workspace.nbytes > 0
    second = cases[-3:]
    steps = [16, 4, 10]
    got = _batched(session, tokenizer, [c["prompt_ids"] for c in second], steps)
    assert got == [c["new_ids"][:n] for c, n in zip(second, steps, strict=True)]
    # Uninitialised memory in the left padding would reach the logits through the mask.
    held = _poison(session, 4, 512)
    got = _batched(session, tokenizer, [c["prompt_ids"] for c in first[:4]], STEPS[:4])
    assert got == [c["new_ids"][:n] for c, n in zip(first[:4], STEPS[:4], strict=True)]
    assert session.workspace.nbytes == held
