"""The pieces streaming is built from: the decode loop's per-token hook, the committer that
never hands out text the post-processing could still change, and the closed docstring."""

from __future__ import annotations

import itertools
import json

from qwen_lsp.completion.plan import Plan
from qwen_lsp.completion.service import _closed_doc_block
from qwen_lsp.completion.stream import StreamCommitter
from qwen_lsp.engine.generate import GenerationRequest, generate
from qwen_lsp.engine.module import load_module
from qwen_lsp.engine.session import DecoderSession
from qwen_lsp.engine.tokenizer import ModelTokenizer
from qwen_lsp.syntax.languages import default_registry

from ..support import REPO

FIXTURE = REPO / "tests" / "fixtures" / "tiny_qwen2"
PYTHON = default_registry().by_id("python")
BLOCK = Plan(multiline=True, line_before="    ", rest_of_line="", next_line="")


def test_the_decode_loop_reports_the_text_after_every_token():
    module = load_module(FIXTURE)
    tokenizer = ModelTokenizer(module.tokenizer_path, module.fim, module.stop_tokens)
    session = DecoderSession(str(module.model_path))
    case = json.loads((FIXTURE / "expected.json").read_text())["single"][0]
    seen: list[str] = []
    request = GenerationRequest(
        case["prompt_ids"], max_new_tokens=16, ignore_eos=True, on_text=seen.append
    )
    result, _kv = generate(session, tokenizer, request)
    assert result.tokens == case["new_ids"]  # the hook changes nothing in the generation
    assert len(seen) == 16
    assert seen[-1] == result.text
    assert all(b.startswith(a) for a, b in itertools.pairwise(seen))


def test_a_failing_listener_does_not_stop_the_generation():
    module = load_module(FIXTURE)
    tokenizer = ModelTokenizer(module.tokenizer_path, module.fim, module.stop_tokens)
    session = DecoderSession(str(module.model_path))
    case = json.loads((FIXTURE / "expected.json").read_text())["single"][0]

    def broken(text: str) -> None:
        raise RuntimeError("listener bug")

    request = GenerationRequest(case["prompt_ids"], max_new_tokens=16, ignore_eos=True)
    request.on_text = broken
    result, _kv = generate(session, tokenizer, request)
    assert result.tokens == case["new_ids"]


def _feed(committer: StreamCommitter, text: str) -> list[str]:
    """Feed ``text`` one character at a time (as tokens arrive); return the pieces."""
    pieces = []
    for end in range(1, len(text) + 1):
        piece = committer.update(text[:end])
        if piece:
            pieces.append(piece)
    return pieces


def test_lines_are_committed_once_the_next_one_starts():
    before = "def move(self, dx, dy):\n    "
    committer = StreamCommitter(BLOCK, before, "\n", PYTHON)
    pieces = _feed(committer, "self.x += dx\n    self.y += dy\n    return self\n")
    assert pieces == ["self.x += dx", "\n    self.y += dy", "\n    return self"]


def test_lines_that_do_not_parse_yet_are_held_back():
    before = "def total(items):\n    "
    committer = StreamCommitter(BLOCK, before, "\n", PYTHON)
    pieces = _feed(committer, "result = sum(\n        items\n    )\n    return result\n")
    # `result = sum(` alone is a syntax error: nothing until the call is closed.
    assert pieces == ["result = sum(\n        items\n    )", "\n    return result"]


def test_without_the_syntax_check_lines_pass_as_they_come():
    committer = StreamCommitter(BLOCK, "def f():\n    ", "", PYTHON, syntax=False)
    assert _feed(committer, "a = (\n    b\n") == ["a = (", "\n    b"]


def test_a_single_line_is_never_committed_early():
    plan = Plan(multiline=False, line_before="", rest_of_line="", next_line="")
    committer = StreamCommitter(plan, "x = ", "", PYTHON)
    assert _feed(committer, "compute(1, 2)") == []


def test_text_after_the_cursor_holds_back_the_last_line():
    plan = Plan(multiline=True, line_before="    ", rest_of_line=")", next_line="")
    committer = StreamCommitter(plan, "print(\n    ", ")\n", PYTHON, syntax=False)
    assert _feed(committer, "1,\n    2,\n    3)") == ["1,"]
    assert committer.committed == "1,"


def test_an_unclosed_docstring_is_closed_after_its_first_paragraph():
    raw = '"""\n    Compute the discount.\n\n    Parameters\n    ----------\n    price : int'
    assert _closed_doc_block(raw, BLOCK) == '"""\n    Compute the discount.\n    """'
    assert _closed_doc_block('"""Summary line.\n    More', BLOCK) == (
        '"""Summary line.\n    More\n    """'
    )
    jsdoc = "/**\n   * Add two numbers.\n   * @param a"
    plan = Plan(multiline=True, line_before="  ", rest_of_line="", next_line="")
    assert _closed_doc_block(jsdoc, plan) == "/**\n   * Add two numbers.\n   * @param a\n   */"
    assert _closed_doc_block('"""Closed."""\n    return 1', BLOCK) is None
    assert _closed_doc_block("return 1", BLOCK) is None
    assert _closed_doc_block('"""', BLOCK) is None
    single = Plan(multiline=False, line_before="", rest_of_line="", next_line="")
    assert _closed_doc_block('"""Open', single) is None
