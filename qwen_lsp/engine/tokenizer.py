"""The model's tokenizer (Hugging Face ``tokenizers``), with what generation needs besides
encode/decode: special-token ids from the manifest, the raw bytes of every token (for token
healing and byte-exact streaming), and prefix lookups over them.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache
from pathlib import Path

from tokenizers import Tokenizer

from .module import FimTokens, ModuleIncompatibleError


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet: each of the 256 bytes is shown as one printable char."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


class ModelTokenizer:
    """A tokenizer bound to a module's special tokens."""

    def __init__(
        self,
        path: Path,
        fim: FimTokens,
        stop_tokens: tuple[str, ...] = (),
        data: str | None = None,
    ) -> None:
        """``data``: the tokenizer JSON itself (a decrypted module), instead of reading ``path``."""
        try:
            self._tok = (
                Tokenizer.from_str(data) if data is not None else Tokenizer.from_file(str(path))
            )
        except Exception as exc:
            raise ModuleIncompatibleError(
                f"{path.name}: not a Hugging Face tokenizer ({exc})"
            ) from exc
        # Code that happens to contain "<|endoftext|>" must stay text, never become a control
        # token: only the engine inserts special tokens, by id.
        self._tok.encode_special_tokens = True
        self.vocab_size = self._tok.get_vocab_size(with_added_tokens=True)
        self.fim = fim
        self.special_ids: dict[str, int] = {}
        for name in (fim.prefix, fim.suffix, fim.middle, fim.file_sep, fim.eos, *stop_tokens):
            if name and (tid := self._tok.token_to_id(name)) is not None:
                self.special_ids[name] = tid
        self.eos_id = self.special_ids.get(fim.eos)
        self.stop_ids = frozenset(
            self.special_ids[t] for t in (fim.eos, *stop_tokens) if t in self.special_ids
        )
        added = self._added_ids()
        self.token_bytes: list[bytes] = self._token_bytes(added)
        # Sorted (bytes, id) pairs for "tokens that start with X" queries.
        self._sorted = sorted(
            (b, i) for i, b in enumerate(self.token_bytes) if b and i not in added
        )
        self._sorted_keys = [b for b, _ in self._sorted]
        self._exact: dict[bytes, int] = {}
        for b, i in self._sorted:
            self._exact.setdefault(b, i)

    def _added_ids(self) -> set[int]:
        try:
            return set(self._tok.get_added_tokens_decoder())
        except AttributeError:  # older tokenizers
            return set()

    def _token_bytes(self, added: set[int]) -> list[bytes]:
        decoder = _byte_decoder()
        vocab = self._tok.get_vocab(with_added_tokens=True)
        table: list[bytes] = [b""] * max(self.vocab_size, max(vocab.values(), default=-1) + 1)
        byte_level = all(ch in decoder for token in list(vocab)[:200] for ch in token)
        for token, tid in vocab.items():
            if tid in added:
                table[tid] = b""  # control tokens have no text
            elif byte_level and all(ch in decoder for ch in token):
                table[tid] = bytes(decoder[ch] for ch in token)
            else:
                table[tid] = self._tok.decode([tid], skip_special_tokens=False).encode("utf-8")
        return table

    # -- text <-> ids ------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Token ids of plain text (no special tokens are recognised in it)."""
        if not text:
            return []
        return self._tok.encode(text, add_special_tokens=False).ids

    def decode_bytes(self, ids: list[int]) -> bytes:
        """Raw bytes of ids (special tokens contribute nothing)."""
        return b"".join(self.token_bytes[i] if 0 <= i < len(self.token_bytes) else b"" for i in ids)

    def decode(self, ids: list[int]) -> str:
        """Text of ids; an incomplete UTF-8 sequence at the end is left out."""
        data = self.decode_bytes(ids)
        return _decode_complete(data)

    def special(self, name: str) -> int:
        """Id of a special token; raise if the tokenizer lacks it."""
        try:
            return self.special_ids[name]
        except KeyError:
            raise ModuleIncompatibleError(f"the tokenizer has no {name} token") from None

    # -- prefix queries (token healing) ----------------------------------------------------

    def tokens_starting_with(self, prefix: bytes, limit: int = 4096) -> list[int]:
        """Ids of (non-special) tokens whose bytes start with ``prefix``."""
        i = bisect_left(self._sorted_keys, prefix)
        out: list[int] = []
        while (
            i < len(self._sorted_keys)
            and self._sorted_keys[i].startswith(prefix)
            and len(out) < limit
        ):
            out.append(self._sorted[i][1])
            i += 1
        return out

    def tokens_prefixing(self, data: bytes) -> list[int]:
        """Ids of tokens whose bytes are a non-empty proper or whole prefix of ``data``."""
        out = []
        for n in range(1, min(len(data), 64) + 1):
            tid = self._exact.get(data[:n])
            if tid is not None:
                out.append(tid)
        return out


def _decode_complete(data: bytes) -> str:
    """Decode UTF-8, holding back a trailing incomplete character."""
    for cut in range(0, min(4, len(data)) + 1):
        try:
            return data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")
