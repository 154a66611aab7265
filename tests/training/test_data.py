"""Token files and FIM samples follow docs/model-module.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qwen_lsp.training import EOT_ID, FILE_SEP_ID, FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID
from qwen_lsp.training.data import FimConfig, FimSampler, TokenData
from qwen_lsp.training.tokenizer import TokenTables, encode_plain


def make(token_dir: Path, tokenizer, **cfg) -> FimSampler:  # type: ignore[no-untyped-def]
    tables = TokenTables.from_tokenizer(tokenizer)
    return FimSampler(
        TokenData.open(token_dir, "train"), tables, FimConfig(seq_len=512, **cfg), seed=3
    )


@pytest.fixture(scope="module")
def sampler(token_dir: Path, tokenizer) -> FimSampler:  # type: ignore[no-untyped-def]
    return make(token_dir, tokenizer)


def test_token_files(token_dir: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    data = TokenData.open(token_dir, "train")
    start, length = int(data.docs[0, 0]), int(data.docs[0, 1])
    assert data.tokens[start + length] == EOT_ID
    text = tokenizer.decode(data.tokens[start : start + length].tolist())
    assert text.startswith(('"""', "#", "import", "from", "'''", "r"))
    path = tokenizer.decode(
        data.paths[int(data.docs[0, 3]) : int(data.docs[0, 3]) + int(data.docs[0, 4])].tolist()
    )
    assert path.endswith(".py\n")
    assert set(data.docs[:, 2].tolist()) == {0, 1}


def test_sequences_have_fixed_length(sampler: FimSampler) -> None:
    x, m = sampler.batch(8)
    assert x.shape == (8, 513) and m.shape == (8, 513)
    assert x.max() < 1024 and x.min() >= 0


def _split(toks: list[int]) -> dict[str, list[int]]:
    return {"ctx": toks[: toks.index(FIM_PREFIX_ID)], "rest": toks[toks.index(FIM_PREFIX_ID) :]}


def test_spm_sample_is_natural_tokenization(token_dir: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    sampler = make(token_dir, tokenizer, order_weights={"spm": 1.0}, p_crossfile=0.0)
    for _ in range(20):
        toks, mask, kind = sampler.sample(400)
        assert kind.startswith("spm")
        rest = _split(toks)["rest"]
        assert rest[:2] == [FIM_PREFIX_ID, FIM_SUFFIX_ID] and rest[-1] == EOT_ID
        mid = rest.index(FIM_MIDDLE_ID)
        pm = rest[mid + 1 : -1]
        # P + M is one text tokenized naturally (the contract's SPM rule).
        assert encode_plain(tokenizer, tokenizer.decode(pm)) == pm
        n_middle = sum(mask) - 1
        assert n_middle >= 1 and mask[-1] == 1


def test_psm_sample_layout(token_dir: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    sampler = make(token_dir, tokenizer, order_weights={"psm": 1.0}, p_crossfile=0.0)
    toks, mask, _ = sampler.sample(400)
    rest = _split(toks)["rest"]
    i_suf, i_mid = rest.index(FIM_SUFFIX_ID), rest.index(FIM_MIDDLE_ID)
    assert rest[0] == FIM_PREFIX_ID and 0 < i_suf < i_mid and rest[-1] == EOT_ID
    assert sum(mask) == len(rest) - i_mid - 1  # loss mask covers M and the closing EOT


def test_line_span_starts_after_indentation(sampler: FimSampler, tokenizer) -> None:  # type: ignore[no-untyped-def]
    tables = TokenTables.from_tokenizer(tokenizer)
    doc = np.array(
        encode_plain(tokenizer, "def f(a):\n    if a:\n        return a + 1\n    return 0\n")
    )
    for _ in range(20):
        i, j, _ = sampler.choose_span(doc, "line")
        middle = tokenizer.decode(doc[i:j].tolist())
        assert middle in ("def f(a):", "if a:", "return a + 1", "return 0")
        assert j == len(doc) or tables.has_newline[doc[j]]
        i, j, _ = sampler.choose_span(doc, "block")
        assert tokenizer.decode(doc[i:j].tolist()).strip()


def test_crossfile_blocks(token_dir: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    sampler = make(token_dir, tokenizer, order_weights={"spm": 1.0}, p_crossfile=1.0)
    seen = False
    for _ in range(20):
        toks, _, _ = sampler.sample(500)
        if toks[0] != FILE_SEP_ID:
            continue
        seen = True
        ctx = _split(toks)["ctx"]
        text = tokenizer.decode(ctx, skip_special_tokens=False)
        blocks = text.split("<|file_sep|>")[1:]
        assert len(blocks) >= 2
        for b in blocks[:-1]:
            path, _, snippet = b.partition("\n")
            assert path.endswith(".py") and snippet.endswith("\n")
        assert blocks[-1].endswith(".py\n")  # the current file's path, then the FIM part
        # same package (two packages alternate: pkg0 / pkg1)
        pk = {b.split("/")[0] for b in blocks}
        assert len(pk) == 1
    assert seen
