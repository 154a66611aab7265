"""The KV prefix cache: the KV state of the last prompt per slot (a document), so that a new
prompt reuses the longest common token prefix and a keystroke runs only the new tokens."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from .session import KVCache


def common_prefix(a: list[int], b: list[int]) -> int:
    """Length of the longest common prefix of two token lists."""
    n = min(len(a), len(b))
    i = 0
    # Compare in blocks first: prompts share long prefixes.
    while i + 64 <= n and a[i : i + 64] == b[i : i + 64]:
        i += 64
    while i < n and a[i] == b[i]:
        i += 1
    return i


@dataclass
class PrefixCacheStats:
    """Counters for the benchmark and ``qwen.modelInfo``."""

    lookups: int = 0
    hits: int = 0
    reused_tokens: int = 0
    prompt_tokens: int = 0


class PrefixCache:
    """LRU of ``slot -> (prompt ids, KV)``, bounded by entries and bytes."""

    def __init__(
        self, max_entries: int = 16, max_bytes: int = 512 * 1024 * 1024, min_reuse: int = 8
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.min_reuse = min_reuse
        self._entries: OrderedDict[str, tuple[list[int], KVCache, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = PrefixCacheStats()

    def lookup(self, slot: str | None, prompt: list[int]) -> KVCache | None:
        """The cached KV for the longest prefix of ``prompt`` this slot holds (at least one
        prompt token is always left to run, for its logits)."""
        with self._lock:
            self.stats.lookups += 1
            self.stats.prompt_tokens += len(prompt)
            if slot is None or slot not in self._entries:
                return None
            ids, kv, _size = self._entries[slot]
            self._entries.move_to_end(slot)
        keep = min(common_prefix(ids, prompt), len(prompt) - 1, kv.length)
        if keep < self.min_reuse:
            return None
        with self._lock:
            self.stats.hits += 1
            self.stats.reused_tokens += keep
            if kv.shared and self._entries.get(slot, (None,))[0] is ids:
                # The caller writes its new positions into these very buffers: from now on the
                # entry vouches only for the positions they share (a cancelled prefill must not
                # leave an entry that claims overwritten positions).
                self._entries[slot] = (ids[:keep], kv, _size)
        return kv.truncated(keep)

    def store(self, slot: str | None, prompt: list[int], kv: KVCache) -> None:
        """Remember the KV of ``prompt`` for ``slot``."""
        if slot is None:
            return
        size = kv.nbytes()
        with self._lock:
            self._entries.pop(slot, None)
            self._entries[slot] = (list(prompt), kv, size)
            total = sum(e[2] for e in self._entries.values())
            while self._entries and (
                len(self._entries) > self.max_entries or total > self.max_bytes
            ):
                _slot, (_ids, _kv, dropped) = self._entries.popitem(last=False)
                total -= dropped

    def drop(self, slot: str) -> None:
        """Forget a slot (document closed)."""
        with self._lock:
            self._entries.pop(slot, None)

    def nbytes(self) -> int:
        """Memory held."""
        with self._lock:
            return sum(e[2] for e in self._entries.values())
