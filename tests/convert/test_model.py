"""The model's part: statements no rule converts go to the target's embedded module, prompted
with a file header in the target language; an answer is kept only if it parses in the target
grammar (what does not parse, or is only comments, is never offered)."""

from __future__ import annotations

import pytest

from qwen_lsp.completion.service import CompletionService
from qwen_lsp.convert import convert
from qwen_lsp.convert.model import ModelConverter

from .helpers import parses

SOURCE = "xs = [3, 1, 2]\nwith open(path) as fh:\n    data = fh.read()\nys = [x * 2 for x in xs]\n"


@pytest.fixture(scope="module")
def converter():
    service = CompletionService()
    yield ModelConverter(service)
    service.close()


def test_uncovered_statement_goes_to_the_embedded_model(converter: ModelConverter) -> None:
    result = convert(SOURCE, "python", "javascript", model=converter, file_name="io_util.py")
    [(target, prompt, _answer)] = converter.calls[-1:]
    assert target == "javascript"
    # A file header in the target language, the code converted so far, the statement quoted.
    assert prompt.startswith("// io_util.js: Python code converted to JavaScript.\n")
    assert "const xs = [3, 1, 2];\n" in prompt
    assert "//   with open(path) as fh:\n//       data = fh.read()\n// JavaScript:\n" in prompt
    if result.ok:  # the model's code parsed: offered, and the whole result parses
        assert result.by_model == ["a with statement"]
        assert parses("javascript", result.text)
    else:  # it did not: nothing offered, and the reason given
        assert result.uncovered == ["a with statement"] and result.error
        assert not result.parses
    assert "xs.map((x) => x * 2)" in result.text or not result.ok


def test_java_has_no_module_so_no_model_answer(converter: ModelConverter) -> None:
    before = len(converter.calls)
    result = convert("with open(p) as fh:\n    pass\n", "python", "java", model=converter)
    assert not result.ok and result.uncovered == ["a with statement"]
    assert len(converter.calls) == before + 1 and converter.calls[-1][2] is None


@pytest.mark.parametrize(
    "answer",
    [
        "const = = 1;",  # does not parse
        "// nothing but a comment\n// and another",  # comments only
        "const unrelated = 42;",  # parses but shares no name with the statement
        None,
    ],
)
def test_an_answer_that_is_not_usable_is_not_offered(answer: str | None) -> None:
    def hook(target: str, prompt: str) -> str | None:
        return answer

    result = convert("a, b = pair\n", "python", "javascript", model=hook)
    assert not result.ok and result.uncovered == ["tuple unpacking"]
    assert result.text == "" and "no rule converts tuple unpacking" in result.error


def test_an_answer_that_parses_and_fits_is_kept() -> None:
    def hook(target: str, prompt: str) -> str | None:
        return "// unpacked\nconst [a, b] = pair;\n\n// something else entirely\nfoo();"

    result = convert("a, b = pair\nc = a + b\n", "python", "javascript", model=hook)
    assert result.ok, result.error
    assert result.by_model == ["tuple unpacking"]
    assert result.text == "const [a, b] = pair;\nconst c = a + b;"
    assert parses("javascript", result.text)


def test_without_a_model_uncovered_code_is_refused() -> None:
    result = convert("class A:\n    pass\n", "python", "typescript")
    assert not result.ok and result.error == "no rule converts a class definition"


def test_a_selection_with_syntax_errors_is_refused() -> None:
    result = convert("x = [1, 2\ny = 3\n", "python", "javascript")
    assert not result.ok and result.error == "the selection has syntax errors"
