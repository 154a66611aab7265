"""The name check in the completion service: a candidate whose first line reads a name nothing
binds is rejected and decoded again from the next most likely first token, exactly as a
syntax rejection (``completion.syntaxRetries`` times at most); a later line that does is cut.

End to end with the shipped python module: inside ``with open(path) as f:`` of a file that
never imports ``json``, the module's greedy candidate is ``json.load(f)``; the name check
rejects it and the retry offers ``f.read()``. The bookkeeping is checked with made-up
candidates over a request prepared with the tiny fixture model (no decoding)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qwen_lsp.completion.name_check import NameCheck
from qwen_lsp.completion.service import CompletionQuery, CompletionService, Prepared
from qwen_lsp.config import Settings, merge
from qwen_lsp.engine.generate import GenerationResult
from qwen_lsp.syntax.languages import default_registry

from ..support import REPO
from .support import completion_settings, query_at

SHIPPED = REPO / "qwen_lsp" / "models" / "python"
TINY = REPO / "tests" / "fixtures" / "tiny_qwen2"
PYTHON = default_registry().by_id("python")
URI = "file:///project/config_files.py"

BEFORE = "def read_json(path):\n    with open(path) as f:\n        data = "
AFTER = "\n    return data\n"
# A function body, for candidates of several lines.
BODY_BEFORE = "def summarize(values, path):\n    total = 0\n    "
BODY_AFTER = "\n    return total\n"


def _settings(module: Path, **completion: object) -> Settings:
    return completion_settings(module, **completion)


def _query(settings: Settings, before: str = BEFORE, after: str = AFTER) -> CompletionQuery:
    return query_at(URI, before, after, settings)


def _introduced(text: str, before: str = BEFORE, after: str = AFTER) -> list[tuple[int, str]]:
    """The undefined names ``text`` would introduce at the cursor."""
    query = _query(_settings(TINY), before, after)
    names = NameCheck.at(query.snapshot, query.offset)
    assert names is not None
    return names.introduced(text)


def _candidate(tokens: list[int], text: str) -> GenerationResult:
    return GenerationResult(tokens, text, "stop", prompt_tokens=10)


@pytest.fixture(scope="module")
def rescued():
    """What ``complete_sync`` offers with the default settings, and the service's stats."""
    service = CompletionService()
    try:
        suggestion = service.complete_sync(_query(_settings(SHIPPED)))
        assert suggestion is not None, "the retry found no suggestion"
        return suggestion, service.stats
    finally:
        service.close()


def test_a_name_rejection_asks_for_a_retry_like_a_syntax_rejection(service):
    prepared = service.prepare(_query(_settings(TINY)))
    assert isinstance(prepared, Prepared) and prepared.names is not None
    assert service.finish(prepared, _candidate([11, 12], "json.load(f)")) is None
    assert service.stats.rejected_by_names == 1
    assert service.stats.rejected_by_syntax == 0
    assert prepared.rejected_first == [11] and prepared.last_rejected
    first = service.retry(prepared)
    assert first is not None and first.exclude_first == (11,)
    assert service.finish(prepared, _candidate([21], "yaml.safe_load(f)")) is None
    second = service.retry(prepared)
    assert second is not None and second.exclude_first == (11, 21)
    offered = service.finish(prepared, _candidate([31, 32], "f.read()"))
    assert offered is not None and offered.text == "f.read()"
    assert service.retry(prepared) is None
    assert service.stats.rejected_by_names == 2
    # Counted as retries after the name check, not the syntax check.
    assert service.stats.name_retries == 2
    assert service.stats.syntax_retries == 0
    assert service.stats.rescued_by_retry == 1


def test_name_rejections_share_the_retry_limit(service):
    prepared = service.prepare(_query(_settings(TINY, syntaxRetries=1)))
    assert isinstance(prepared, Prepared)
    assert service.finish(prepared, _candidate([11], "json.load(f)")) is None
    assert service.retry(prepared) is not None
    assert service.finish(prepared, _candidate([21], "f..read()")) is None  # a syntax rejection
    assert service.retry(prepared) is None  # one retry was allowed, whoever rejected
    assert service.stats.rejected_by_names == 1
    assert service.stats.rejected_by_syntax == 1
    assert (service.stats.name_retries, service.stats.syntax_retries) == (1, 0)


def test_the_setting_is_on_by_default_and_turns_the_check_off(service):
    assert Settings().completion.nameCheck is True
    _unused, errors = merge(Settings(), {"completion": {"nameCheck": "yes"}})
    assert errors
    on = service.prepare(_query(_settings(TINY)))
    assert isinstance(on, Prepared)
    assert service.finish(on, _candidate([11], "json.load(f)")) is None
    assert service.stats.rejected_by_names == 1
    off = service.prepare(_query(_settings(TINY, nameCheck=False)))
    assert isinstance(off, Prepared) and off.names is None
    offered = service.finish(off, _candidate([11], "json.load(f)"))
    assert offered is not None and offered.text == "json.load(f)"
    assert service.stats.rejected_by_names == 1
    assert not off.last_rejected


def test_a_later_line_with_an_undefined_name_is_cut(service):
    query = _query(_settings(TINY, multiline="always"), BODY_BEFORE, BODY_AFTER)
    prepared = service.prepare(query)
    assert isinstance(prepared, Prepared) and prepared.plan.multiline
    text = "data = open(path).read()\n    return parse_paren(data)"
    offered = service.finish(prepared, _candidate([11], text))
    assert offered is not None and offered.text == "data = open(path).read()"
    assert service.stats.truncated_by_names == 1
    assert service.stats.rejected_by_names == 0
    assert not prepared.last_rejected  # something was offered: no retry


def test_the_shipped_modules_greedy_candidate_reads_an_unimported_module(service):
    greedy = service.complete_sync(_query(_settings(SHIPPED, nameCheck=False)))
    assert greedy is not None
    assert greedy.text.startswith("json.")
    assert _introduced(greedy.text) == [(0, "json")]
    assert service.stats.rejected_by_names == 0
    assert service.stats.syntax_retries == service.stats.name_retries == 0


def test_the_retry_after_a_name_rejection_offers_a_bound_candidate(rescued):
    suggestion, stats = rescued
    assert suggestion.source == "model"
    assert "json" not in suggestion.text
    assert suggestion.text == "f.read()"
    assert _introduced(suggestion.text) == []
    assert stats.rejected_by_names == 1
    assert stats.rejected_by_syntax == 0
    assert stats.name_retries == 1
    assert stats.syntax_retries == 0
    assert stats.rescued_by_retry == 1


def test_with_the_import_the_greedy_candidate_is_offered(service):
    before = "import json\n\n\n" + BEFORE
    suggestion = service.complete_sync(_query(_settings(SHIPPED), before))
    assert suggestion is not None
    assert suggestion.text.startswith("json.")
    assert service.stats.rejected_by_names == 0
    # The import is what makes the difference: the same text without it is rejected.
    assert _introduced(suggestion.text, before) == []
    assert _introduced(suggestion.text) == [(0, "json")]


def test_the_async_and_streaming_paths_retry_the_same_way(rescued):
    for run in ("async", "stream"):
        service = CompletionService()
        try:
            query = _query(_settings(SHIPPED))
            if run == "async":
                text = asyncio.run(service.complete(query)).text  # type: ignore[union-attr]
            else:
                text = "".join(service.stream(query))
                assert service.last_suggestion is not None
            assert text == rescued[0].text, run
            assert service.stats.rejected_by_names == 1, run
            assert service.stats.rescued_by_retry == 1, run
        finally:
            service.close()
