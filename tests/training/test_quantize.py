"""Quantized models load, keep the tied embedding once, and stay close to fp32."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("transformers")

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto

from qwen_lsp.training.export import export_onnx, onnx_session
from qwen_lsp.training.model import QwenDecoder
from qwen_lsp.training.module import build_module, state_dict_from_onnx, weights_from_module
from qwen_lsp.training.quantize import (
    compare_logits,
    dequantize_4bit_blocks,
    quantize_4bit_blocks,
    quantize_model,
)

VOCAB = 512


@pytest.fixture(scope="module")
def fp32_model(tmp_path_factory: pytest.TempPathFactory, small_decoder) -> tuple[QwenDecoder, Path]:  # type: ignore[no-untyped-def]
    model = small_decoder(5)
    assert model.shape.vocab_size == VOCAB
    path = export_onnx(model, tmp_path_factory.mktemp("q") / "fp32.onnx")
    return model, path


def _seqs() -> list[list[int]]:
    rng = np.random.default_rng(1)
    return [rng.integers(7, VOCAB, 48).tolist() for _ in range(3)]


def _float_inits(path: Path) -> list[tuple[str, list[int]]]:
    g = onnx.load(str(path)).graph
    return [
        (t.name, list(t.dims))
        for t in g.initializer
        if t.data_type == TensorProto.FLOAT and VOCAB in t.dims and 128 in t.dims  # [vocab, hidden]
    ]


@pytest.mark.parametrize("symmetric", [False, True])
def test_4bit_block_round_trip(symmetric: bool) -> None:
    w = np.random.default_rng(0).normal(size=(200, 48)).astype(np.float32)
    packed, scales, zp = quantize_4bit_blocks(w, 64, symmetric)
    assert packed.shape == (48, 4, 32) and scales.shape == (48, 4)
    assert (zp is None) == symmetric
    back = dequantize_4bit_blocks(packed, scales, zp, 200)
    assert back.shape == w.shape
    assert np.abs(back - w).mean() < 0.12 * np.abs(w).mean()


def test_int4_graph_equals_its_dequantized_weights(
    fp32_model: tuple[QwenDecoder, Path], tmp_path: Path
) -> None:
    """MatMulNBits + GatherBlockQuantized compute exactly the model whose weights are the
    de-quantized ones: the packing, scales, zero points and the shared embedding are right."""
    _, fp32 = fp32_model
    q4 = tmp_path / "int4.onnx"
    quantize_model(fp32, q4, "int4", accuracy_level=None)
    assert not _float_inits(q4), "the embedding must be read from the shared 4-bit weight"
    ops = {n.op_type for n in onnx.load(str(q4)).graph.node}
    assert {
        "MatMulNBits",
        "GatherBlockQuantized",
    } <= ops and "MatMul" in ops  # attention matmuls stay
    shape = fp32_model[0].shape
    deq = QwenDecoder(shape)
    deq.load_hf_state_dict({k: torch.from_numpy(v) for k, v in state_dict_from_onnx(q4).items()})
    ref = export_onnx(deq, tmp_path / "deq.onnx")
    r = compare_logits(ref, q4, _seqs())
    assert r["max_abs_diff"] < 1e-3 and r["top1_agreement"] == 1.0


@pytest.mark.parametrize("mode", ["int8", "int4"])
def test_quantized_close_to_fp32(
    fp32_model: tuple[QwenDecoder, Path], tmp_path: Path, mode: str
) -> None:
    _, fp32 = fp32_model
    out = tmp_path / f"{mode}.onnx"
    info = quantize_model(fp32, out, mode)
    assert info["bytes"] < (0.45 if mode == "int8" else 0.3) * fp32.stat().st_size
    assert not _float_inits(out)
    onnx_session(out)  # loads in ONNX Runtime
    r = compare_logits(fp32, out, _seqs())
    # Random Gaussian weights are the worst case for rounding (trained smoke models: int8 ~0.5 %,
    # int4 ~2-5 % mean relative logit error); exactness of the int4 graph is tested above.
    assert r["mean_rel_diff"] < (0.15 if mode == "int8" else 0.6)
    assert r["top1_agreement"] > (0.8 if mode == "int8" else 0.4)


def test_module_folder_and_weights_round_trip(
    fp32_model: tuple[QwenDecoder, Path], tmp_path: Path, tokenizer
) -> None:  # type: ignore[no-untyped-def]
    model, _ = fp32_model
    shape = dataclasses.replace(model.shape, vocab_size=tokenizer.get_vocab_size())
    m = QwenDecoder(shape)
    m.init_weights(seed=2)
    tok_path = tmp_path / "tok.json"
    tokenizer.save(str(tok_path))
    rep = build_module(
        m, tok_path, tmp_path / "mod", name="t", languages=["python"], quantization="fp32"
    )
    manifest = json.loads((tmp_path / "mod" / "model.json").read_text())
    for f, meta in manifest["files"].items():
        data = (tmp_path / "mod" / f).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"] and len(data) == meta["size"]
    assert manifest["quantization"] == "fp32" and manifest["fim"]["orders"][0] == "spm"
    assert rep["onnx_vs_torch"]["max_abs_diff_cached"] < 1e-4
    back = weights_from_module(tmp_path / "mod")
    ids = torch.randint(7, shape.vocab_size, (1, 20))
    with torch.no_grad():
        a, b = m(ids), back(ids)
    assert (a - b).abs().max() < 1e-4
