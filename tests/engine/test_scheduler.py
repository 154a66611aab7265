"""The scheduler: batching, superseding, cancellation while decoding, KV prefix reuse."""

from __future__ import annotations

import json
import threading
import time

import pytest

from qwen_lsp.engine.generate import GenerationRequest
from qwen_lsp.engine.registry import ModelRegistry
from qwen_lsp.engine.scheduler import Cancelled, Scheduler

from ..support import REPO

FIXTURE = REPO / "tests" / "fixtures" / "tiny_qwen2"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())


@pytest.fixture(scope="module")
def model():
    return ModelRegistry().get(FIXTURE)


@pytest.fixture
def scheduler():
    s = Scheduler(batch_wait=0.02)
    yield s
    s.close()


def _request(case, **kw):
    return GenerationRequest(case["prompt_ids"], max_new_tokens=16, ignore_eos=True, **kw)


def test_waiting_requests_are_decoded_together_with_the_same_tokens(model, scheduler):
    jobs = [scheduler.submit(model, _request(c)) for c in EXPECTED["single"]]
    results = [j.future.result(30) for j in jobs]
    assert [r.tokens for r in results] == [c["new_ids"] for c in EXPECTED["single"]]
    assert scheduler.stats.max_batch > 1
    assert max(r.batch_size for r in results) > 1


def test_cancel_stops_a_generation_while_decoding(model, scheduler):
    case = EXPECTED["single"][0]
    started = threading.Event()
    steps = []

    def stop_rule(text: str) -> None:
        steps.append(1)
        started.set()
        return None

    job = scheduler.submit(
        model,
        GenerationRequest(case["prompt_ids"], max_new_tokens=1800, ignore_eos=True, stop=stop_rule),
    )
    assert started.wait(10)
    t0 = time.perf_counter()
    job.cancel()
    with pytest.raises(Cancelled):
        job.future.result(10)
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.5
    assert len(steps) < 1800, "decoding stopped early"
    assert scheduler.stats.cancelled == 1


def test_a_newer_request_of_the_same_group_supersedes_the_older(model, scheduler):
    case = EXPECTED["single"][0]
    old = scheduler.submit(
        model,
        GenerationRequest(case["prompt_ids"], max_new_tokens=1800, ignore_eos=True),
        group="doc",
    )
    new = scheduler.submit(model, _request(case), group="doc")
    with pytest.raises(Cancelled):
        old.future.result(10)
    assert new.future.result(10).tokens == case["new_ids"]


def test_kv_prefix_cache_runs_only_new_tokens(model, scheduler):
    case = max(EXPECTED["single"], key=lambda c: len(c["prompt_ids"]))
    first = scheduler.submit(model, _request(case, cache_key="doc-kv")).future.result(10)
    assert first.reused_tokens == 0
    again = scheduler.submit(model, _request(case, cache_key="doc-kv")).future.result(10)
    assert again.reused_tokens == len(case["prompt_ids"]) - 1
    assert again.tokens == case["new_ids"]


def test_requests_still_being_prepared_join_the_batch(model):
    """A job does not start alone while the service says more requests are on their way: the
    later ones (submitted 30 ms apart, longer than the plain batch wait) join its batch."""
    scheduler = Scheduler(batch_wait=0.002, coming_wait=0.5)
    try:
        cases = EXPECTED["single"][:4]
        on_their_way = [scheduler.expecting() for _ in cases[1:]]
        for expectation in on_their_way:
            expectation.__enter__()
        jobs = [scheduler.submit(model, _request(cases[0]))]
        for case, expectation in zip(cases[1:], on_their_way, strict=True):
            time.sleep(0.03)
            jobs.append(scheduler.submit(model, _request(case)))
            expectation.__exit__(None, None, None)
        results = [j.future.result(30) for j in jobs]
        assert [r.tokens for r in results] == [c["new_ids"] for c in cases]
        assert scheduler.stats.batches == 1 and scheduler.stats.max_batch == 4
    finally:
        scheduler.close()


def test_without_requests_on_their_way_a_job_starts_at_once(model):
    scheduler = Scheduler(batch_wait=0.002, coming_wait=0.5)
    try:
        first = scheduler.submit(model, _request(EXPECTED["single"][0]))
        time.sleep(0.1)
        second = scheduler.submit(model, _request(EXPECTED["single"][1]))
        first.future.result(30)
        second.future.result(30)
        assert scheduler.stats.batches == 2
    finally:
        scheduler.close()


def test_two_jobs_of_one_cache_slot_in_one_batch_do_not_share_a_buffer():
    """Ungrouped jobs of one document decoded together (the embedded module: a fused graph,
    whose prefix-cache entry is the very buffer a reuse writes into): the second one's
    prefill must not overwrite the first one's keys and values."""
    from qwen_lsp.engine.generate import generate, prefill

    loaded = ModelRegistry().get(REPO / "qwen_lsp" / "models" / "python")
    assert loaded.session.shared_kv
    tok = loaded.tokenizer
    base = tok.encode("import os\nimport sys\n\n\ndef main(argv):\n    " * 6)
    first = base + tok.encode(
        'path = os.path.join(argv[1], "data")\n    with open(path) as fh:\n        '
    )
    second = base + tok.encode(
        "total = 0\n    for arg in argv[1:]:\n        total += int(arg)\n    "
    )
    # What each should get: the first reuses the slot's prefix (the warm-up's prompt), the
    # second runs whole (the same paths as in the batch, so the same int8 roundings).
    _, warm_kv = prefill(loaded.session, [*base, 7], reserve=3)
    want = [
        generate(
            loaded.session,
            tok,
            GenerationRequest(first, 16, ignore_eos=True),
            warm_kv.truncated(len(base)),
        )[0].tokens,
        generate(loaded.session, tok, GenerationRequest(second, 16, ignore_eos=True))[0].tokens,
    ]
    assert want[0] != want[1]
    scheduler = Scheduler(batch_wait=0.2)
    try:
        scheduler.submit(loaded, GenerationRequest([*base, 7], 2, cache_key="doc")).future.result(
            30
        )
        jobs = [
            scheduler.submit(loaded, GenerationRequest(p, 16, ignore_eos=True, cache_key="doc"))
            for p in (first, second)
        ]
        got = [j.future.result(30).tokens for j in jobs]
    finally:
        scheduler.close()
    assert scheduler.stats.max_batch == 2
    assert got == want


def _follow_up(case, first_token):
    """A retry-like follow-up: the same prompt with the first answer's first token excluded."""
    return _request(case, exclude_first=(first_token,))


def test_follow_ups_of_callers_answered_together_are_decoded_together(model):
    """Four callers answered in one batch: three send a follow-up each after their own
    post-processing (staggered, as on one event loop), one settles instead. The follow-ups
    form one batch (not one batch each), and each gives what it gives alone."""
    cases = EXPECTED["single"][:4]
    alone = Scheduler()
    try:
        want = [
            alone.submit(model, _follow_up(c, c["new_ids"][0])).future.result(30).tokens
            for c in cases[:3]
        ]
    finally:
        alone.close()
    # A long cap: the test shows the waiting ends when every caller has come or settled.
    scheduler = Scheduler(batch_wait=0.002, coming_wait=30.0)
    callers = [scheduler.expecting().__enter__() for _ in cases]
    got: dict[int, list[int]] = {}
    failures: list[BaseException] = []

    def caller_thread(i: int) -> None:
        caller, case = callers[i], cases[i]
        try:
            first = caller.submit(model, _request(case)).future.result(30)
            assert first.tokens == case["new_ids"]
            time.sleep(0.02 * i)  # post-processing, one caller after the other
            if i == 3:
                caller.settle()
                return
            follow = caller.submit(model, _follow_up(case, first.tokens[0]))
            got[i] = follow.future.result(30).tokens
            caller.settle()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    try:
        threads = [threading.Thread(target=caller_thread, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        scheduler.close()
    assert not failures, failures
    assert [got[i] for i in range(3)] == want
    stats = scheduler.stats
    assert stats.batches == 2 and stats.batched_jobs == 7 and stats.max_batch == 4
    assert stats.follow_ups == 3
    assert stats.follow_ups_expired == 0


def test_a_caller_that_never_settles_does_not_hold_up_later_jobs(model):
    """A caller answered that neither follows up nor settles (its context never exits): the
    next jobs still run, and the scheduler forgets it once its wait has passed."""
    scheduler = Scheduler(batch_wait=0.002, coming_wait=0.2)
    try:
        cases = EXPECTED["single"][:3]
        stuck = scheduler.expecting().__enter__()
        answer = stuck.submit(model, _request(cases[0])).future.result(30)
        assert answer.tokens == cases[0]["new_ids"]
        later = scheduler.submit(model, _request(cases[1]))
        assert later.future.result(30).tokens == cases[1]["new_ids"]
        again = scheduler.submit(model, _request(cases[2]))
        assert again.future.result(30).tokens == cases[2]["new_ids"]
        assert scheduler.stats.batches == 3
        assert scheduler.stats.follow_ups_expired == 1  # once, not at every later batch
        assert scheduler.stats.follow_ups == 0
    finally:
        scheduler.close()


def test_a_caller_that_settled_before_its_answer_is_not_expected_after_it(model):
    """A caller gone before its answer came (a timeout, a cancelled request) is not counted
    as coming once the answer arrives."""
    scheduler = Scheduler(batch_wait=0.002, coming_wait=0.2)
    try:
        cases = EXPECTED["single"][:3]
        with scheduler.expecting() as caller:
            job = caller.submit(model, _request(cases[0]))
        job.future.result(30)
        # Two more jobs: the second one's batch would find the caller's wait over, had it
        # been expected.
        for case in cases[1:]:
            result = scheduler.submit(model, _request(case)).future.result(30)
            assert result.tokens == case["new_ids"]
        assert scheduler.stats.follow_ups_expired == 0
    finally:
        scheduler.close()


def test_an_idle_worker_frees_the_batch_workspace(model):
    """The merged batch's memory is kept between batches but given back once no job arrives
    for ``idle_check`` seconds."""
    scheduler = Scheduler(batch_wait=0.2, idle_check=0.05)
    try:
        cases = EXPECTED["single"][:3]
        jobs = [scheduler.submit(model, _request(c)) for c in cases]
        assert [j.future.result(30).tokens for j in jobs] == [c["new_ids"] for c in cases]
        assert scheduler.stats.max_batch == 3  # decoded together: the workspace was used
        for _ in range(3000):
            if scheduler.stats.workspace_freed_bytes:
                break
            time.sleep(0.01)
        assert scheduler.stats.workspace_freed_bytes > 0
        assert model.session.workspace.nbytes == 0
    finally:
        scheduler.close()
