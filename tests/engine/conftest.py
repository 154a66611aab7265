"""The tiny Qwen2/Qwen3 exports of tests/fixtures, loaded once per test module."""

from __future__ import annotations

import json

import pytest

from qwen_lsp.engine.module import load_module, verify
from qwen_lsp.engine.session import DecoderSession
from qwen_lsp.engine.tokenizer import ModelTokenizer

from ..support import REPO

FIXTURES = ["tiny_qwen2", "tiny_qwen3"]


@pytest.fixture(scope="module", params=FIXTURES)
def tiny_model(request):
    """``(module, tokenizer, session, expected)`` of each fixture export; ``expected`` holds
    transformers' own greedy continuations (``expected.json``)."""
    folder = REPO / "tests" / "fixtures" / request.param
    module = load_module(folder)
    verify(module)
    tokenizer = ModelTokenizer(module.tokenizer_path, module.fim, module.stop_tokens)
    session = DecoderSession(str(module.model_path))
    expected = json.loads((folder / "expected.json").read_text())
    return module, tokenizer, session, expected
