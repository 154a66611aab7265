"""Fixtures of the completion service's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qwen_lsp.completion.service import CompletionService


@pytest.fixture
def service() -> Iterator[CompletionService]:
    """A fresh completion service (its own scheduler and caches), closed afterwards."""
    service = CompletionService()
    try:
        yield service
    finally:
        service.close()
