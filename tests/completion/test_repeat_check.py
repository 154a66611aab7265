"""The repeat check: a candidate whose first line, completed with what the cursor's line
already holds, is the first non-blank line below the cursor re-types code the user has, so
it is rejected and decoded again from the next most likely first token, like a syntax or name
rejection (``completion.syntaxRetries`` times at most, shared).

End to end with the shipped python module: above ``counts[word] += 1`` in a loop, the
module's greedy candidate is that same line; the check rejects it and the retry offers
something else. The bookkeeping is checked with made-up candidates over a request prepared
with the tiny fixture model (no decoding)."""

from __future__ import annotations

from qwen_lsp.completion.plan import Plan, make_plan
from qwen_lsp.completion.service import CompletionService, Prepared
from qwen_lsp.completion.stream import StreamCommitter
from qwen_lsp.engine.generate import GenerationResult
from qwen_lsp.syntax.languages import default_registry

from ..support import REPO
from .support import completion_settings, query_at

SHIPPED = REPO / "qwen_lsp" / "models" / "python"
TINY = REPO / "tests" / "fixtures" / "tiny_qwen2"
PYTHON = default_registry().by_id("python")
URI = "file:///project/words.py"

BEFORE = (
    "def count_words(lines):\n"
    "    counts = {}\n"
    "    for line in lines:\n"
    "        for word in line.split():\n"
    "            "
)
AFTER = "\n            counts[word] += 1\n    return counts\n"
NEXT_LINE = "counts[word] += 1"


def _plan(line_before: str, line_after: str, next_line: str) -> Plan:
    return make_plan(line_before, line_after, "for word in line.split():", next_line, None)


def _candidate(tokens: list[int], text: str) -> GenerationResult:
    return GenerationResult(tokens, text, "stop", prompt_tokens=10)


def test_a_first_line_equal_to_the_line_below_is_a_repeat():
    plan = _plan("            ", "", "            counts[word] += 1")
    assert plan.repeats_next_line("counts[word] += 1")
    assert plan.repeats_next_line("counts[word] += 1  ")  # trailing blanks do not count
    assert plan.repeats_next_line("counts[word] += 1\n            total += 1")  # first line
    assert not plan.repeats_next_line("counts[word] = counts.get(word, 0)")
    assert not plan.repeats_next_line("if word not in counts:\n                counts[word] = 0")


def test_the_cursor_line_s_own_text_is_part_of_the_line_compared():
    # Typed ``counts[wo``: the candidate finishes the line below again.
    typed = _plan("            counts[wo", "", "counts[word] += 1")
    assert typed.repeats_next_line("rd] += 1")
    assert not typed.repeats_next_line("rd] = 0")
    # Auto-closed bracket after the cursor: ``print(`` + candidate + ``)``.
    closed = _plan("    print(", ")", "print(total)")
    assert closed.repeats_next_line("total")
    assert not closed.repeats_next_line("count")


def test_no_line_below_means_no_repeat():
    assert not _plan("    ", "", "").repeats_next_line("return counts")


def test_a_candidate_that_types_nothing_on_the_cursor_line_repeats_nothing():
    # The cursor line's own text equals the line below (the user's duplicate, not the model's):
    # a candidate that only adds lines after it is not a repeat.
    own = Plan(multiline=True, line_before="    ", rest_of_line=")", next_line=")")
    assert not own.repeats_next_line("\n    x = 1")
    assert not own.repeats_next_line("")


def test_a_repeat_asks_for_a_retry_and_shares_the_retry_limit(service):
    prepared = service.prepare(query_at(URI, BEFORE, AFTER, completion_settings(TINY)))
    assert isinstance(prepared, Prepared)
    assert service.finish(prepared, _candidate([11, 12], NEXT_LINE)) is None
    assert service.stats.rejected_as_repeat == 1
    assert prepared.rejected_first == [11] and prepared.last_rejected_by == "repeat"
    first = service.retry(prepared)
    assert first is not None and first.exclude_first == (11,)
    offered = service.finish(prepared, _candidate([21, 22], "if word not in counts:"))
    assert offered is not None and offered.text.startswith("if word not in counts:")
    assert service.retry(prepared) is None
    assert service.stats.repeat_retries == 1
    assert (service.stats.syntax_retries, service.stats.name_retries) == (0, 0)
    assert service.stats.rescued_by_retry == 1

    limited = service.prepare(
        query_at(URI, BEFORE, AFTER, completion_settings(TINY, syntaxRetries=0))
    )
    assert isinstance(limited, Prepared)
    assert service.finish(limited, _candidate([11], NEXT_LINE)) is None
    assert service.retry(limited) is None  # no retries allowed: the repeat is simply dropped

    shared = service.prepare(
        query_at(URI, BEFORE, AFTER, completion_settings(TINY, syntaxRetries=1))
    )
    assert isinstance(shared, Prepared)
    assert service.finish(shared, _candidate([11], NEXT_LINE)) is None
    assert service.retry(shared) is not None
    assert service.finish(shared, _candidate([21], "counts[[word")) is None  # syntax rejects
    assert service.retry(shared) is None  # one retry was allowed, whichever check rejected


def test_a_streamed_suggestion_shows_nothing_of_a_repeat():
    plan = Plan(
        multiline=True,
        rest_of_line="",
        next_line=NEXT_LINE,
        line_before="            ",
    )
    committer = StreamCommitter(plan, BEFORE, AFTER, PYTHON)
    # A second line started: an ordinary first line would be committed now.
    assert committer.update(NEXT_LINE + "\n            total") == ""
    assert committer.committed == ""
    fresh = StreamCommitter(plan, BEFORE, AFTER, PYTHON)
    assert fresh.update("counts.setdefault(word, 0)\n            counts") == (
        "counts.setdefault(word, 0)"
    )


def test_the_shipped_module_s_repeat_is_replaced_by_its_next_choice():
    service = CompletionService()
    try:
        suggestion = service.complete_sync(
            query_at(URI, BEFORE, AFTER, completion_settings(SHIPPED))
        )
        stats = service.stats
        # The greedy candidate was the line below (rejected once), and the retry answered.
        assert stats.rejected_as_repeat == 1
        assert stats.repeat_retries == 1
        assert suggestion is not None, "the retry found no suggestion"
        assert suggestion.text.split("\n", 1)[0].strip() != NEXT_LINE
        assert stats.rescued_by_retry == 1
    finally:
        service.close()
