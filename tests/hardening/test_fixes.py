"""Bugs the hardening work found, each pinned by a test that failed before its fix."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qwen_lsp.engine.generate import GenerationRequest
from qwen_lsp.engine.healing import is_split
from qwen_lsp.engine.registry import ModelRegistry
from qwen_lsp.engine.scheduler import Job, Scheduler

from .lsp_pipe import EMBEDDED_MODEL, FIXTURE_MODEL, PipeServer


@pytest.mark.parametrize("module", [FIXTURE_MODEL, EMBEDDED_MODEL], ids=["fixture", "embedded"])
def test_healing_after_an_emoji_split_into_byte_tokens(module: Path):
    # Both tokenizers end "x = '😀" with tokens holding the emoji's last bytes alone; the
    # healing probe decoded those two tokens as UTF-8 and raised (an InternalError for the
    # user's completion request).
    tokenizer = ModelRegistry().get(module).tokenizer
    ids = tokenizer.encode("x = '😀")
    assert tokenizer.token_bytes[ids[-1]] == b"\x80"
    assert is_split(tokenizer, ids) is False


def test_a_job_cancelled_by_its_waiter_does_not_fail_the_rest_of_its_batch():
    # asyncio.wrap_future cancels the job's future when the request is cancelled; if that
    # happens after the scheduler's last check, set_result raised InvalidStateError and the
    # other jobs of the batch got that error instead of their results.
    model = ModelRegistry().get(FIXTURE_MODEL)
    scheduler = Scheduler()
    try:
        prompt = model.tokenizer.encode("def add(a, b):\n    return")
        jobs = [
            Job(model, GenerationRequest(list(prompt), max_new_tokens=4, ignore_eos=True))
            for _ in range(2)
        ]
        for job in jobs:
            job.request.cancelled = job.cancel_event.is_set
        assert jobs[0].future.cancel()  # as the waiter does; the event is not set yet
        scheduler._run_batch(jobs)
        assert len(jobs[1].future.result(0).tokens) == 4
        assert jobs[0].future.cancelled()
    finally:
        scheduler.close()


def test_symbols_of_a_file_with_cr_line_ends_are_on_their_lines(tmp_path: Path):
    # tree-sitter counts rows by "\n" only; LSP counts "\r" too. Spans came from the tree's
    # rows, so with CR line ends every symbol was on line 0.
    with PipeServer() as srv:
        srv.initialize(tmp_path, {"index": {"enable": False}})
        uri = (tmp_path / "mac.py").as_uri()
        srv.open(uri, "import os\rdef a():\r    pass\r\ndef b():\n    pass\r")
        symbols = srv.call("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        lines = {s["name"]: s["selectionRange"]["start"] for s in symbols}
        assert lines == {"a": {"line": 1, "character": 4}, "b": {"line": 3, "character": 4}}
        assert srv.tracebacks() == []


def test_a_stale_deleted_event_keeps_the_file_in_the_index(shop: Path):
    # Editors' atomic saves delete and recreate; a "deleted" event for a file that is still
    # there used to drop its symbols from the index until it changed again.
    with PipeServer() as srv:
        srv.initialize(shop, {"index": {"workers": 1}})
        srv.wait(lambda: srv.call("workspace/symbol", {"query": "best_seller"}), 30, "index")
        stats = (shop / "shop" / "stats.py").as_uri()
        srv.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": stats, "type": 3}]})
        srv.call("workspace/symbol", {"query": "x"})  # the notification was handled
        time.sleep(0.3)
        assert srv.call("workspace/symbol", {"query": "best_seller"})
        (shop / "shop" / "stats.py").unlink()
        srv.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": stats, "type": 3}]})
        srv.wait(lambda: not srv.call("workspace/symbol", {"query": "best_seller"}), 10, "removal")
