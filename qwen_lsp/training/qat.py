"""Quantization-aware training for the int4 export.

The shipped modules store every weight matrix as 4-bit codes in blocks of 64 along the input
dimension (``MatMulNBits``; the tied embedding as ``GatherBlockQuantized`` over the same codes).
Rounding a model trained in full precision costs it some quality (run 5: 25.17 % HumanEval in
fp32, 24.78 % in int4 with GPTQ). Here the training forward uses the weights exactly as the
export will round them, round-to-nearest on each block's min/max grid
(``quantize.block_grid(search=False)``), and the gradient passes through the rounding unchanged
(the straight-through estimator), so the weights learn to sit where rounding does not hurt.
``finalize --rounding qat`` then exports with that same grid: the int4 graph computes what the
training forward computed.

:func:`enable_qat` switches a :class:`~qwen_lsp.training.model.QwenDecoder` in place; its
parameters, names and checkpoints stay those of the plain model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from qwen_lsp.training.model import QwenDecoder


def fake_quant_4bit(w: torch.Tensor, block_size: int = 64) -> torch.Tensor:
    """``w [rows, K]`` rounded to 4-bit codes per block of ``block_size`` along ``K`` and
    dequantized, with a straight-through gradient. The grid is the export's round-to-nearest
    one: per block ``scale = (max - min) / 15`` and ``zero = round(-min / scale)`` clipped to
    0..15, codes ``clip(round(w / scale) + zero, 0, 15)``, all in float32."""
    k = w.shape[-1]
    w32 = w.float()
    # The export pads ``K`` with zeros to whole blocks, and the zeros count in the last
    # block's range: do the same.
    padded = F.pad(w32.detach(), (0, -k % block_size))
    blocks = padded.reshape(*w.shape[:-1], -1, block_size)
    lo, hi = blocks.amin(-1), blocks.amax(-1)
    scale = torch.where(hi > lo, (hi - lo) / 15.0, torch.ones_like(lo))
    zero = torch.clamp(torch.round(-lo / scale), 0, 15)
    codes = torch.clamp(torch.round(blocks / scale[..., None]) + zero[..., None], 0, 15)
    deq = ((codes - zero[..., None]) * scale[..., None]).reshape(padded.shape)[..., :k]
    # Straight-through: the forward value is ``deq``, the gradient that of the identity.
    return (w32 + (deq - w32).detach()).to(w.dtype)


class QATLinear(nn.Linear):
    """A ``nn.Linear`` whose forward uses its weight as the int4 export rounds it."""

    block_size: int = 64

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ q(W).T + b``."""
        return F.linear(x, fake_quant_4bit(self.weight, self.block_size), self.bias)


class QATEmbedding(nn.Embedding):
    """The tied embedding's lookup through the rounded rows (blocks lie within a row, so
    rounding only the rows looked up gives the same values as rounding the whole table)."""

    block_size: int = 64

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Rows of the rounded table."""
        rows = F.embedding(ids, self.weight)
        return fake_quant_4bit(rows.reshape(-1, rows.shape[-1]), self.block_size).reshape(
            rows.shape
        )


class QATDecoder(QwenDecoder):
    """A ``QwenDecoder`` whose output projection uses the rounded embedding."""

    qat_block_size: int = 64

    def output_matrix(self) -> torch.Tensor:
        """The tied embedding as the int4 export rounds it."""
        return fake_quant_4bit(self.embedding, self.qat_block_size)


def enable_qat(model: QwenDecoder, block_size: int = 64) -> QwenDecoder:
    """Make ``model``'s forward use int4-rounded weights (every projection, and the tied
    embedding both as lookup and as output projection); returns the same model. Parameters
    and state-dict names are unchanged, so checkpoints load into a plain model."""
    for module in model.modules():
        if type(module) is nn.Linear or isinstance(module, QATLinear):
            module.__class__ = QATLinear
            module.block_size = block_size  # type: ignore[assignment]
    emb = model.model.embed_tokens
    emb.__class__ = QATEmbedding
    emb.block_size = block_size  # type: ignore[assignment]
    model.__class__ = QATDecoder
    model.qat_block_size = block_size  # type: ignore[assignment]  # nn.Module attribute typing
    return model
