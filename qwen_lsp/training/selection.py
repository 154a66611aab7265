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


def python_function_score(text: str) -> float:
    """Share of ``text``'s non-blank lines inside functions that have a docstring and 2-40 lines
    of code after it (nested functions count once, within their parent)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in old code
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return 0.0
    lines = text.split("\n")
    nonblank = sum(1 for line in lines if line.strip())
    if nonblank == 0:
        return 0.0
    covered = [False] * (len(lines) + 1)
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
        for i in range(first, end + 1):
            covered[i] = True
    good = sum(1 for i, line in enumerate(lines, 1) if covered[i] and line.strip())
    return good / nonblank


def score_texts(texts: Sequence[str], workers: int | None = None) -> list[float]:
    """:func:`python_function_score` of each text, over ``workers`` processes (1: in this one)."""
    if workers == 1 or len(texts) < 256:
        return [python_function_score(t) for t in texts]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(python_function_score, texts, chunksize=64))
