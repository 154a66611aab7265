"""Document scores for weighted sampling: how much of a file is the code the product completes
most, short documented functions.

A ghost-text model spends its life writing function bodies under a signature and a docstring.
Library code is mostly something else (class plumbing, configuration tables, long numerical
kernels), so an annealing stage can sample files in proportion to their share of *documented
short functions*: a docstring, then a body of 2 to 40 lines of code. The score is that share of
the file's non-blank lines (0 to 1); files that do not parse score 0. Nothing here looks at any
benchmark's text.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

MIN_BODY_LINES = 2
MAX_BODY_LINES = 40


def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in old code
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def documented_short_functions(tree: ast.Module) -> list[tuple[int, int, int]]:
    """``(first, body, end)`` 1-based line numbers of each function of ``tree`` with a
    docstring and 2-40 lines of code after it: its first line (decorators included), the first
    line of code after the docstring, and its last line. Nested functions are listed too (they
    lie within their parent's range)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if len(body) < 2 or ast.get_docstring(node, clean=False) is None:
            continue
        end = node.end_lineno or node.lineno
        code_lines = end - body[1].lineno + 1
        if not MIN_BODY_LINES <= code_lines <= MAX_BODY_LINES:
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        found.append((first, body[1].lineno, end))
    return found


def python_function_score(text: str) -> float:
    """Share of ``text``'s non-blank lines inside functions that have a docstring and 2-40 lines
    of code after it (nested functions count once, within their parent)."""
    tree = _parse(text)
    if tree is None:
        return 0.0
    lines = text.split("\n")
    nonblank = sum(1 for line in lines if line.strip())
    if nonblank == 0:
        return 0.0
    covered = [False] * (len(lines) + 1)
    for first, _body, end in documented_short_functions(tree):
        for i in range(first, end + 1):
            covered[i] = True
    good = sum(1 for i, line in enumerate(lines, 1) if covered[i] and line.strip())
    return good / nonblank


def documented_function_body_lines(text: str, language_id: str = "python") -> list[int]:
    """0-based indices of the code lines (not blank, not comments) in the bodies, after the
    docstring, of ``text``'s documented short functions: where a ghost-text model spends its
    life. Empty when the text does not parse. Languages other than Python: functions right
    after a ``/** ... */`` comment, found by the language's ``documented_functions.scm``
    query (:func:`doc_comment_body_lines`)."""
    if language_id != "python":
        return doc_comment_body_lines(text, language_id)
    tree = _parse(text)
    if tree is None:
        return []
    lines = text.split("\n")
    chosen: set[int] = set()
    for _first, body, end in documented_short_functions(tree):
        for number in range(body, end + 1):
            stripped = lines[number - 1].strip()
            if stripped and not stripped.startswith("#"):
                chosen.add(number - 1)
    return sorted(chosen)


def score_texts(texts: Sequence[str], workers: int | None = None) -> list[float]:
    """:func:`python_function_score` of each text, over ``workers`` processes (1: in this one)."""
    if workers == 1 or len(texts) < 256:
        return [python_function_score(t) for t in texts]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(python_function_score, texts, chunksize=64))


def doc_comment_body_lines(text: str, language_id: str) -> list[int]:
    """:func:`documented_function_body_lines` for a language whose functions are documented by
    a ``/** ... */`` comment before them (JavaScript, TypeScript): the lines inside the braces
    of each such function with 2-40 lines of code. Empty for a language without the query."""
    import tree_sitter as ts

    from qwen_lsp.syntax.languages import default_registry

    language = default_registry().by_id(language_id)
    query = language.query("documented_functions") if language is not None else None
    if language is None or query is None:
        return []
    tree = language.parser().parse(text.encode("utf-8"))
    lines = text.split("\n")
    chosen: set[int] = set()
    for _pattern, captures in ts.QueryCursor(query).matches(tree.root_node):
        doc, body = captures["doc"][0], captures["body"][0]
        if not (doc.text or b"").startswith(b"/**"):
            continue
        inside = range(body.start_point[0] + 1, body.end_point[0])
        code = [i for i in inside if _is_code(lines[i])]
        if MIN_BODY_LINES <= len(code) <= MAX_BODY_LINES:
            chosen.update(code)
    return sorted(chosen)


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("//", "/*", "*"))
