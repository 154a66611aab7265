"""Tokenizer: special tokens at ids 0..6, exact round trip, indentation-friendly boundaries."""

from __future__ import annotations

import pytest

from qwen_lsp.training import SPECIAL_TOKENS
from qwen_lsp.training.tokenizer import TokenTables, check_special_tokens, encode_plain

SAMPLES = [
    "def f(x):\n    if x:\n        return x  # ok\n    return None\n",
    "class A:\n\tdef m(self):\n\t\tpass\n",
    "s = 'héllo wörld ✓ 日本語'\n\n\n    \n",
    "x = [1, 2, 3]\r\ny = {'a': 1}\r\n",
    "const f = async (a) => { await g(a); };\n  // trailing spaces   \n",
    "",
    "   leading spaces",
]


def test_special_tokens_at_fixed_ids(tokenizer) -> None:  # type: ignore[no-untyped-def]
    check_special_tokens(tokenizer)
    for i, name in enumerate(SPECIAL_TOKENS):
        assert tokenizer.token_to_id(name) == i
    assert tokenizer.get_vocab_size() == 1024


@pytest.mark.parametrize("text", SAMPLES)
def test_round_trip(tokenizer, text: str) -> None:  # type: ignore[no-untyped-def]
    ids = encode_plain(tokenizer, text)
    assert tokenizer.decode(ids, skip_special_tokens=False) == text


def test_special_strings_in_source_stay_text(tokenizer) -> None:  # type: ignore[no-untyped-def]
    text = 'EOS = "<|endoftext|>"  # <|fim_prefix|>\n'
    ids = encode_plain(tokenizer, text)
    assert all(i >= len(SPECIAL_TOKENS) for i in ids)
    assert tokenizer.decode(ids) == text
    # With special tokens recognised (how prompts are built), they are single ids.
    assert tokenizer.encode("<|fim_prefix|>x", add_special_tokens=False).ids[0] == 1


@pytest.mark.parametrize(
    "prefix,rest",
    [
        ("def f(x):\n    ", "return x\n"),
        ("class A:\n    def m(self):\n        ", "self.x = 1\n"),
        ("if a:\n\t", "pass\n"),
        ("x = 1\n", "y = 2\n"),
    ],
)
def test_cursor_after_indentation_is_a_token_boundary(tokenizer, prefix: str, rest: str) -> None:  # type: ignore[no-untyped-def]
    """A prompt that ends after a line's indentation tokenizes as the prefix of the full text's
    tokens: the model sees exactly what it saw in training before that line's first word."""
    full = encode_plain(tokenizer, prefix + rest)
    head = encode_plain(tokenizer, prefix)
    assert full[: len(head)] == head
    # The prompt's tail is the newline+indentation piece, not a run of spaces glued to a word.
    texts = [tokenizer.decode([i]) for i in head]
    start = max(i for i, t in enumerate(texts) if "\n" in t)
    assert "".join(texts[start:]) == "\n" + prefix.rsplit("\n", 1)[1]


def test_token_tables(tokenizer) -> None:  # type: ignore[no-untyped-def]
    tables = TokenTables.from_tokenizer(tokenizer)
    ids = encode_plain(tokenizer, "a = 1\n        b = 2\n")
    nl = [i for i in ids if tables.has_newline[i]]
    assert nl, "newline+indent must be a token"
    assert all(tables.is_space[i] for i in nl)
    assert sum(int(tables.tail_width[i]) for i in ids if tables.is_space[i] and i in nl[:1]) <= 8
    assert not tables.has_newline[:7].any()
