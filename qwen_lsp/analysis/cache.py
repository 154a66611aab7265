"""A bounded, thread-safe cache of analysis results keyed by the text they were computed from.

Why keyed by text: a keystroke changes one function; every other function, class and
statement keeps its exact bytes (only its offset moves), so its results are reused by looking
up those bytes, and shifted to the new offset. That is what lets rules run on the changed
region only, without tracking edits: the tree-sitter tree says where the regions are, the
cache says which of them are new.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any


class ResultCache:
    """``key -> value``, bounded by the total size of the text in the keys.

    Reads take no lock and do not reorder (a lookup happens for every region on every
    keystroke, so it must cost a dict lookup and nothing more); when full, the oldest
    entries go first. Writes are locked. Values are immutable, so concurrent readers are
    safe under the GIL.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: dict[Hashable, tuple[Any, int]] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        """The cached value, or None."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        return entry[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        """Store ``value``; ``size`` is what the entry costs (the key text's length)."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            if self._bytes > self.max_bytes:
                # Oldest first (dicts keep insertion order); keep the newer half.
                for old_key in list(self._entries)[: max(1, len(self._entries) // 2)]:
                    self._bytes -= self._entries.pop(old_key)[1]

    def clear(self) -> None:
        """Forget everything (after rules change, in tests)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


# The cache the language server shares between documents and sessions. ``qwen-lsp check``
# passes none: every file is seen once.
SHARED = ResultCache()
