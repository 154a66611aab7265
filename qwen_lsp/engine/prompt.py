"""Prompt assembly, byte for byte as docs/model-module.md says: PSM, SPM and prefix-only
orders, cross-file ``<|file_sep|>`` blocks in front, and token healing at the cursor.

Special tokens are inserted by id; the code's own text can never turn into a control token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .healing import back_up
from .module import FimTokens

if TYPE_CHECKING:
    # Types only: prompts are built from text by callers that never load a tokenizer.
    from .tokenizer import ModelTokenizer

ORDERS = ("psm", "spm", "prefix_only")


@dataclass(frozen=True)
class Snippet:
    """A piece of another file offered as context."""

    path: str
    text: str
    source: str = "definition"  # definition | similar | framework


@dataclass(frozen=True)
class PromptParts:
    """Text around the cursor, already cut to the budget."""

    prefix: str
    suffix: str = ""
    path: str = ""
    snippets: tuple[Snippet, ...] = ()


@dataclass
class Prompt:
    """Token ids ready to run, and what healing removed from their end."""

    ids: list[int]
    heal: bytes
    order: str
    snippet_tokens: int = 0
    prefix_tokens: int = 0
    suffix_tokens: int = 0


def choose_order(fim: FimTokens, setting: str) -> str:
    """The prompt order: the setting when the module supports it, else the module's best."""
    supported = [o for o in fim.orders if o in ORDERS] or ["prefix_only"]
    if setting in supported:
        return setting
    if setting == "prefix_only":
        return "prefix_only"  # every causal model can continue a prefix
    return supported[0]


def build_prompt(
    tokenizer: ModelTokenizer, parts: PromptParts, order: str, heal: bool = True
) -> Prompt:
    """Token ids of the prompt for ``parts`` in ``order``."""
    fim = tokenizer.fim
    ids: list[int] = []
    snippet_tokens = 0
    if parts.snippets and fim.file_sep in tokenizer.special_ids:
        sep = tokenizer.special(fim.file_sep)
        for snippet in parts.snippets:
            block = tokenizer.encode(f"{snippet.path}\n{snippet.text.rstrip()}\n")
            ids += [sep, *block]
            snippet_tokens += 1 + len(block)
        ids += [sep, *tokenizer.encode(f"{parts.path or 'current'}\n")]
    prefix_ids = tokenizer.encode(parts.prefix)
    removed = b""
    if heal and prefix_ids:
        prefix_ids, removed = back_up(tokenizer, prefix_ids)
    suffix_ids = tokenizer.encode(parts.suffix) if order != "prefix_only" else []
    if order == "psm":
        ids += [
            tokenizer.special(fim.prefix),
            *prefix_ids,
            tokenizer.special(fim.suffix),
            *suffix_ids,
            tokenizer.special(fim.middle),
        ]
    elif order == "spm":
        ids += [
            tokenizer.special(fim.prefix),
            tokenizer.special(fim.suffix),
            *suffix_ids,
            tokenizer.special(fim.middle),
            *prefix_ids,
        ]
    elif order == "prefix_only":
        # Documents were separated by end-of-text in training: it is the natural start.
        ids += prefix_ids if (ids or prefix_ids) else [tokenizer.eos_id or 0]
    else:
        raise ValueError(f"unknown prompt order {order!r}")
    return Prompt(ids, removed, order, snippet_tokens, len(prefix_ids), len(suffix_ids))
