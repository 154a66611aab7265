"""Document scores (selection.py) and the score-weighted document choice of the FIM sampler."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qwen_lsp.training.data import FimConfig, FimSampler, TokenData, encode_corpus
from qwen_lsp.training.selection import python_function_score, score_texts
from qwen_lsp.training.tokenizer import TokenTables

DOCUMENTED = '''import math


def hypotenuse(a, b):
    """The long side of a right triangle."""
    squares = a * a + b * b
    return math.sqrt(squares)


def mean(values):
    """The arithmetic mean of a non-empty list."""
    total = 0
    for v in values:
        total += v
    return total / len(values)
'''

UNDOCUMENTED = DOCUMENTED.replace('    """The long side of a right triangle."""\n', "").replace(
    '    """The arithmetic mean of a non-empty list."""\n', ""
)

TABLE = "CODES = {\n" + "".join(f"    'k{i}': {i},\n" for i in range(40)) + "}\n"


def test_documented_short_functions_score_high() -> None:
    score = python_function_score(DOCUMENTED)
    # Everything but the import line is inside the two functions.
    assert score == pytest.approx(10 / 11)


def test_code_without_docstrings_tables_and_junk_score_zero() -> None:
    assert python_function_score(UNDOCUMENTED) == 0.0
    assert python_function_score(TABLE) == 0.0
    assert python_function_score("def broken(:\n    pass\n") == 0.0
    assert python_function_score("") == 0.0


def test_long_functions_do_not_count() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(60))
    long_fn = f'def setup():\n    """Many assignments."""\n{body}    return x0\n'
    assert python_function_score(long_fn) == 0.0
    assert python_function_score(long_fn + "\n\n" + DOCUMENTED) == pytest.approx(10 / (63 + 11))


def test_pool_and_inline_scores_agree() -> None:
    texts = [DOCUMENTED, UNDOCUMENTED, TABLE] * 100
    assert score_texts(texts, workers=2) == score_texts(texts, workers=1)


@pytest.fixture(scope="module")
def scored_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer) -> Path:  # type: ignore[no-untyped-def]
    """Token files of two documents of equal length, one scoring 0 and one about 0.9."""
    corpus = tmp_path_factory.mktemp("scored-corpus")
    with open(corpus / "train.jsonl", "w") as f:
        for name, text in (("a_plain", UNDOCUMENTED), ("b_documented", DOCUMENTED)):
            f.write(json.dumps({"package": "p", "path": f"p/{name}.py", "text": text}) + "\n")
    out = tmp_path_factory.mktemp("scored-tokens")
    encode_corpus(tokenizer, corpus, out, splits=("train",), score=score_texts)
    return out


def test_encode_corpus_writes_one_score_per_document(scored_dir: Path) -> None:
    data = TokenData.open(scored_dir, "train")
    assert data.scores is not None
    assert data.scores.tolist() == pytest.approx([0.0, 10 / 11], rel=1e-6)


def _draw_counts(data: TokenData, tokenizer, boost: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    sampler = FimSampler(
        data, TokenTables.from_tokenizer(tokenizer), FimConfig(score_boost=boost), 5
    )
    counts = np.zeros(len(data.docs), int)
    for _ in range(4000):
        counts[sampler.choose_document()] += 1
    return counts


def test_score_boost_draws_high_scoring_documents_more(scored_dir: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    data = TokenData.open(scored_dir, "train")
    lengths = data.docs[:, 1] + 1
    plain = _draw_counts(data, tokenizer, 0.0)
    boosted = _draw_counts(data, tokenizer, 9.0)
    # Without a boost the choice follows tokens; with it, the documented file's weight is
    # multiplied by 1 + 9 x 10/11.
    expected_plain = lengths[1] / lengths.sum()
    weight = lengths * np.array([1.0, 1 + 9 * 10 / 11])
    expected_boosted = weight[1] / weight.sum()
    assert plain[1] / plain.sum() == pytest.approx(expected_plain, abs=0.03)
    assert boosted[1] / boosted.sum() == pytest.approx(expected_boosted, abs=0.03)
    assert boosted[1] / boosted.sum() > plain[1] / plain.sum() + 0.2


def test_score_boost_without_scores_is_refused(token_dir: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    data = TokenData.open(token_dir, "train")
    assert data.scores is None
    with pytest.raises(ValueError, match="scores"):
        FimSampler(data, TokenTables.from_tokenizer(tokenizer), FimConfig(score_boost=1.0))
