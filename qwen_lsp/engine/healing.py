"""Token healing: generation never continues from a split token.

When the cursor sits inside a token (a partly typed word, after indentation spaces), the prompt
is backed up to the last token boundary and the first generated tokens are constrained to
re-create the removed text; the removed text is then cut from the suggestion. Without it a
model sees a prompt ending in a token it rarely saw at that place (a run of spaces ending a
text, half a word) and often ends the line at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Types only: prompts are built from text by callers that never load a tokenizer.
    from .tokenizer import ModelTokenizer


# Characters that typically follow the cursor: if appending them leaves the prompt's last token
# as it is, the cursor already sits on a token boundary and there is nothing to heal.
_PROBES = ("a", "x_", "(", ".", "0")


def is_split(tokenizer: ModelTokenizer, ids: list[int]) -> bool:
    """Whether the prompt's last token would change if the user typed on (the cursor sits
    inside a token). Decided by the tokenizer itself, so it holds for any pre-tokenizer: after
    indentation Qwen's tokenizer merges the last space with the next word, ours does not."""
    if not ids or not tokenizer.token_bytes[ids[-1]]:
        return False
    tail_ids = ids[-2:] if len(ids) >= 2 and tokenizer.token_bytes[ids[-2]] else ids[-1:]
    last = tokenizer.token_bytes[ids[-1]]
    # A partly typed word: the vocabulary has longer tokens that start with it.
    if (last[-1:].isalnum() or last.endswith(b"_")) and any(
        t != ids[-1] for t in tokenizer.tokens_starting_with(last, limit=2)
    ):
        return True
    try:
        tail = tokenizer.decode_bytes(tail_ids).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        # The tail starts inside a character (byte-level tokens of an emoji, say): the cursor
        # is after a whole non-ASCII character, not inside a word; nothing to heal.
        return False
    for probe in _PROBES:
        again = tokenizer.encode(tail + probe)
        if again[: len(tail_ids)] != tail_ids:
            return True
    return False


def back_up(
    tokenizer: ModelTokenizer, ids: list[int], max_tokens: int = 1
) -> tuple[list[int], bytes]:
    """Drop up to ``max_tokens`` trailing text tokens when the cursor splits a token; return the
    shorter ids and the removed bytes (empty when no healing is needed)."""
    if not is_split(tokenizer, ids):
        return ids, b""
    cut = len(ids)
    while cut > 0 and len(ids) - cut < max_tokens and tokenizer.token_bytes[ids[cut - 1]]:
        cut -= 1
    return ids[:cut], tokenizer.decode_bytes(ids[cut:])


class HealingConstraint:
    """Restricts the first generated tokens to those that re-create ``pending`` bytes."""

    def __init__(self, tokenizer: ModelTokenizer, pending: bytes) -> None:
        self.tokenizer = tokenizer
        self.pending = pending
        self.removed = pending

    @property
    def active(self) -> bool:
        """Whether the next token is still constrained."""
        return bool(self.pending)

    def allowed(self) -> list[int]:
        """Tokens that cover the rest of the pending bytes, or are a prefix of them."""
        tok = self.tokenizer
        return sorted(
            {*tok.tokens_starting_with(self.pending), *tok.tokens_prefixing(self.pending)}
        )

    def advance(self, token: int) -> None:
        """Account for a chosen token."""
        data = self.tokenizer.token_bytes[token]
        self.pending = b"" if data.startswith(self.pending) else self.pending[len(data) :]
