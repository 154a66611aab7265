"""Helpers shared by the completion service's tests: settings for one module and a query at
the cursor between two texts."""

from __future__ import annotations

from pathlib import Path

from qwen_lsp.completion.service import CompletionQuery
from qwen_lsp.config import Settings, merge
from qwen_lsp.syntax.document import Document
from qwen_lsp.syntax.languages import default_registry

PYTHON = default_registry().by_id("python")


def completion_settings(module: Path, **completion: object) -> Settings:
    """Settings that serve Python from ``module`` with SPM prompts, no cross-file context and
    no completion cache (every request runs the model), plus ``completion`` overrides."""
    settings, errors = merge(
        Settings(),
        {
            "models": {"byLanguage": {"python": str(module)}},
            "completion": {"fimOrder": "spm", "crossFile": False, "cacheSize": 0, **completion},
        },
    )
    assert not errors, errors
    return settings


def query_at(uri: str, before: str, after: str, settings: Settings) -> CompletionQuery:
    """A completion query in a fresh Python document ``before + after``, cursor between them."""
    document = Document(uri, before + after, 1, PYTHON)
    return CompletionQuery(uri, document.snapshot(), len(before.encode("utf-8")), settings)
