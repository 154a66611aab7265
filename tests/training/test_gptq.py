"""GPTQ rounding: on the 4-bit grid, and closer to the layer's real outputs than rounding to
nearest; the int4 graph built with it keeps the shared output projection as it was."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")

import dataclasses
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from qwen_lsp.training.export import export_onnx
from qwen_lsp.training.gptq import collect_hessians, gptq_4bit_blocks
from qwen_lsp.training.model import PRESETS, QwenDecoder
from qwen_lsp.training.quantize import (
    LM_HEAD_T,
    compare_logits,
    dequantize_4bit_blocks,
    pack_4bit_blocks,
    quantize_4bit_blocks,
    quantize_model,
)


def _correlated_inputs(k: int, rows: int, seed: int) -> np.ndarray:
    """Activations with correlated channels and a few loud ones, as a transformer's are."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, k // 4)) @ rng.standard_normal((k // 4, k))
    x[:, rng.choice(k, 4, replace=False)] *= 8.0
    return x.astype(np.float32)


def test_gptq_beats_round_to_nearest_on_the_layer_outputs() -> None:
    k, n = 256, 96
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((k, n)) * 0.05).astype(np.float32)
    x = _correlated_inputs(k, 2048, 1)
    hessian = 2.0 / len(x) * (x.astype(np.float64).T @ x)

    codes, scales, zps = gptq_4bit_blocks(w, hessian, block_size=64)
    assert codes.shape == (n, 4, 64) and codes.max() <= 15 and zps.max() <= 15
    packed, s, zpp = pack_4bit_blocks(codes, scales, zps)
    w_gptq = dequantize_4bit_blocks(packed, s, zpp, k)
    w_rtn = dequantize_4bit_blocks(*quantize_4bit_blocks(w, 64), k)

    def output_error(wq: np.ndarray) -> float:
        return float(np.square(x @ (wq - w)).mean())

    # The point of GPTQ: a clearly smaller error where it matters, on X @ W (without the error
    # feedback it is round-to-nearest with another range, and this fails).
    assert output_error(w_gptq) < 0.75 * output_error(w_rtn)


def test_hessians_cover_every_linear_and_the_graph_keeps_its_shared_head(
    tmp_path: Path,
) -> None:
    shape = dataclasses.replace(PRESETS["tiny"], vocab_size=384, hidden_size=128)
    model = QwenDecoder(shape)
    model.init_weights(seed=4)
    rng = np.random.default_rng(2)
    seqs = [rng.integers(7, 384, 64).tolist() for _ in range(6)]
    hessians = collect_hessians(model, seqs, batch=3)
    linears = [n for n, p in model.named_parameters() if n.endswith("proj.weight")]
    assert set(linears) <= set(hessians)
    h = hessians[linears[0]]
    assert h.shape == (128, 128) and np.allclose(h, h.T) and np.all(np.diag(h) >= 0)

    fp32 = export_onnx(model, tmp_path / "fp32.onnx")
    rtn = quantize_model(fp32, tmp_path / "rtn.onnx", "int4")
    gq = quantize_model(fp32, tmp_path / "gptq.onnx", "int4", hessians=hessians)
    assert gq["rounding"] == "gptq" and gq["bytes"] == rtn["bytes"]

    def inits(path: Path) -> dict[str, np.ndarray]:
        return {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}

    a, b = inits(tmp_path / "rtn.onnx"), inits(tmp_path / "gptq.onnx")
    head = f"{LM_HEAD_T}_Q4"
    assert np.array_equal(a[head], b[head])  # the projection the embedding shares: untouched
    layer = f"{linears[0]}.T_Q4"
    assert not np.array_equal(a[layer], b[layer])  # the decoder layers: rounded by GPTQ
    close = compare_logits(fp32, tmp_path / "gptq.onnx", seqs[:2])
    assert close["top1_agreement"] > 0.4
