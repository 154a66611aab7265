"""Syntax retries of requests answered together are decoded together: each caller stays
expected by the scheduler after its answer until it submits its retry or is done, so the
retries of one batch form one batch instead of running one by one.

Exact answers come from the fp32 fixture export (``tests/fixtures/tiny_qwen2``, a plain graph
whose batched tokens equal its one-by-one tokens): its noise is rejected by the syntax check
zero, one or two times depending on the document, so the retry rounds have different sizes.
The shipped int4 module (a fused graph) shows the same batching on real code; its answers are
not compared with one-by-one answers, because ONNX Runtime's int4 matrix kernels round a batch
of one row differently from a batch of several (up to ~0.2 in a logit here, with or without
this batching), which flips near-tied tokens."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from qwen_lsp.completion import syntax_check
from qwen_lsp.completion.service import CompletionQuery, CompletionService, Suggestion
from qwen_lsp.engine.generate import GenerationRequest
from qwen_lsp.engine.registry import ModelRegistry
from qwen_lsp.engine.scheduler import Scheduler

from ..support import REPO
from .support import completion_settings, query_at
from .test_syntax_retry import AFTER, BEFORE, PYTHON

TINY = REPO / "tests" / "fixtures" / "tiny_qwen2"
SHIPPED = REPO / "qwen_lsp" / "models" / "python"

# (before the cursor, after it).
FACTORIALS = (BEFORE, AFTER)
# With the fixture: two retries (the second one's candidate parses), one retry, two retries
# (nothing parses), no retry, two retries (nothing parses), two retries (the second parses).
TINY_DOCUMENTS = {
    "factorials": FACTORIALS,
    "spaced": (BEFORE.replace("n+1", "n + 1"), AFTER),
    "add": ("def add(a, b):\n    ", "\n\nprint(add(1, 2))\n"),
    "imports": ("import ", "\n"),
    "call": ("import os\n\nprint(os.path.join('a', ", "))\n"),
    "string": ("name = '", "'\n"),
}
# With the shipped module: the first four candidates are rejected once (the cursor on an empty
# line that must open the block the next lines are indented for), the last two are not.
SHIPPED_DOCUMENTS = {
    "factorials": FACTORIALS,
    "renamed": (BEFORE.replace("def f(", "def h("), AFTER),
    "classify": (
        "def classify(values):\n    out = []\n    for v in values:\n        ",
        "\n            out.append('neg')\n        else:\n            out.append('pos')\n"
        "    return out\n",
    ),
    "spaced": (BEFORE.replace("n+1", "n + 1"), AFTER),
    "add": ("def add(a, b):\n    ", "\n\nprint(add(1, 2))\n"),
    "loop_k": (
        BEFORE.replace("for i in range(1,n+1)", "for k in range(1, n + 1)"),
        AFTER.replace("i+1", "k+1"),
    ),
}


def _queries(module: Path, documents: dict[str, tuple[str, str]]) -> list[CompletionQuery]:
    settings = completion_settings(module)
    return [
        query_at(f"file:///project/{name}.py", before, after, settings)
        for name, (before, after) in documents.items()
    ]


def _service(module: Path) -> CompletionService:
    """A service with the module loaded (loading must not keep a request from its batch) and a
    long cap on the wait for callers on their way: the batches form because every caller comes
    or settles, not because a wait ran out."""
    service = CompletionService(ModelRegistry(), Scheduler(coming_wait=30.0))
    service.load("python", completion_settings(module))
    return service


def _text(suggestion: Suggestion | None) -> str | None:
    return suggestion.text if suggestion is not None else None


def _ask_async(service: CompletionService, queries: list[CompletionQuery]) -> tuple[list, int]:
    """The queries' suggestions, asked at once on one event loop; and the batches that were
    not theirs (none)."""

    async def ask_all() -> list[Suggestion | None]:
        return list(await asyncio.gather(*(service.complete(q) for q in queries)))

    return asyncio.run(ask_all()), 0


def _ask_threads(service: CompletionService, queries: list[CompletionQuery]) -> tuple[list, int]:
    """The queries' suggestions, asked at once from a thread each; and the batches that were
    not theirs (one). Threads start one after the other, so the first request could be
    prepared before the last thread has begun: a job of its own holds the worker until every
    request is queued, so that they start as one batch."""
    model = service.load("python", queries[0].settings)
    assert model is not None
    holding, release = threading.Event(), threading.Event()

    def hold(_text: str) -> None:
        holding.set()
        release.wait(60)
        return None

    service.scheduler.submit(model, GenerationRequest([1, 2, 3], max_new_tokens=1, stop=hold))
    assert holding.wait(60)
    got: list[Suggestion | None] = [None] * len(queries)
    failures: list[BaseException] = []

    def ask(i: int) -> None:
        try:
            got[i] = service.complete_sync(queries[i])
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(queries))]
    for thread in threads:
        thread.start()
    for _ in range(6000):
        if service.scheduler.stats.jobs == 1 + len(queries) or failures:
            break
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    return got, 1


@pytest.fixture(scope="module")
def tiny_alone() -> tuple[list[str | None], list[int]]:
    """Each fixture request asked alone, one after the other: its suggestion and its retries."""
    service = _service(TINY)
    try:
        texts, retries = [], []
        for query in _queries(TINY, TINY_DOCUMENTS):
            before = service.stats.syntax_retries
            texts.append(_text(service.complete_sync(query)))
            retries.append(service.stats.syntax_retries - before)
        assert retries == [2, 1, 2, 0, 2, 2]  # the rounds the test below expects
        assert [t is not None for t in texts] == [True, True, False, True, False, True]
        return texts, retries
    finally:
        service.close()


@pytest.mark.parametrize("ask", [_ask_async, _ask_threads], ids=["async", "sync"])
def test_each_retry_round_is_one_batch_with_the_answers_of_requests_alone(tiny_alone, ask):
    texts, retries = tiny_alone
    service = _service(TINY)
    try:
        got, others = ask(service, _queries(TINY, TINY_DOCUMENTS))
    finally:
        service.close()
    assert [_text(s) for s in got] == texts
    assert service.stats.syntax_retries == sum(retries)
    # One batch of the six requests, one of the five first retries, one of the four second
    # ones (one by one, it would be 1 + 9 batches).
    rounds = [len(retries)] + [sum(r > n for r in retries) for n in range(max(retries))]
    assert rounds == [6, 5, 4]
    stats = service.scheduler.stats
    assert stats.batches == others + len(rounds)
    assert stats.batched_jobs == others + sum(rounds)
    assert stats.max_batch == rounds[0]
    assert stats.follow_ups == sum(retries)
    assert stats.follow_ups_expired == 0


@pytest.mark.parametrize("ask", [_ask_async, _ask_threads], ids=["async", "sync"])
def test_retries_of_the_shipped_module_are_decoded_together(ask):
    service = _service(SHIPPED)
    try:
        queries = _queries(SHIPPED, SHIPPED_DOCUMENTS)
        got, others = ask(service, queries)
    finally:
        service.close()
    assert service.stats.syntax_retries == 4
    assert service.stats.rescued_by_retry == 4
    for query, suggestion, (before, after) in zip(
        queries, got, SHIPPED_DOCUMENTS.values(), strict=True
    ):
        assert suggestion is not None, query.uri
        assert syntax_check.check(PYTHON, before, after, suggestion.text) == suggestion.text
    stats = service.scheduler.stats
    assert stats.batches == others + 2  # the six requests, then the four retries together
    assert stats.batched_jobs == others + 10 and stats.max_batch == 6
    assert stats.follow_ups == 4
