"""Byte-level BPE tokenizer for code, with the contract's special tokens at ids 0..6.

Pre-tokenisation is indentation-friendly: a newline and the indentation of the next line are one
pre-token (``"\\n    "``), and a word never absorbs the space of the indentation before it. A prompt
that ends right after the indentation of a line (where an editor leaves the cursor) therefore ends
with exactly the token that precedes the line's first word in training, not with an odd run of
spaces the model never saw at the end of a text (the failure measured in the feasibility probe).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

from qwen_lsp.training import SPECIAL_TOKENS

# One alternative per kind of piece; order matters (the leftmost alternative that matches wins).
PRETOKENIZE_PATTERN = (
    r"[\r\n]+[\t ]*"  # newline(s) plus the indentation of the next line
    r"| ?[\p{L}_][\p{L}\p{N}_]*"  # identifier or word, with one optional leading space
    r"| ?\p{N}{1,3}"  # numbers in chunks of at most three digits
    r"| ?[^\s\p{L}\p{N}_]+"  # a run of punctuation / operators, one optional leading space
    r"|[\t ]+"  # other runs of spaces and tabs (alignment, trailing spaces)
    r"|\s+"  # any other whitespace (form feed, unicode spaces)
)

DEFAULT_VOCAB_SIZE = 16384


def new_tokenizer() -> Tokenizer:
    """An untrained byte-level BPE tokenizer with this project's pre-tokenizer and decoder."""
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def train_tokenizer(
    texts: Iterable[str],
    vocab_size: int = DEFAULT_VOCAB_SIZE,
    min_frequency: int = 2,
    max_token_length: int = 32,
) -> Tokenizer:
    """Train the BPE on ``texts``; the 7 special tokens get ids 0..6, then the 256 bytes.

    ``max_token_length`` keeps banner comments (``#####...``) from eating vocabulary.
    """
    tok = new_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        max_token_length=max_token_length,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    check_special_tokens(tok)
    return tok


def check_special_tokens(tok: Tokenizer) -> None:
    """Raise ``ValueError`` unless the contract's special tokens sit at ids 0..6, marked special."""
    for i, name in enumerate(SPECIAL_TOKENS):
        got = tok.token_to_id(name)
        if got != i:
            raise ValueError(f"special token {name!r} has id {got}, the contract wants {i}")
    added = {t.content: t for t in tok.get_added_tokens_decoder().values()}
    for name in SPECIAL_TOKENS:
        if name not in added or not added[name].special:
            raise ValueError(f"{name!r} is not an added special token")


def load_tokenizer(path: str | Path) -> Tokenizer:
    """Load a ``tokenizer.json`` and check its special tokens."""
    tok = Tokenizer.from_file(str(path))
    check_special_tokens(tok)
    return tok


def encode_texts(tok: Tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Encode source texts with special-token strings treated as plain text.

    Source files (transformers' own, for one) contain literal ``<|endoftext|>``; they must not
    turn into control tokens in the training data.
    """
    prev = tok.encode_special_tokens
    tok.encode_special_tokens = True
    try:
        return [enc.ids for enc in tok.encode_batch(list(texts), add_special_tokens=False)]
    finally:
        tok.encode_special_tokens = prev


def encode_plain(tok: Tokenizer, text: str) -> list[int]:
    """Encode one text with special-token strings treated as plain text."""
    prev = tok.encode_special_tokens
    tok.encode_special_tokens = True
    try:
        return tok.encode(text, add_special_tokens=False).ids
    finally:
        tok.encode_special_tokens = prev


@dataclass(frozen=True)
class TokenTables:
    """Per-token facts used to place line-aware FIM spans without decoding.

    Attributes:
        has_newline: the token contains a newline (with this pre-tokenizer such tokens are
            whitespace only: a newline and some indentation).
        is_space: the token is whitespace only.
        tail_width: characters after the token's last newline, or its length when it has none
            (the indentation a whitespace token contributes to its line).
        text: the decoded text of every token (specials as their names).
    """

    has_newline: np.ndarray
    is_space: np.ndarray
    tail_width: np.ndarray
    text: list[str]

    @classmethod
    def from_tokenizer(cls, tok: Tokenizer) -> TokenTables:
        """Build the tables by decoding every id of ``tok``."""
        n = tok.get_vocab_size()
        specials = set(range(len(SPECIAL_TOKENS)))
        texts: list[str] = []
        for i in range(n):
            texts.append(
                SPECIAL_TOKENS[i] if i in specials else tok.decode([i], skip_special_tokens=False)
            )
        has_nl = np.array(
            [("\n" in t or "\r" in t) and i not in specials for i, t in enumerate(texts)]
        )
        is_space = np.array(
            [t != "" and t.isspace() and i not in specials for i, t in enumerate(texts)]
        )
        tail = np.array(
            [
                len(t) - 1 - max(t.rfind("\n"), t.rfind("\r"))
                if ("\n" in t or "\r" in t)
                else len(t)
                for t in texts
            ],
            dtype=np.int32,
        )
        return cls(has_newline=has_nl, is_space=is_space, tail_width=tail, text=texts)
