"""Shared test set-up: every server started by the tests uses a private cache and no user
settings, so tests never touch (or depend on) the developer's own files."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .support import EXAMPLES

_CACHE = tempfile.mkdtemp(prefix="qwen-lsp-test-cache-")
os.environ["QWEN_LSP_CACHE_DIR"] = _CACHE
os.environ["QWEN_LSP_CONFIG"] = str(Path(_CACHE) / "no-user-settings.json")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the private cache (every test run made one and left it in the temp folder)."""
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A fresh copy of the example workspace."""
    target = tmp_path / "shop"
    shutil.copytree(EXAMPLES / "shop", target)
    return target
