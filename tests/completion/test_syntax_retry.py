"""The syntax-check retry with the shipped python module: when the greedy candidate is rejected
by the syntax check, the service decodes again with that candidate's first token excluded
(``completion.syntaxRetries`` times at most) and offers the next most likely start instead.

The cursor below sits on an empty line of a ``for`` body whose next line is indented deeper
(an ``if`` whose condition line is missing): the line must open a block. The module's greedy
candidate is a plain statement (``ret.append(f(i))``), which the syntax check rejects; the
retry starts with ``if``."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
import tree_sitter as ts

from qwen_lsp.completion import syntax_check
from qwen_lsp.completion.service import CompletionQuery, CompletionService, Prepared
from qwen_lsp.config import Settings, merge
from qwen_lsp.engine.generate import GenerationResult
from qwen_lsp.syntax.languages import default_registry

from ..support import REPO
from .support import completion_settings, query_at

MODULE = REPO / "qwen_lsp" / "models" / "python"
PYTHON = default_registry().by_id("python")
URI = "file:///project/factorials.py"

BEFORE = '''def f(n):
    """ Implement the function f that takes n as a parameter,
    and returns a list of size n, such that the value of the element at index i is the factorial of i if i is even
    or the sum of numbers from 1 to i otherwise.
    i starts from 1.
    the factorial of i is the multiplication of the numbers from 1 to i (1 * 2 * ... * i).
    Example:
    f(5) == [1, 2, 6, 24, 15]
    """
    ret = []
    for i in range(1,n+1):
'''
BEFORE += " " * 8  # the cursor's line: eight spaces, then the cursor, nothing after it
AFTER = """
            x = 1
            for j in range(1,i+1): x *= j
            ret += [x]
        else:
            x = 0
            for j in range(1,i+1): x += j
            ret += [x]
    return ret
"""


def _settings(**completion: object) -> Settings:
    return completion_settings(MODULE, **completion)


def _query(settings: Settings) -> CompletionQuery:
    return query_at(URI, BEFORE, AFTER, settings)


def _errors(source: str) -> list[ts.Node]:
    """ERROR and MISSING nodes of ``source`` parsed as Python."""
    tree = PYTHON.parser().parse(source.encode("utf-8"))
    found, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(node)
        elif node.has_error:
            stack.extend(node.children)
    return found


@pytest.fixture(scope="module")
def rescued():
    """What ``complete_sync`` offers with the default settings, and the service's stats."""
    service = CompletionService()
    try:
        suggestion = service.complete_sync(_query(_settings()))
        assert suggestion is not None, "the retry found no suggestion"
        return suggestion, service.stats
    finally:
        service.close()


def test_the_setting_defaults_to_two_retries():
    assert Settings().completion.syntaxRetries == 2
    _unused, errors = merge(Settings(), {"completion": {"syntaxRetries": 9}})
    assert errors


def test_without_retries_the_rejected_candidate_leaves_no_suggestion(rescued, service):
    """The same request that the default settings rescue (``rescued``) gets nothing."""
    assert rescued[0] is not None
    assert service.complete_sync(_query(_settings(syntaxRetries=0))) is None
    assert service.stats.rejected_by_syntax == 1
    assert service.stats.syntax_retries == 0
    assert service.stats.rescued_by_retry == 0


def test_a_retry_from_the_next_first_token_rescues_the_suggestion(rescued):
    suggestion, stats = rescued
    text = suggestion.text
    assert suggestion.source == "model"
    assert text.startswith("if ")
    # The line opens the block the next lines are indented for. (The plan is multi-line: the
    # previous line ends with ":"; the suggestion may go on past its first line.)
    assert text.split("\n", 1)[0].endswith(":")
    assert stats.rejected_by_syntax == 1
    assert stats.syntax_retries >= 1
    assert stats.name_retries == 0  # the syntax check rejected, not the name check
    assert stats.rescued_by_retry == 1
    assert _errors(BEFORE + text + AFTER) == []


def test_a_single_line_plan_gets_the_block_opening_line():
    service = CompletionService()
    try:
        suggestion = service.complete_sync(_query(_settings(multiline="never")))
        assert suggestion is not None
        assert suggestion.text.startswith("if ")
        assert suggestion.text.endswith(":")
        assert "\n" not in suggestion.text
        assert service.stats.rescued_by_retry == 1
        assert _errors(BEFORE + suggestion.text + AFTER) == []
    finally:
        service.close()


def test_the_async_path_retries_the_same_way(rescued, service):
    suggestion = asyncio.run(service.complete(_query(_settings())))
    assert suggestion is not None
    assert suggestion.text == rescued[0].text
    assert service.stats.syntax_retries >= 1
    assert service.stats.rescued_by_retry == 1


def test_streaming_retries_the_same_way(rescued, service):
    pieces = list(service.stream(_query(_settings())))
    assert pieces, "nothing was streamed"
    assert "".join(pieces) == rescued[0].text
    assert service.last_suggestion is not None
    assert service.last_suggestion.text == rescued[0].text
    assert service.stats.syntax_retries >= 1
    assert service.stats.rescued_by_retry == 1


def test_without_the_syntax_check_the_greedy_candidate_is_offered(rescued, service):
    greedy = service.complete_sync(_query(_settings(syntaxCheck=False)))
    assert greedy is not None
    assert greedy.text != rescued[0].text
    assert not greedy.text.startswith("if ")
    # It is the candidate the check rejects: it adds an error even as its first line alone.
    assert syntax_check.check(PYTHON, BEFORE, AFTER, greedy.text) is None
    assert service.stats.syntax_retries == 0
    assert service.stats.rejected_by_syntax == 0
    assert service.stats.rescued_by_retry == 0


def _candidate(tokens: list[int], text: str) -> GenerationResult:
    return GenerationResult(tokens, text, "stop", prompt_tokens=10)


def test_retry_excludes_every_rejected_first_token_up_to_the_limit(service):
    """The bookkeeping of finish/retry over made-up candidates (no decoding): each rejected
    candidate's first token joins the exclusions; the limit counts retries; a candidate that
    is empty for another reason than the syntax check asks for no retry."""
    prepared = service.prepare(_query(_settings(syntaxRetries=2)))
    assert isinstance(prepared, Prepared)
    assert prepared.request.exclude_first == ()
    assert service.finish(prepared, _candidate([11, 12], "ret.append(f(i))")) is None
    assert prepared.rejected_first == [11] and prepared.last_rejected
    first = service.retry(prepared)
    assert first is not None
    assert first.exclude_first == (11,)
    assert first.prompt == prepared.request.prompt
    assert first.heal == prepared.request.heal
    assert first.on_text is None
    assert prepared.request.exclude_first == ()  # a copy: the original request is unchanged
    assert service.retry(prepared) is None  # one retry per rejection
    assert service.finish(prepared, _candidate([21], "x = (")) is None
    second = service.retry(prepared)
    assert second is not None and second.exclude_first == (11, 21)
    assert service.finish(prepared, _candidate([31], "return ret")) is None
    assert service.retry(prepared) is None  # two retries were allowed
    assert service.stats.rejected_by_syntax == 3
    assert service.stats.syntax_retries == 2
    assert service.stats.rescued_by_retry == 0

    again = service.prepare(_query(_settings()))
    assert isinstance(again, Prepared)
    assert service.finish(again, _candidate([41], "")) is None  # empty, not a syntax error
    assert not again.last_rejected and again.rejected_first == []
    assert service.retry(again) is None
    assert service.finish(again, _candidate([51], "ret.append(1)")) is None
    assert service.retry(again) is not None
    rescued = service.finish(again, _candidate([61, 62], "if i % 2 == 0:"))
    assert rescued is not None and rescued.text == "if i % 2 == 0:"
    assert service.retry(again) is None
    assert service.stats.rescued_by_retry == 1


def test_a_retry_request_runs_with_its_exclusions(service):
    """The request retry() builds, run by hand, starts elsewhere than the rejected candidate:
    the excluded token is not its first token."""
    prepared = service.prepare(_query(_settings()))
    assert isinstance(prepared, Prepared)
    job = service.scheduler.submit(prepared.model, prepared.request)
    first = job.future.result(120)
    assert service.finish(prepared, first) is None
    request = service.retry(prepared)
    assert request is not None and request.exclude_first == (first.tokens[0],)
    second = service.scheduler.submit(prepared.model, request).future.result(120)
    assert second.tokens[0] != first.tokens[0]
    # The same request without the exclusion repeats the rejected candidate.
    plain = service.scheduler.submit(prepared.model, replace(request, exclude_first=()))
    assert plain.future.result(120).tokens == first.tokens
