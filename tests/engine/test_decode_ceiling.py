"""``bench/completion.py``'s decode ceiling runs on a real graph and reports what it measured:
one decode step for one sequence and for a batch, at the given context (timings are figures for
the bench, never asserted)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from qwen_lsp.engine.generate import prefill
from qwen_lsp.engine.module import load_module
from qwen_lsp.engine.session import DecoderSession

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "tiny_qwen3"


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_completion", REPO / "bench" / "completion.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_decode_ceiling_reports_both_batch_sizes() -> None:
    out = _bench().decode_ceiling(FIXTURE, context=40, batch=3, steps=6)
    json.dumps(out)  # goes into the bench's JSON as it is
    assert out["context_tokens"] == 40
    one, many = out["step_ms"]["1"], out["step_ms"]["3"]
    assert one > 0 and many > 0
    # From the unrounded step times: equal to the rounded ones' ratio up to that rounding.
    assert out["decode_speedup_ceiling_3"] == pytest.approx(3 * one / many, rel=0.1)
    # The keys and values a 40-token prompt leaves in the fixture's cache, as the engine holds
    # them (the plain graph's cache has no spare capacity).
    session = DecoderSession(str(load_module(FIXTURE).model_path))
    _logits, kv = prefill(session, list(range(100, 140)))
    assert kv.length == 40
    assert out["kv_bytes_per_sequence"] == kv.nbytes()
