"""``completion.cacheSize`` governs the completion cache (0 turns it off), with the shipped
python module answering."""

from __future__ import annotations

from qwen_lsp.completion.cache import CompletionCache
from qwen_lsp.completion.service import CompletionQuery, CompletionService
from qwen_lsp.config import Settings, merge
from qwen_lsp.syntax.document import Document
from qwen_lsp.syntax.languages import default_registry

from ..support import REPO

MODULE = REPO / "qwen_lsp" / "models" / "python"
URI = "file:///project/area.py"
TEXT = "def rectangle_area(width, height):\n    return "


def _query(cache_size: int) -> CompletionQuery:
    settings, errors = merge(
        Settings(),
        {
            "models": {"byLanguage": {"python": str(MODULE)}},
            "completion": {"crossFile": False, "cacheSize": cache_size},
        },
    )
    assert not errors, errors
    snapshot = Document(URI, TEXT, 1, default_registry().by_id("python")).snapshot()
    return CompletionQuery(URI, snapshot, len(TEXT.encode()), settings)


def _sources(cache_size: int) -> list[str]:
    service = CompletionService()
    try:
        out = []
        for _ in range(2):
            suggestion = service.complete_sync(_query(cache_size))
            assert suggestion is not None
            out.append(suggestion.source)
        return out
    finally:
        service.close()


def test_the_same_context_again_comes_from_the_cache() -> None:
    assert _sources(256) == ["model", "cache"]


def test_cache_size_zero_runs_the_model_every_time() -> None:
    assert _sources(0) == ["model", "model"]


def test_resize_keeps_the_newest_entries() -> None:
    cache = CompletionCache(size=4)
    for i in range(4):
        cache.put(f"k{i}", f"v{i}")
    cache.resize(2)
    assert [cache.get(f"k{i}") for i in range(4)] == [None, None, "v2", "v3"]
    cache.resize(0)
    cache.put("k9", "v9")
    assert cache.get("k3") is None and cache.get("k9") is None
