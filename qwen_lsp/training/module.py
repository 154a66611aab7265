"""Model module folders (docs/model-module.md): build one from trained weights, and read the
weights back out of one (for fine-tuning a shipped module, whose folder holds only ONNX).

``build_module`` exports fp32 ONNX (checked against PyTorch), quantizes it, checks the quantized
graph against the fp32 one, copies the tokenizer, writes ``config.json`` (the transformers
config, so the weights' shape is known without parsing the graph), ``model.json`` with hashes,
and optionally ``MODEL_CARD.md``.

``weights_from_module`` rebuilds a ``QwenDecoder`` from a module: from ``weights/`` if present,
else by de-quantizing the ONNX initializers (fp32, int8 or int4 graphs written by this package,
with or without 8-bit weight groups).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from qwen_lsp.training.export import export_onnx, logits_parity, write_manifest
from qwen_lsp.training.fuse import FUSED_PARTS_METADATA, fusable
from qwen_lsp.training.model import ModelShape, QwenDecoder
from qwen_lsp.training.quantize import (
    LM_HEAD_T,
    PACKED_CODES,
    RoundingMemo,
    compare_logits,
    dequantize_blocks,
    quantize_model,
)

LANGUAGES = {
    "python": ["python"],
    "javascript": ["javascript", "typescript", "javascriptreact", "typescriptreact"],
}


def build_module(
    model: QwenDecoder,
    tokenizer_path: str | Path,
    out_dir: str | Path,
    *,
    name: str,
    languages: list[str],
    quantization: str = "int4",
    version: str = "0.0.0",
    description: str = "",
    orders: list[str] | None = None,
    context_length: int | None = None,
    card: str | None = None,
    quant_options: dict[str, Any] | None = None,
    check_sequences: list[list[int]] | None = None,
    keep_fp32: str | Path | None = None,
    fuse: bool = True,
    calibration: list[list[int]] | None = None,
    eight_bit_bytes: int = 0,
    eight_bit_windows: list[list[int]] | None = None,
) -> dict[str, Any]:
    """Write a complete module folder; returns a report (sizes, parity, quantization damage).
    With ``calibration`` token windows (training text) an int4 model's decoder layers are
    rounded by GPTQ (``gptq.py``) rather than to nearest. With ``eight_bit_bytes`` > 0 the
    weight groups that buy the most KL to fp32 per byte on ``eight_bit_windows`` (training
    text) are stored at 8 bits, within that many extra bytes (``mixed_precision.py``; the
    report's ``mixed_precision``). An int4 Qwen3 model is then rewritten into ONNX Runtime's
    fused decoder ops with a shared KV buffer (``fuse.py``; same weights, checked token for
    token) unless ``fuse`` is off."""
    if eight_bit_bytes < 0:
        raise ValueError(f"eight_bit_bytes cannot be negative ({eight_bit_bytes})")
    if eight_bit_bytes and quantization != "int4":
        raise ValueError(f"8-bit weight groups are part of the int4 export, not {quantization}")
    if eight_bit_bytes and not eight_bit_windows:
        raise ValueError("eight_bit_bytes needs eight_bit_windows (training text) to measure on")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"quantization": quantization}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model_fp32.onnx"
        export_onnx(model, fp32)
        report["fp32_bytes"] = fp32.stat().st_size
        report["onnx_vs_torch"] = logits_parity(model, fp32)
        if keep_fp32:
            shutil.copyfile(fp32, keep_fp32)
        if quantization == "fp32":
            shutil.copyfile(fp32, out / "model.onnx")
        else:
            hessians = None
            if calibration and quantization == "int4":
                from qwen_lsp.training.gptq import collect_hessians

                hessians = collect_hessians(model, calibration)
            eight_bit: tuple[str, ...] = ()
            memo: RoundingMemo = {}  # the selection's roundings, reused by the export
            if eight_bit_bytes:
                from qwen_lsp.training.mixed_precision import choose_eight_bit

                opts = quant_options or {}
                choice = choose_eight_bit(
                    model,
                    eight_bit_windows or [],
                    eight_bit_bytes,
                    # The export's own rounding, so that the measured base is the shipped one.
                    block_size=opts.get("block_size", 64),
                    symmetric=opts.get("symmetric", False),
                    search=opts.get("search", True),
                    hessians=hessians,
                    memo=memo,
                )
                report["mixed_precision"] = choice.to_json()
                eight_bit = choice.weights
            q = quantize_model(
                fp32,
                out / "model.onnx",
                quantization,
                hessians,
                eight_bit=eight_bit,
                memo=memo,
                **(quant_options or {}),
            )
            report["quantize"] = q
            seqs = check_sequences or _random_sequences(model.shape.vocab_size)
            try:
                report["quantized_vs_fp32"] = compare_logits(fp32, out / "model.onnx", seqs)
            except Exception as e:  # an ONNX Runtime without an op must not lose the export
                report["quantized_vs_fp32"] = {"error": repr(e)}
    shutil.copyfile(tokenizer_path, out / "tokenizer.json")
    cfg = model.shape.to_hf_config()
    cfg.architectures = [
        "Qwen2ForCausalLM" if model.shape.architecture == "qwen2" else "Qwen3ForCausalLM"
    ]
    cfg.to_json_file(str(out / "config.json"))
    if card is not None:
        (out / "MODEL_CARD.md").write_text(card)
    manifest = write_manifest(
        out,
        name=name,
        languages=languages,
        architecture=model.shape.architecture,
        context_length=context_length or model.shape.max_position_embeddings,
        quantization=quantization,
        orders=orders or ["spm", "psm", "prefix_only"],
        version=version,
        description=description,
    )
    if fuse and fusable(quantization, model.shape.architecture):
        from .fuse import fuse_module

        report["fuse"] = fuse_module(out)
        manifest = json.loads((out / "model.json").read_text())
    report["model_bytes"] = (out / "model.onnx").stat().st_size
    report["manifest"] = manifest
    return report


def _random_sequences(vocab: int, n: int = 4, length: int = 64) -> list[list[int]]:
    rng = np.random.default_rng(0)
    return [rng.integers(7, vocab, length).tolist() for _ in range(n)]


# -- reading weights back ----------------------------------------------------------------------
def _graph_tensors(proto: onnx.ModelProto) -> dict[str, np.ndarray]:
    g = proto.graph
    arrays = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:  # deduplicated initializers come back through Identity nodes
        if n.op_type == "Identity" and n.input[0] in arrays:
            name = n.output[0]
            if name.startswith("model.model."):
                name = name[len("model.") :]
            arrays.setdefault(name, arrays[n.input[0]])
    return arrays


def _matmul_attrs(proto: onnx.ModelProto) -> dict[str, dict[str, int]]:
    attrs = {}
    for n in proto.graph.node:
        if n.op_type == "MatMulNBits":
            attrs[n.input[1]] = {a.name: a.i for a in n.attribute}
    return attrs


def state_dict_from_onnx(path: str | Path) -> dict[str, np.ndarray]:
    """transformers-named float32 weights recovered from a graph written by this package."""
    proto = onnx.load(str(path))
    arrays = _graph_tensors(proto)
    nbits = _matmul_attrs(proto)
    sd: dict[str, np.ndarray] = {}
    for name, arr in arrays.items():
        if codes := PACKED_CODES.search(name):
            base = name[: codes.start() + len(".T")]
            attrs = nbits[name]
            if attrs.get("bits", 4) != int(codes.group(1)):
                raise ValueError(f"{name} is read as {attrs.get('bits')}-bit by its MatMulNBits")
            sd[base] = dequantize_blocks(
                arr,
                arrays[f"{base}_scales"],
                arrays.get(f"{base}_zero_points"),
                attrs["K"],
                attrs.get("bits", 4),
            )
        elif name.endswith(".T_quantized"):
            base = name[: -len("_quantized")]
            scale = arrays[f"{base}_scale"].astype(np.float32)
            zp = arrays[f"{base}_zero_point"].astype(np.float32)
            sd[base] = (arr.astype(np.float32) - zp) * scale
        elif name.startswith(("model.", "lm_head.")) and not name.endswith(
            ("_scales", "_zero_points", "_scale", "_zero_point")
        ):
            sd[name] = arr.astype(np.float32)
    # A fused graph (fuse.py) stores q/k/v and gate/up as one weight each: split them back.
    props = {p.key: p.value for p in proto.metadata_props}
    for fused, parts in json.loads(props.get(FUSED_PARTS_METADATA, "{}")).items():
        whole = sd.pop(fused)
        start = 0
        for part, width in parts:
            sd[part] = np.ascontiguousarray(whole[:, start : start + width])
            start += width
    out: dict[str, np.ndarray] = {}
    for name, arr in sd.items():
        if name == LM_HEAD_T:
            out["model.embed_tokens.weight"] = np.ascontiguousarray(arr.T)
        elif name.endswith(".T"):
            out[name[:-2]] = np.ascontiguousarray(arr.T)
        else:
            out.setdefault(name, arr)
    return out


def weights_from_module(module_dir: str | Path) -> QwenDecoder:
    """Rebuild the trainable model of a module folder (needs its ``config.json``)."""
    d = Path(module_dir)
    manifest = json.loads((d / "model.json").read_text())
    cfg = json.loads((d / "config.json").read_text())
    shape = ModelShape.from_hf_config(cfg)
    model = QwenDecoder(shape)
    if (d / "weights" / "model.safetensors").exists():
        from safetensors.torch import load_file

        model.load_hf_state_dict(load_file(str(d / "weights" / "model.safetensors")))
        return model.float()
    sd = state_dict_from_onnx(d / manifest["model"])
    model.load_hf_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    return model
