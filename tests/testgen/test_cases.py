"""Cases from documentation: doctests and docstring examples become assertions."""

from __future__ import annotations

import inspect

from qwen_lsp.testgen.javascript import example_cases
from qwen_lsp.testgen.model import Param, Target
from qwen_lsp.testgen.python import case_lines, docstring_cases, doctest_cases, pinned_case
from qwen_lsp.testgen.samples import Samples


def _lines(target: Target) -> list[list[str]]:
    helpers: dict[str, str] = {}
    return [
        [line for case in group for line in case_lines(case, helpers)[0]]
        for group in doctest_cases(target)
    ]


def test_doctest_examples_become_assertions():
    doc = """Split words.

    >>> split("a b")
    ['a', 'b']
    >>> split("")
    []
    >>> split(None)
    Traceback (most recent call last):
      ...
    TypeError: not a string
    >>> split("x") is None
    False
    >>> print(split("c d")[0])
    c
    """
    target = Target("split", "function", doc=doc)
    assert _lines(target) == [
        ["assert split('a b') == ['a', 'b']".replace("'a b'", '"a b"')],
        ['assert split("") == []'],
        ["with pytest.raises(TypeError):", "    split(None)"],
        ['assert (split("x") is None) is False'],
        ['print(split("c d")[0])', "assert capsys.readouterr().out == 'c\\n'"],
    ]


def test_statements_make_one_group_with_their_setup():
    doc = inspect.cleandoc(
        """>>> s = Stack()
        >>> s.push(3)
        >>> s.pop()
        3
        >>> s
        <Stack []>
        """
    )
    groups = _lines(Target("Stack", "class", doc=doc))
    assert groups == [
        ["s = Stack()", "s.push(3)", "assert s.pop() == 3", "assert repr(s) == '<Stack []>'"]
    ]


def test_ellipsis_uses_the_doctest_checker():
    doc = inspect.cleandoc(
        """>>> list(range(20))  # doctest: +ELLIPSIS
        [0, 1, ..., 19]
        """
    )
    helpers: dict[str, str] = {}
    [[case]] = doctest_cases(Target("f", "function", doc=doc))
    lines, _ = case_lines(case, helpers)
    assert lines == ["assert _doctest_matches(list(range(20)), '[0, 1, ..., 19]', 8)"]
    assert "_doctest_matches" in helpers


def test_docstring_examples_without_doctests():
    doc = "Clamp a value.\n\nExamples:\n    clamp(5, 0, 3) -> 3\n    clamp(-1, 0, 3) == 0\n    other(1) -> 2\n"
    cases = docstring_cases(Target("clamp", "function", doc=doc))
    assert [(c.call, c.expected) for c in cases] == [
        ("clamp(5, 0, 3)", "3"),
        ("clamp(-1, 0, 3)", "0"),
    ]


def test_jsdoc_examples():
    doc = "Add.\n@param {number} a\n@example\nadd(1, 2) // => 3\nadd(2, 2); // 4\n@returns {number}"
    cases = example_cases(Target("add", "function", doc=doc))
    assert [(c.call, c.expected) for c in cases] == [("add(1, 2)", "3"), ("add(2, 2)", "4")]


def test_pinned_results():
    from qwen_lsp.testgen.model import Case

    smoke = Case("f", "f(3)", "smoke")
    assert pinned_case(smoke, {"ok": True, "same": True, "repr": "[1, 2]"}).expected == "[1, 2]"
    assert pinned_case(smoke, {"ok": True, "same": True, "repr": "2.5"}).compare == "approx"
    assert pinned_case(smoke, {"ok": True, "same": True, "repr": "None"}).compare == "is"
    rt = pinned_case(
        smoke, {"ok": True, "same": True, "repr": "Decimal('3.60')", "round_trip": True}
    )
    assert rt.expected == "Decimal('3.60')"
    other = pinned_case(
        smoke, {"ok": True, "same": True, "repr": "<X at 0x1>", "type": "X", "module": "m"}
    )
    assert other.check == "type({result}).__name__ == 'X'"
    assert pinned_case(smoke, {"ok": True, "same": False, "repr": "0.3"}) is None  # random
    assert pinned_case(smoke, {"ok": False, "error": "ValueError"}) is None


def test_sample_arguments_follow_annotations_then_names():
    samples = Samples("python")
    params = [Param("text", "str"), Param("count"), Param("rate"), Param("sep", default='" "')]
    sets = samples.argument_sets(params)
    assert sets[0] == [(params[0], '"hello world"'), (params[1], "3"), (params[2], "0.25")]
    assert [v for _p, v in sets[-1]][-1] == '"hello world"'  # the optional one, by keyword
    assert (
        samples.argument_sets([Param("a"), Param("b")])[0][1][1]
        != samples.argument_sets([Param("a"), Param("b")])[0][0][1]
    )
