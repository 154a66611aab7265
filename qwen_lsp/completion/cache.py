"""Completion caches.

- :class:`CompletionCache`: LRU keyed by a hash of the exact context (model, prompt tokens):
  the same place asked twice is answered without the model.
- :class:`SuggestionMemory`: "typing as suggested": when the user types the start of the last
  suggestion, the rest is answered at once, without the model.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

_ANCHOR = 200  # characters before the cursor that must be unchanged
_AFTER = 80  # characters after the cursor that must be unchanged


def context_key(model_digest: str, prompt_ids: list[int], heal: bytes, settings_key: str) -> str:
    """Key of an exact completion context."""
    h = hashlib.blake2b(digest_size=16)
    h.update(model_digest.encode())
    h.update(settings_key.encode())
    h.update(heal)
    h.update(bytes(str(prompt_ids), "ascii"))
    return h.hexdigest()


@dataclass
class CacheStats:
    """Hit counters."""

    lookups: int = 0
    hits: int = 0


class CompletionCache:
    """LRU of context key -> suggestion text."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._data: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def resize(self, size: int) -> None:
        """Hold at most ``size`` entries from now on (0: cache nothing, forget everything)."""
        if size == self.size:
            return  # every request passes its setting: no lock unless it changed
        with self._lock:
            self.size = size
            while len(self._data) > max(0, size):
                self._data.popitem(last=False)

    def get(self, key: str) -> str | None:
        """The cached suggestion for ``key``."""
        if self.size <= 0:
            return None
        with self._lock:
            self.stats.lookups += 1
            text = self._data.get(key)
            if text is not None:
                self._data.move_to_end(key)
                self.stats.hits += 1
            return text

    def put(self, key: str, text: str) -> None:
        """Remember a suggestion."""
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = text
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


@dataclass
class _Shown:
    offset: int  # character offset of the cursor when the suggestion was made
    before: str  # the text just before that cursor
    after: str  # the text just after it
    text: str


class SuggestionMemory:
    """The last suggestion per document, for typing-as-suggested answers."""

    def __init__(self) -> None:
        self._last: dict[str, _Shown] = {}
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def remember(self, uri: str, text: str, cursor: int, suggestion: str) -> None:
        """Record the suggestion made at ``cursor`` (a character offset into ``text``)."""
        with self._lock:
            self._last[uri] = _Shown(
                cursor,
                text[max(0, cursor - _ANCHOR) : cursor],
                text[cursor : cursor + _AFTER],
                suggestion,
            )

    def recall(self, uri: str, text: str, cursor: int) -> str | None:
        """The rest of the last suggestion if the user typed its start since; else None."""
        with self._lock:
            self.stats.lookups += 1
            shown = self._last.get(uri)
        if shown is None or cursor <= shown.offset:
            return None
        typed = text[shown.offset : cursor]
        if not shown.text.startswith(typed) or len(typed) >= len(shown.text):
            return None
        if text[max(0, shown.offset - _ANCHOR) : shown.offset] != shown.before:
            return None
        if text[cursor : cursor + _AFTER] != shown.after:
            return None
        with self._lock:
            self.stats.hits += 1
        return shown.text[len(typed) :]

    def forget(self, uri: str) -> None:
        """Drop a document's memory (closed)."""
        with self._lock:
            self._last.pop(uri, None)
