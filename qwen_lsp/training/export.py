"""Export a ``QwenDecoder`` to the Hugging Face ONNX decoder layout, and write module manifests.

Layout (docs/model-module.md): inputs ``input_ids``, ``attention_mask``, ``position_ids``,
``past_key_values.{i}.key|value``; outputs ``logits``, ``present.{i}.key|value``; dynamic batch,
sequence and past axes. The tied embedding is stored once: the tracer folds ``Transpose(E)``
for the output projection into a second initializer, which ``share_tied_embedding`` replaces by
a ``Transpose`` node over the embedding (ONNX Runtime folds it again in memory at load time, so
the file stays small and the run stays fast).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from torch import nn

from qwen_lsp.training import SPECIAL_TOKENS
from qwen_lsp.training.model import QwenDecoder

DEFAULT_OPSET = 18


class _ExportWrapper(nn.Module):
    """Flat-argument view of ``forward_with_past`` for the tracer."""

    def __init__(self, model: QwenDecoder) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        *past_flat: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.model.forward_with_past(
            input_ids, attention_mask, position_ids, past
        )
        flat: list[torch.Tensor] = [logits]
        for k, v in presents:
            flat.extend((k, v))
        return tuple(flat)


def io_names(num_layers: int) -> tuple[list[str], list[str]]:
    """Input and output names of the decoder layout for ``num_layers`` layers."""
    inputs = ["input_ids", "attention_mask", "position_ids"]
    outputs = ["logits"]
    for i in range(num_layers):
        inputs += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outputs += [f"present.{i}.key", f"present.{i}.value"]
    return inputs, outputs


def export_onnx(model: QwenDecoder, path: str | Path, opset: int = DEFAULT_OPSET) -> Path:
    """Export ``model`` (fp32, on CPU) to ``path`` and share its tied embedding.

    Returns the path written. The model is left in eval mode on the CPU.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.float().cpu().eval()
    shape = model.shape
    n_layers = shape.num_hidden_layers
    # Non-trivial sizes everywhere (batch 2, seq 3, past 4) so no axis gets specialised to 1.
    b, s, p = 2, 3, 4
    ids = torch.randint(len(SPECIAL_TOKENS), shape.vocab_size, (b, s))
    mask = torch.ones(b, p + s, dtype=torch.long)
    pos = torch.arange(p, p + s).unsqueeze(0).repeat(b, 1)
    kv = (b, shape.num_key_value_heads, p, shape.dim_head)
    past = [torch.randn(kv) for _ in range(2 * n_layers)]
    inputs, outputs = io_names(n_layers)
    dyn: dict[str, dict[int, str]] = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(n_layers):
        for kind in ("key", "value"):
            dyn[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
            dyn[f"present.{i}.{kind}"] = {0: "batch_size", 2: "total_sequence_length"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape arithmetic are expected
        torch.onnx.export(
            _ExportWrapper(model),
            (ids, mask, pos, *past),
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=dyn,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load(str(path))
    share_tied_embedding(proto, model.embedding.detach().numpy())
    rename_initializers(proto, {k: v.detach().numpy() for k, v in model.hf_state_dict().items()})
    proto.producer_name = "qwen-lsp"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return path


def _consumers(graph: onnx.GraphProto, name: str) -> list[onnx.NodeProto]:
    return [n for n in graph.node if name in n.input]


def share_tied_embedding(proto: onnx.ModelProto, embedding: np.ndarray) -> bool:
    """Replace a folded copy of the tied embedding by a ``Transpose`` of the embedding.

    Finds the ``Gather`` initializer equal to ``embedding`` and any other initializer equal to
    its transpose (or to itself), and points their consumers at the single copy. Returns True when
    a duplicate was removed.
    """
    graph = proto.graph
    inits = {t.name: t for t in graph.initializer}
    emb_name = None
    for node in graph.node:
        if node.op_type == "Gather" and node.input[0] in inits:
            arr = numpy_helper.to_array(inits[node.input[0]])
            if arr.shape == embedding.shape and np.array_equal(arr, embedding):
                emb_name = node.input[0]
                break
    if emb_name is None:
        raise ValueError("no Gather over the embedding found in the exported graph")
    changed = False
    for t in list(graph.initializer):
        if t.name == emb_name or tuple(t.dims) not in (embedding.shape, embedding.shape[::-1]):
            continue
        arr = numpy_helper.to_array(t)
        if arr.shape == embedding.shape[::-1] and np.array_equal(arr, embedding.T):
            tname = "lm_head.weight.T"
            graph.node.insert(
                0,
                helper.make_node(
                    "Transpose", [emb_name], [tname], perm=[1, 0], name="tied_embedding_transpose"
                ),
            )
            replacement = tname
        elif arr.shape == embedding.shape and np.array_equal(arr, embedding):
            replacement = emb_name
        else:
            continue
        for n in _consumers(graph, t.name):
            for j, inp in enumerate(n.input):
                if inp == t.name:
                    n.input[j] = replacement
        graph.initializer.remove(t)
        changed = True
    return changed


def rename_initializers(proto: onnx.ModelProto, params: dict[str, np.ndarray]) -> None:
    """Give initializers the transformers parameter names (``.T`` when stored transposed).

    The tracer names folded weights ``onnx::MatMul_123`` and prefixes the rest with the wrapper's
    attribute; readable names make quantized graphs and debugging easier.
    """
    graph = proto.graph
    by_shape: dict[tuple[int, ...], list[str]] = {}
    for k, v in params.items():
        by_shape.setdefault(v.shape, []).append(k)
        if v.ndim == 2:
            by_shape.setdefault(v.shape[::-1], []).append(k)
    renames: dict[str, str] = {}
    taken = {t.name for t in graph.initializer}
    for t in graph.initializer:
        if t.name.startswith("model.model."):
            new = t.name[len("model.") :]
        else:
            new = None
            arr = numpy_helper.to_array(t)
            for k in by_shape.get(arr.shape, []):
                p = params[k]
                if p.shape == arr.shape and np.array_equal(p, arr):
                    new = k
                    break
                if p.ndim == 2 and p.shape[::-1] == arr.shape and np.array_equal(p.T, arr):
                    new = f"{k}.T"
                    break
        if new and new != t.name and new not in taken:
            renames[t.name] = new
            taken.add(new)
    for t in graph.initializer:
        if t.name in renames:
            t.name = renames[t.name]
    for n in graph.node:
        for j, inp in enumerate(n.input):
            if inp in renames:
                n.input[j] = renames[inp]


def onnx_session(path: str | Path, threads: int = 1) -> Any:
    """A CPU ONNX Runtime session (the engine's default provider)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_onnx(
    sess: Any,
    input_ids: np.ndarray,
    attention_mask: np.ndarray,
    position_ids: np.ndarray,
    past: Sequence[np.ndarray] | None,
    num_layers: int,
    kv_heads: int,
    head_dim: int,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One decoder call; ``past`` is the flat list (k0, v0, k1, ...) or None for an empty past."""
    b = input_ids.shape[0]
    if past is None:
        past = [np.zeros((b, kv_heads, 0, head_dim), np.float32)] * (2 * num_layers)
    inputs, _ = io_names(num_layers)
    feed = dict(zip(inputs, [input_ids, attention_mask, position_ids, *past], strict=True))
    out = sess.run(None, feed)
    return out[0], out[1:]


def logits_parity(
    model: QwenDecoder, onnx_path: str | Path, seed: int = 0, seq: int = 12, batch: int = 2
) -> dict[str, float]:
    """Max |ONNX - PyTorch| logits, without cache (prefill) and with a cached second step.

    Uses left padding on the second row so the mask and position paths are exercised.
    """
    model = model.float().cpu().eval()
    sh = model.shape
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(len(SPECIAL_TOKENS), sh.vocab_size, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.long)
    if batch > 1:
        mask[1, : seq // 3] = 0
    pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)
    sess = onnx_session(onnx_path)
    split = seq - 4
    with torch.no_grad():
        ref, _ = model.forward_with_past(ids, mask, pos, model.empty_past(batch))
    ref_np = ref.numpy()
    full, _ = run_onnx(
        sess,
        ids.numpy(),
        mask.numpy(),
        pos.numpy(),
        None,
        sh.num_hidden_layers,
        sh.num_key_value_heads,
        sh.dim_head,
    )
    a, past = run_onnx(
        sess,
        ids[:, :split].numpy(),
        mask[:, :split].numpy(),
        pos[:, :split].numpy(),
        None,
        sh.num_hidden_layers,
        sh.num_key_value_heads,
        sh.dim_head,
    )
    bb, _ = run_onnx(
        sess,
        ids[:, split:].numpy(),
        mask.numpy(),
        pos[:, split:].numpy(),
        past,
        sh.num_hidden_layers,
        sh.num_key_value_heads,
        sh.dim_head,
    )
    real = mask.numpy().astype(bool)
    cached = np.concatenate([a, bb], axis=1)
    return {
        "max_abs_diff_prefill": float(np.abs(full - ref_np)[real].max()),
        "max_abs_diff_cached": float(np.abs(cached - ref_np)[real].max()),
        "max_abs_logit": float(np.abs(ref_np[real]).max()),
    }


# -- manifests ---------------------------------------------------------------------------------
def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entry(path: Path) -> dict[str, Any]:
    """A manifest's record of one file: its SHA-256 and size."""
    return {"sha256": sha256_file(path), "size": path.stat().st_size}


def write_manifest(
    module_dir: str | Path,
    *,
    name: str,
    languages: Sequence[str],
    architecture: str,
    context_length: int,
    quantization: str,
    orders: Sequence[str] = ("spm", "psm"),
    version: str = "0.0.0",
    license: str = "Apache-2.0",
    description: str = "",
    model_file: str = "model.onnx",
    tokenizer_file: str = "tokenizer.json",
    extra_files: Sequence[str] = (),
) -> dict[str, Any]:
    """Write ``model.json`` per docs/model-module.md with hashes of every file the engine reads.

    ``model.onnx.data`` is listed automatically when present.
    """
    d = Path(module_dir)
    files = [tokenizer_file, model_file, *extra_files]
    if (d / f"{model_file}.data").exists():
        files.append(f"{model_file}.data")
    manifest: dict[str, Any] = {
        "format_version": 1,
        "name": name,
        "version": version,
        "languages": list(languages),
        "architecture": architecture,
        "context_length": context_length,
        "tokenizer": tokenizer_file,
        "model": model_file,
        "fim": {
            "prefix": "<|fim_prefix|>",
            "suffix": "<|fim_suffix|>",
            "middle": "<|fim_middle|>",
            "file_sep": "<|file_sep|>",
            "eos": "<|endoftext|>",
            "orders": list(orders),
        },
        "stop_tokens": ["<|endoftext|>", "<|fim_pad|>", "<|file_sep|>"],
        "quantization": quantization,
        "files": {f: file_entry(d / f) for f in files},
        "license": license,
        "description": description,
    }
    (d / "model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
