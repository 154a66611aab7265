"""GPTQ for the int4 ``MatMulNBits`` export: round each weight column to the 4-bit grid in turn
and spread its rounding error over the columns not yet rounded, weighted by the inverse Hessian
of the layer's inputs (Frantar et al., 2022, "GPTQ: Accurate Post-Training Quantization for
Generative Pre-trained Transformers").

Plain round-to-nearest (``quantize.quantize_4bit_blocks``) treats every weight alone; GPTQ
minimises the error of the layer's *outputs* on real inputs, which is what the model feels. The
result uses the same grid as round-to-nearest (asymmetric, one scale and zero point per block of
``block_size`` inputs), so the graph, its size and the engine are unchanged.

The Hessians ``H = 2/n * X^T X`` come from running the PyTorch model on calibration token windows
(training text, never the evaluation sets): ``collect_hessians``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from qwen_lsp.training.model import QwenDecoder
from qwen_lsp.training.quantize import block_codes, block_grid


def calibration_windows(data_dir: str | Path, n: int = 128, length: int = 1024) -> list[list[int]]:
    """``n`` token windows spread evenly over a token folder's *training* split (never held-out
    or benchmark text: those measure the result)."""
    from qwen_lsp.training.data import TokenData

    data = TokenData.open(Path(data_dir), "train")
    # A small split (a user's repository) gets shorter windows rather than overlapping ones.
    return data.windows(n, max(1, min(length, data.num_tokens // n)))


def collect_hessians(
    model: QwenDecoder, sequences: Sequence[Sequence[int]], batch: int = 4
) -> dict[str, np.ndarray]:
    """``{weight name: H [K, K]}`` for every ``nn.Linear`` of ``model``, accumulated over the
    inputs it sees on ``sequences`` (float64: sums of many outer products)."""
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, int] = {}
    hooks = []

    def hook_for(name: str):
        def hook(_mod: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
            x = inputs[0].detach().reshape(-1, inputs[0].shape[-1]).double()
            sums[name] = sums.get(name, 0) + x.T @ x
            counts[name] = counts.get(name, 0) + x.shape[0]

        return hook

    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear):
            hooks.append(mod.register_forward_pre_hook(hook_for(f"{name}.weight")))
    model.eval()
    try:
        with torch.no_grad():
            for i in range(0, len(sequences), batch):
                chunk = [list(s) for s in sequences[i : i + batch]]
                width = min(len(s) for s in chunk)
                ids = torch.tensor([s[:width] for s in chunk], dtype=torch.long)
                model.hidden(ids)
    finally:
        for h in hooks:
            h.remove()
    return {k: (2.0 / counts[k] * v).numpy() for k, v in sums.items()}


def gptq_4bit_blocks(
    w: np.ndarray,
    hessian: np.ndarray,
    block_size: int = 64,
    damp: float = 0.01,
    search: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GPTQ of a MatMul weight ``w [K, N]`` (inputs x outputs) with its input Hessian ``[K, K]``.

    Returns ``codes [N, k_blocks, block_size]`` (uint8, 0..15), ``scales [N, k_blocks]`` float32
    and ``zero_points [N, k_blocks]`` uint8, ready for ``quantize.pack_4bit_blocks``. Each
    block's grid is fixed from its (error-updated) weights when the block is reached.
    """
    k, n = w.shape
    kb = -(-k // block_size)
    kp = kb * block_size
    wt = np.zeros((n, kp), np.float64)
    wt[:, :k] = w.T
    h = np.zeros((kp, kp), np.float64)
    h[:k, :k] = hessian
    dead = np.diag(h) == 0  # inputs never active (and the padding): no error to spread there
    h[dead, dead] = 1.0
    wt[:, dead] = 0.0
    h[np.diag_indices(kp)] += damp * float(np.mean(np.diag(h)))
    # Upper Cholesky factor of H^-1: row i holds how column i's error moves the later columns.
    hinv = np.linalg.cholesky(np.linalg.inv(h)).T
    codes = np.zeros((n, kp), np.uint8)
    scales = np.zeros((n, kb), np.float32)
    zps = np.zeros((n, kb), np.uint8)
    for b in range(kb):
        i1, i2 = b * block_size, (b + 1) * block_size
        w1 = wt[:, i1:i2].copy()
        err1 = np.zeros_like(w1)
        h1 = hinv[i1:i2, i1:i2]
        scale, zp = block_grid(w1, search=search, include_zero=True)
        scales[:, b], zps[:, b] = scale, zp
        for i in range(block_size):
            col = w1[:, i]
            q = block_codes(col[:, None], scale, zp)[:, 0]
            codes[:, i1 + i] = q
            e = (col - (q.astype(np.float64) - zp) * scale) / h1[i, i]
            w1[:, i:] -= np.outer(e, h1[i, i:])
            err1[:, i] = e
        wt[:, i2:] -= err1 @ hinv[i1:i2, i2:]
    return codes.reshape(n, kb, block_size), scales, zps
