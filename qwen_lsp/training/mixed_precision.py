"""Mixed precision for the int4 export: which weight groups to store at 8 bits.

Rounding some weights to 8 bits instead of 4 brings the int4 model closer to fp32 for a few
hundred kilobytes each, the way llama.cpp's Q4_K_M keeps some tensors at higher precision. Which
ones is measured, not guessed:

* the unit of choice is a *fusion unit* of one layer (``L.qkv``: q/k/v projections, ``L.o``,
  ``L.gate_up``, ``L.down``), so that the fused graph (``fuse.py``) keeps one ``MatMulNBits``
  per unit;
* its cost is the exact number of bytes its 8-bit form adds over its 4-bit form (codes, scales,
  zero points at the block size);
* its benefit is measured on calibration windows (training text): the reference is the fp32
  model's distribution, the base the model with every weight as the export rounds it to int4
  (GPTQ when Hessians are given, else round-to-nearest; the tied embedding round-to-nearest),
  and a unit's gain is ``KL(ref || base) - KL(ref || base with that unit at 8 bits)``;
* greedy: units by gain per byte, those with a positive gain while the budget lasts. The KL of the
  chosen mix is measured once at the end (gains do not simply add up).

A unit's change leaves the layers before it untouched, so each measurement starts from the base
model's cached input to the unit's layer: on average half a forward per unit.
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from qwen_lsp.training.model import QwenDecoder
from qwen_lsp.training.quantize import RoundingMemo, dequantize_blocks, quantize_matmul_weight

# Which projections make up each fusion unit (fuse.py concatenates q/k/v and gate/up).
UNIT_OF_PROJECTION = {
    "q": "qkv",
    "k": "qkv",
    "v": "qkv",
    "o": "o",
    "gate": "gate_up",
    "up": "gate_up",
    "down": "down",
}
UNIT_KINDS = ("qkv", "o", "gate_up", "down")
_PROJECTION = re.compile(r"^model\.layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)_proj\.weight$")
EMBEDDING = "model.embed_tokens.weight"


@dataclass(frozen=True)
class Unit:
    """One fusion unit of one layer: ``name`` like ``3.qkv``, its transformers weight names."""

    name: str
    layer: int
    weights: tuple[str, ...]


@dataclass(frozen=True)
class UnitFigures:
    """What one unit costs and buys: extra bytes at 8 bits, the KL with it at 8 bits and the
    gain over all-int4 (both ``None`` when it alone exceeds the budget: not measured)."""

    unit: str
    weights: tuple[str, ...]
    bytes: int
    kl: float | None
    gain: float | None


@dataclass(frozen=True)
class EightBitChoice:
    """The units chosen for 8 bits and the figures behind the choice (KL in nats per token)."""

    budget: int
    chosen: tuple[str, ...]  # unit names, in the order the greedy took them
    bytes: int  # extra bytes of the chosen units, exactly
    base_kl: float  # all-int4 model vs fp32
    mixed_kl: float  # the chosen mix vs fp32 (equal to base_kl when nothing was chosen)
    units: tuple[UnitFigures, ...]  # every unit, in model order
    windows: int
    tokens: int
    seconds: float

    @property
    def weights(self) -> tuple[str, ...]:
        """The transformers names of the chosen weights (``quantize_model``'s ``eight_bit``)."""
        by_name = {u.unit: u.weights for u in self.units}
        return tuple(w for unit in self.chosen for w in by_name[unit])

    def to_json(self) -> dict[str, Any]:
        """The choice as JSON-able data (finalize's report and ``finalize.json``)."""
        data = asdict(self)
        data["weights"] = self.weights
        # Lists rather than tuples: the same data as ``finalize.json`` reads back.
        return json.loads(json.dumps(data))


def fusion_units(model: QwenDecoder) -> list[Unit]:
    """Every layer's fusion units (``L.qkv``, ``L.o``, ``L.gate_up``, ``L.down``), with the weight
    names of ``model.hf_state_dict()``."""
    grouped: dict[tuple[int, str], list[str]] = {}
    for name in model.hf_state_dict():
        m = _PROJECTION.match(name)
        if m is None:
            continue
        kind = UNIT_OF_PROJECTION.get(m.group(2))
        if kind is None:
            raise ValueError(f"{name}: a projection no fusion unit holds")
        grouped.setdefault((int(m.group(1)), kind), []).append(name)
    order = {kind: i for i, kind in enumerate(UNIT_KINDS)}
    return [
        Unit(f"{layer}.{kind}", layer, tuple(weights))
        for (layer, kind), weights in sorted(
            grouped.items(), key=lambda x: (x[0][0], order[x[0][1]])
        )
    ]


def matmul_nbits_bytes(k: int, n: int, bits: int, block_size: int, zero_points: bool) -> int:
    """Bytes of a ``[K, N]`` weight's ``MatMulNBits`` initializers: codes, float32 scales and
    (asymmetric) zero points, ``bits`` per block's zero point packed along the row."""
    k_blocks = -(-k // block_size)
    codes = n * k_blocks * block_size * bits // 8
    scales = n * k_blocks * 4
    zps = n * (-(-k_blocks * bits // 8)) if zero_points else 0
    return codes + scales + zps


def unit_cost(
    unit: Unit,
    shapes: dict[str, tuple[int, ...]],
    block_size: int = 64,
    symmetric: bool = False,
) -> int:
    """Extra bytes of ``unit`` at 8 bits over 4 bits (``shapes``: torch ``[out, in]`` shapes).
    8-bit weights always carry zero points (``quantize.quantize_8bit_blocks``)."""
    extra = 0
    for name in unit.weights:
        n, k = shapes[name]
        extra += matmul_nbits_bytes(k, n, 8, block_size, True)
        extra -= matmul_nbits_bytes(k, n, 4, block_size, not symmetric)
    return extra


def _rounded(w: torch.Tensor, name: str, bits: int, quant: dict[str, Any]) -> torch.Tensor:
    """``w [out, in]`` as the export stores it at ``bits``, de-quantized (float32)."""
    w_kn = w.detach().float().numpy().T  # the graph's MatMul weight is W^T
    packed, scales, zps = quantize_matmul_weight(
        np.ascontiguousarray(w_kn), name, bits=bits, **quant
    )
    back = dequantize_blocks(packed, scales, zps, w_kn.shape[0], bits)
    return torch.from_numpy(np.ascontiguousarray(back.T))


class _KLProbe:
    """KL(fp32 || model) of a model copy on fixed windows, with the base model's inputs to each
    layer cached so that a change at layer L is measured from layer L on."""

    def __init__(self, model: QwenDecoder, windows: Sequence[Sequence[int]], batch: int) -> None:
        self.model = copy.deepcopy(model).float().cpu().eval()
        self.batches = []
        for i in range(0, len(windows), batch):
            chunk = [list(s) for s in windows[i : i + batch]]
            width = min(len(s) for s in chunk)
            self.batches.append(torch.tensor([s[:width] for s in chunk], dtype=torch.long))
        self.tokens = sum(int(b.numel()) for b in self.batches)
        self.reference: list[torch.Tensor] = []
        self.cache: list[list[torch.Tensor]] = []

    def load(self, sd: dict[str, torch.Tensor]) -> None:
        """Give the probe's model these weights (a full transformers state dict)."""
        self.model.load_hf_state_dict(sd)

    def set_reference(self) -> None:
        """The current weights' log-probabilities become the reference."""
        self.reference = [self._run(ids, 0, None, None)[1] for ids in self.batches]

    def kl(self, start: int = 0, record: bool = False) -> float:
        """Mean KL(reference || current weights) per token. ``start > 0`` reuses the cached
        inputs of layer ``start`` (valid while the layers before it are the base ones);
        ``record`` caches this run's inputs of every layer (the base run)."""
        if record and start:
            raise ValueError("only a whole forward can be cached")
        total = 0.0
        cache: list[list[torch.Tensor]] = []
        for b, ids in enumerate(self.batches):
            h = self.cache[b][start] if start else None
            inputs, logp = self._run(ids, start, h, [] if record else None)
            ref = self.reference[b]
            total += float((ref.exp() * (ref - logp)).sum(dtype=torch.float64))
            if record:
                cache.append(inputs)
        if record:
            self.cache = cache
        return total / self.tokens

    def _run(
        self,
        ids: torch.Tensor,
        start: int,
        h: torch.Tensor | None,
        record: list[torch.Tensor] | None,
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The model's forward from layer ``start`` (given its input ``h``) to
        log-probabilities; ``record`` collects each layer's input."""
        m = self.model
        with torch.no_grad():
            if h is None:
                h = m.model.embed_tokens(ids)
            logp = torch.log_softmax(m.logits(m.run_layers(h, start, record)), dim=-1)
        return (record if record is not None else []), logp


def choose_eight_bit(
    model: QwenDecoder,
    windows: Sequence[Sequence[int]],
    budget: int,
    *,
    block_size: int = 64,
    symmetric: bool = False,
    search: bool = True,
    hessians: dict[str, np.ndarray] | None = None,
    batch: int = 4,
    memo: RoundingMemo | None = None,
) -> EightBitChoice:
    """The fusion units to store at 8 bits within ``budget`` extra bytes, measured on
    ``windows`` (training text; about 8 of 512 tokens: each unit costs half a forward on them).

    ``block_size``, ``symmetric``, ``search`` and ``hessians`` must be the export's, so that the
    base measured here is the int4 model the export writes. ``model`` is left as it was. Pass
    the export's ``memo`` (``quantize.quantize_matmul_weight``) and it reuses these roundings
    instead of running GPTQ over every weight again."""
    if budget < 0:
        raise ValueError(f"a byte budget cannot be negative ({budget})")
    if not windows:
        raise ValueError("no calibration windows to measure on")
    t0 = time.time()
    units = fusion_units(model)
    fp32 = {k: v.detach().float().cpu().clone() for k, v in model.hf_state_dict().items()}
    shapes = {k: tuple(v.shape) for k, v in fp32.items()}
    costs = {u.name: unit_cost(u, shapes, block_size, symmetric) for u in units}
    quant: dict[str, Any] = dict(
        block_size=block_size,
        symmetric=symmetric,
        search=search,
        hessians=hessians,
        # The chosen units' 8-bit roundings are made twice here (alone, then in the mix).
        memo={} if memo is None else memo,
    )
    base = dict(fp32)
    for unit in units:
        for name in unit.weights:
            base[name] = _rounded(fp32[name], name, 4, quant)
    # The tied embedding is the output projection ``lm_head.weight.T`` in the graph: 4-bit,
    # round-to-nearest, blocks along the hidden axis (GPTQ never touches it).
    base[EMBEDDING] = _rounded(fp32[EMBEDDING], "lm_head.weight", 4, quant)

    probe = _KLProbe(model, windows, batch)
    probe.set_reference()
    probe.load(base)
    base_kl = probe.kl(record=True)
    figures = []
    for unit in units:
        if costs[unit.name] > budget:  # could never be taken: not worth a forward
            figures.append(UnitFigures(unit.name, unit.weights, costs[unit.name], None, None))
            continue
        eight = {name: _rounded(fp32[name], name, 8, quant) for name in unit.weights}
        probe.load({**base, **eight})
        kl = probe.kl(start=unit.layer)
        figures.append(UnitFigures(unit.name, unit.weights, costs[unit.name], kl, base_kl - kl))
    chosen: list[UnitFigures] = []
    spent = 0
    candidates = [f for f in figures if f.gain is not None and f.gain > 0]
    for f in sorted(candidates, key=lambda f: -(f.gain or 0.0) / f.bytes):
        if spent + f.bytes <= budget:
            chosen.append(f)
            spent += f.bytes
    mixed_kl = base_kl
    if chosen:
        mixed = dict(base)
        for f in chosen:
            for name in f.weights:
                mixed[name] = _rounded(fp32[name], name, 8, quant)
        probe.load(mixed)
        mixed_kl = probe.kl()
    return EightBitChoice(
        budget=budget,
        chosen=tuple(f.unit for f in chosen),
        bytes=spent,
        base_kl=base_kl,
        mixed_kl=mixed_kl,
        units=tuple(figures),
        windows=len(windows),
        tokens=probe.tokens,
        seconds=round(time.time() - t0, 1),
    )


def describe(choice: dict[str, Any]) -> list[str]:
    """Markdown lines for the model card from ``EightBitChoice.to_json()``: a sentence and, when
    units were chosen, a small table of them."""
    chosen = list(choice.get("chosen") or [])
    by_name = {u["unit"]: u for u in choice.get("units", [])}
    head = (
        f"- mixed precision: {len(chosen)} of {len(by_name)} weight groups (per layer q/k/v, o, "
        f"gate/up, down) stored at 8 bits, {choice['bytes']:,} extra bytes of a "
        f"{choice['budget']:,}-byte budget, chosen by measured gain per byte; KL to fp32 on "
        f"{choice['windows']} training windows ({choice['tokens']:,} tokens): all-int4 "
        f"{_nats(choice['base_kl'])} nats/token, shipped mix {_nats(choice['mixed_kl'])}."
    )
    if not chosen:
        return [head]
    rows = ["", "| layer.group | extra bytes | KL gain alone |", "|---|---:|---:|"]
    rows += [f"| {u} | {by_name[u]['bytes']:,} | {_nats(by_name[u]['gain'])} |" for u in chosen]
    return [head, *rows, ""]


def _nats(x: float | None) -> str:
    """Four significant digits: a trained model's KLs and gains are 1e-3 to 1e-6 nats."""
    if x is None or not math.isfinite(x):
        return "?"
    return f"{x:.4g}"
