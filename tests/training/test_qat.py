"""Quantization-aware training: the training forward computes what the int4 export computes."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")

from pathlib import Path

import numpy as np
import torch

from qwen_lsp.training.export import export_onnx, onnx_session, run_onnx
from qwen_lsp.training.model import QwenDecoder
from qwen_lsp.training.qat import enable_qat, fake_quant_4bit
from qwen_lsp.training.quantize import dequantize_4bit_blocks, quantize_4bit_blocks, quantize_model

VOCAB = 512


def _onnx_logits(path: Path, model: QwenDecoder, ids: np.ndarray) -> np.ndarray:
    shape = model.shape
    b, s = ids.shape
    logits, _ = run_onnx(
        onnx_session(path),
        ids.astype(np.int64),
        np.ones((b, s), np.int64),
        np.tile(np.arange(s, dtype=np.int64), (b, 1)),
        None,
        shape.num_hidden_layers,
        shape.num_key_value_heads,
        shape.dim_head,
    )
    return logits


def test_fake_quant_equals_the_export_rounding() -> None:
    """Value for value, the training rounding is ``quantize_4bit_blocks(search=False)``."""
    w = torch.randn(48, 256, generator=torch.Generator().manual_seed(0)) * 0.05
    w[3, :64] = 0.25  # a constant block: scale 1, as the export does
    ours = fake_quant_4bit(w, 64).numpy()
    packed, scales, zp = quantize_4bit_blocks(w.numpy().T, 64, search=False)
    theirs = dequantize_4bit_blocks(packed, scales, zp, 256).T
    np.testing.assert_array_equal(ours, theirs)
    # With the export's outlier search the grids differ: the test above would notice.
    packed, scales, zp = quantize_4bit_blocks(w.numpy().T, 64, search=True)
    assert not np.array_equal(ours, dequantize_4bit_blocks(packed, scales, zp, 256).T)


def test_a_partial_last_block_is_padded_as_the_export_pads_it() -> None:
    w = torch.randn(5, 100, generator=torch.Generator().manual_seed(3)) + 2.0  # all positive
    packed, scales, zp = quantize_4bit_blocks(w.numpy().T, 64, search=False)
    expected = dequantize_4bit_blocks(packed, scales, zp, 100).T
    np.testing.assert_array_equal(fake_quant_4bit(w, 64).numpy(), expected)


def test_gradient_passes_straight_through() -> None:
    w = torch.randn(8, 64, requires_grad=True)
    (fake_quant_4bit(w, 64) * torch.arange(64.0)).sum().backward()
    assert w.grad is not None
    np.testing.assert_array_equal(w.grad.numpy(), np.tile(np.arange(64.0), (8, 1)))


def test_qat_forward_is_what_the_int4_graph_computes(tmp_path: Path, small_decoder) -> None:  # type: ignore[no-untyped-def]
    """The QAT model in PyTorch and its int4 export (``search=False``, no GPTQ, float
    accumulation) give the same logits; the plain model's rounding error is far larger."""
    model = small_decoder(5).eval()
    fp32 = export_onnx(model, tmp_path / "fp32.onnx")
    q4 = tmp_path / "int4.onnx"
    quantize_model(fp32, q4, "int4", accuracy_level=None, search=False)
    ids = np.random.default_rng(1).integers(7, VOCAB, (2, 40))
    onnx_q4 = _onnx_logits(q4, model, ids)
    with torch.no_grad():
        plain = model(torch.from_numpy(ids)).numpy()
        enable_qat(model)
        qat = model(torch.from_numpy(ids)).numpy()
    qat_err = np.abs(qat - onnx_q4).max()
    plain_err = np.abs(plain - onnx_q4).max()
    assert qat_err < 2e-3, qat_err
    assert plain_err > 50 * qat_err, (plain_err, qat_err)
    assert (qat.argmax(-1) == onnx_q4.argmax(-1)).all()


def test_qat_keeps_parameter_names_and_trains(small_decoder) -> None:  # type: ignore[no-untyped-def]
    """Checkpoints of a QAT model load into a plain one; a few steps lower the loss of the
    rounded model."""
    model = small_decoder(7)
    names = sorted(model.state_dict())
    enable_qat(model)
    assert sorted(model.state_dict()) == names
    ids = torch.from_numpy(np.random.default_rng(2).integers(7, 64, (4, 33)))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        logits = model(ids[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), ids[:, 1:].flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    plain = small_decoder(1)
    plain.load_state_dict(model.state_dict())  # strict: raises on any renamed parameter
    for name, value in model.state_dict().items():
        assert torch.equal(plain.state_dict()[name], value), name
