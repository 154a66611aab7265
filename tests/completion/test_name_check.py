"""The name check of candidates (``completion/name_check.py``): a candidate that reads a name
nothing in scope binds is cut before that line, or rejected when its first line does; real
tree-sitter parses and the analysis' own undefined-name rule (QL101) decide.

Every "accepted" case below comes with a near-identical candidate that is rejected, so that each
test fails when the check stops working either way."""

from __future__ import annotations

import pytest

from qwen_lsp.analysis.cache import ResultCache
from qwen_lsp.completion.name_check import MAX_BYTES, NameCheck, undefined_name_rule
from qwen_lsp.completion.plan import Plan
from qwen_lsp.completion.stream import StreamCommitter
from qwen_lsp.syntax.document import Document
from qwen_lsp.syntax.languages import default_registry

PYTHON = default_registry().by_id("python")
JAVASCRIPT = default_registry().by_id("javascript")
URI = "file:///project/summaries.py"

# A function body with a local, two parameters and the cursor on an empty line of it.
BEFORE = "def summarize(values, path):\n    total = 0\n    "
AFTER = "\n    return total\n"


def _names(before: str, after: str, cache: ResultCache | None = None) -> NameCheck:
    document = Document(URI, before + after, 1, PYTHON)
    names = NameCheck.at(document.snapshot(), len(before.encode("utf-8")), cache)
    assert names is not None
    return names


def _checked(candidate: str, before: str = BEFORE, after: str = AFTER) -> str | None:
    """What the check keeps of ``candidate`` (no syntax check or post-processing around it)."""
    return _names(before, after).check(candidate, lambda text: text)


def _accepted(candidate: str, before: str = BEFORE, after: str = AFTER) -> bool:
    return _checked(candidate, before, after) == candidate


def test_python_has_the_rule_and_javascript_is_not_checked():
    assert undefined_name_rule("python") == "QL101"
    assert undefined_name_rule("javascript") is None
    document = Document("file:///project/app.js", "const a = 1;\n", 1, JAVASCRIPT)
    assert NameCheck.at(document.snapshot(), 0) is None


def test_an_invented_helper_is_rejected():
    assert _checked("total = parse_paren(path)") is None
    assert _names(BEFORE, AFTER).introduced("total = parse_paren(path)") == [(0, "parse_paren")]


@pytest.mark.parametrize(
    ("before", "after", "good", "bad"),
    [
        (
            "def second(values):\n    smallest = min(values)\n    return ",
            "\n",
            "smallest + 1",
            "smallst + 1",
        ),
        (
            "def first(values):\n    return ",
            "\n\n\ndef helper(values):\n    return values[0]\n\n\nLIMIT = 3\n",
            "helper(values)[:LIMIT]",
            "helpr(values)",
        ),
        # Token healing: the candidate starts with the rest of a partly typed identifier; one
        # completed into a name nothing binds is the candidate's invention.
        (
            "def second(values):\n    smallest = min(values)\n    return smal",
            "\n",
            "lest + 1",
            "lst + 1",
        ),
        # What the user typed before the cursor is not held against the candidate.
        ("def f(values):\n    return not_defined_yet", "\n", " + 1", " + also_not_defined"),
    ],
    ids=["misspelt-local", "defined-further-down", "healed-identifier", "typed-before-cursor"],
)
def test_a_name_the_file_binds_is_accepted_and_a_near_miss_rejected(
    before: str, after: str, good: str, bad: str
):
    assert _accepted(good, before, after)
    assert _checked(bad, before, after) is None


def test_a_module_never_imported_is_rejected_and_an_imported_one_accepted():
    before = "def load_config(path):\n    with open(path) as fh:\n        return "
    assert _checked("json.load(fh)", before, "\n") is None
    assert _accepted("json.load(fh)", "import json\n\n\n" + before, "\n")


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("for k in range(3): total += k", "for j in range(3): total += k"),
        ("x = 1; total += x", "x = 1; total += y"),
        ("key = lambda item: item[1]", "key = lambda item: itme[1]"),
        ("squares = [n * n for n in values]", "squares = [n * m for n in values]"),
        ("total = sum(v for v in values if v)", "total = sum(v for v in values if w)"),
        ("with open(path) as fh: total = len(fh.read())", "with open(path) as fh: total = f"),
        ("if (count := len(values)) > 2: total = count", "if (count := 3) > 2: total = counts"),
    ],
    ids=["for", "assignment", "lambda", "comprehension", "generator", "with", "walrus"],
)
def test_names_the_candidate_binds_itself_are_accepted(good: str, bad: str):
    assert _accepted(good)
    assert _checked(bad) is None


def test_an_except_target_bound_by_the_candidate_is_accepted():
    good = "try:\n        total = int(path)\n    except ValueError as err:\n        print(err)"
    assert _accepted(good)
    # The same block printing a name nothing binds is cut before that line.
    bad = good.replace("print(err)", "print(error)")
    assert _checked(bad) == "try:\n        total = int(path)\n    except ValueError as err:"


def test_builtins_are_accepted():
    good = "total = len(values) + sum(values) + max(values); print(isinstance(path, str))"
    assert _accepted(good)
    assert _accepted("raise ValueError(__name__)")
    assert _checked("total = length(values)") is None


@pytest.mark.parametrize(
    "header",
    ["from os.path import *", "globals()['parse_paren'] = len"],
    ids=["star-import", "writes-globals"],
)
def test_modules_the_rule_leaves_alone_are_not_checked(header: str):
    """A star import or a module writing its globals silences the check as it silences QL101."""
    before = "def f(p):\n    return "
    assert _checked("parse_paren(p)", before, "\n") is None
    assert _accepted("parse_paren(p)", f"{header}\n\n\n" + before, "\n")


def test_names_already_undefined_in_the_file_are_not_the_candidates_invention():
    after = "\n    return total\n\n\nprint(np.zeros(3))\n"
    assert _accepted("total = len(values)", after=after)
    assert _accepted("total = np.ones(3)", after=after)  # the file already reads `np`
    assert _checked("total = pd.Series(values)", after=after) is None


def test_a_later_line_is_cut_and_a_first_line_rejects():
    good_first = "data = open(path).read()\n    return parse_paren(data)"
    assert _checked(good_first) == "data = open(path).read()"
    assert _checked("data = parse_paren(path)\n    return data") is None
    # The cut text goes through the caller's shaping (the service: syntax check and
    # post-processing) and is checked again; nothing left rejects.
    assert _names(BEFORE, AFTER).check(good_first, lambda text: None) is None


def test_the_answer_is_the_same_with_a_warm_analysis_cache():
    cache = ResultCache()
    for _ in range(2):
        assert _names(BEFORE, AFTER, cache).check("total = parse_paren(path)", str) is None
        assert _names(BEFORE, AFTER, cache).check("total = len(path)", str) == "total = len(path)"
    assert cache.hits > 0


def test_files_over_the_size_limit_are_not_checked():
    filler = "\n".join(f"CONSTANT_{i} = {i}" for i in range(MAX_BYTES // 16))
    document = Document(URI, filler + "\n" + BEFORE + AFTER, 1, PYTHON)
    assert len(document.snapshot().data) > MAX_BYTES
    offset = len((filler + "\n" + BEFORE).encode())
    assert NameCheck.at(document.snapshot(), offset) is None
    # The same function alone is checked.
    assert _checked("total = parse_paren(path)") is None


def test_streaming_commits_no_line_the_final_check_would_cut():
    plan = Plan(multiline=True, line_before="    ", rest_of_line="", next_line="")
    text = (
        "data = open(path).read()\n    size = len(data)\n    return parse_paren(data)\n    x = 1\n"
    )
    with_names = StreamCommitter(plan, BEFORE, AFTER, PYTHON, names=_names(BEFORE, AFTER))
    pieces = [with_names.update(text[:end]) for end in range(1, len(text) + 1)]
    assert "".join(pieces) == "data = open(path).read()\n    size = len(data)"
    without = StreamCommitter(plan, BEFORE, AFTER, PYTHON)
    pieces = [without.update(text[:end]) for end in range(1, len(text) + 1)]
    assert "parse_paren" in "".join(pieces)
