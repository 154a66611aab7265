"""Rewrite a quantized decoder into ONNX Runtime's fused decoder ops, with a shared KV buffer.

The exported graph (``export.py`` then ``quantize.py``, int4) is the plain Hugging Face layout:
RMSNorm spelled out in a dozen elementwise nodes, attention as MatMul/Softmax, and each step's
``present`` made by concatenating ``past`` with the new keys, so that a decode step copies the
whole KV cache (16 MB at 1,100 tokens for the embedded model) and a batch of 8 copies eight.
This pass keeps every quantized weight as it is (the same ``MatMulNBits`` blobs, bit for bit)
and rebuilds the graph around them:

* ``SimplifiedLayerNormalization`` / ``SkipSimplifiedLayerNormalization`` for the norms (the
  residual add folded into the next norm); Qwen3's per-head q/k norms too;
* one ``MatMulNBits`` for q, k and v together, one for gate and up (the packed rows concatenated;
  a unit that ``mixed_precision.py`` put at 8 bits stays one 8-bit op);
* ``GroupQueryAttention`` with rotary embedding inside, and ``past``/``present`` meant to be
  *one* buffer of a fixed capacity (``past_present_share_buffer``): the engine binds each
  ``present`` output to its ``past`` input, and a step writes only its own position;
* logits of the last position only (the engine never needs the others; a 1,100-token prefill no
  longer writes 70 MB of logits).

The graph keeps the decoder's input and output names (``input_ids``, ``attention_mask``,
``past_key_values.{i}.key|value``, ``logits``, ``present.{i}.key|value``; no ``position_ids``:
rotary positions come from each row's attention-mask length) and says what it is in its
metadata (``qwen_lsp.kv_cache = shared``), which is how the engine knows to share buffers.

Usage: ``python -m qwen_lsp.training.fuse MODULE_DIR`` rewrites the module's model in place and
updates its manifest (SHA-256 and size), after checking that it decodes the same greedy tokens
as the original.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .quantize import PACKED_CODES

MS = "com.microsoft"
# Which concatenated weights hold which original ones, and their widths (JSON), so that
# ``module.state_dict_from_onnx`` can give the trainable weights back (fine-tuning starts there).
FUSED_PARTS_METADATA = "qwen_lsp.fused_parts"
_LAYER = re.compile(r"^model\.layers\.(\d+)\.")


class FuseError(ValueError):
    """The graph is not one this pass knows how to rewrite."""


def _initializers(proto: onnx.ModelProto) -> dict[str, onnx.TensorProto]:
    return {t.name: t for t in proto.graph.initializer}


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _matmul_nbits(proto: onnx.ModelProto) -> dict[str, onnx.NodeProto]:
    """``MatMulNBits`` nodes by the weight they read (``model.layers.0.mlp.up_proj.weight``)."""
    out = {}
    for node in proto.graph.node:
        if node.op_type == "MatMulNBits":
            out[PACKED_CODES.sub("", node.input[1])] = node
    return out


def _concat_rows(
    inits: dict[str, onnx.TensorProto], nodes: list[onnx.NodeProto], name: str
) -> tuple[list[onnx.TensorProto], dict[str, Any], list[int]]:
    """One ``MatMulNBits`` weight from several: their packed rows (output features) stacked.
    Returns the new initializers, the node attributes and each part's output width."""
    attrs = [_attrs(n) for n in nodes]
    for a in attrs[1:]:
        if {k: v for k, v in a.items() if k != "N"} != {
            k: v for k, v in attrs[0].items() if k != "N"
        }:
            raise FuseError(f"{name}: the parts were quantized differently")
    tensors = []
    # Every layout here is one row per output feature (4-bit zero points: a row's blocks
    # packed two per byte; 8-bit: one byte per block), so the rows stack whatever the width.
    suffixes = ((1, f"_Q{attrs[0]['bits']}"), (2, "_scales"), (3, "_zero_points"))
    for slot, suffix in suffixes:
        present = [len(n.input) > slot and bool(n.input[slot]) for n in nodes]
        if not any(present):
            continue
        if not all(present):
            raise FuseError(f"{name}: some parts have {suffix.lstrip('_')} and some do not")
        parts = [numpy_helper.to_array(inits[n.input[slot]]) for n in nodes]
        tensors.append(numpy_helper.from_array(np.concatenate(parts, axis=0), name + suffix))
    merged = dict(attrs[0], N=sum(a["N"] for a in attrs))
    return tensors, merged, [a["N"] for a in attrs]


def fuse_decoder(
    src: str | Path,
    dst: str | Path,
    *,
    num_heads: int,
    kv_heads: int,
    head_dim: int,
    rope_theta: float,
    max_positions: int,
    rms_eps: float,
) -> Path:
    """Write the fused graph of the quantized decoder ``src`` to ``dst``."""
    proto = onnx.load(str(src))
    inits = _initializers(proto)
    nbits = _matmul_nbits(proto)
    layers = sorted(
        {int(m.group(1)) for name in inits if (m := _LAYER.match(name))},
    )
    if not layers or layers != list(range(len(layers))):
        raise FuseError("no model.layers.{i} weights (was it exported by export.py?)")
    if "model.layers.0.self_attn.q_proj.weight" not in nbits or "lm_head.weight" not in nbits:
        raise FuseError(
            "the projections are not separate MatMulNBits: fuse takes an int4 model (some weight "
            "groups may be 8-bit) that is not fused yet"
        )
    if any(name.endswith(".bias") for name in inits) or any(
        len(n.input) > 5 and n.input[5] for n in nbits.values()
    ):
        raise FuseError("projections with biases (Qwen2): only Qwen3 graphs are fused")
    embed = [n for n in proto.graph.node if n.name.startswith("embed_q4_")]
    if not any(n.op_type == "GatherBlockQuantized" for n in embed):
        raise FuseError("the embedding is not a GatherBlockQuantized over the output projection")
    hidden = num_heads * head_dim
    kv_width = kv_heads * head_dim
    hidden_size = int(_attrs(nbits["model.layers.0.self_attn.q_proj.weight"])["K"])

    nodes: list[onnx.NodeProto] = []
    new_inits: list[onnx.TensorProto] = []
    keep_inits: set[str] = set()

    def node(
        op: str, inputs: list[str], outputs: list[str], domain: str = "", **attrs: Any
    ) -> None:
        nodes.append(helper.make_node(op, inputs, outputs, name=outputs[0], domain=domain, **attrs))

    def const(name: str, value: np.ndarray) -> str:
        new_inits.append(numpy_helper.from_array(value, name))
        return name

    # The exporter stores equal tensors once (a fresh model's norms are all ones) and names
    # the others through Identity nodes.
    aliases = {
        n.output[0]: n.input[0]
        for n in proto.graph.node
        if n.op_type == "Identity" and n.input[0] in inits
    }

    producers = {out: n for n in proto.graph.node for out in n.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in proto.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def initializer_of(name: str) -> str | None:
        name = aliases.get(name, name)
        return name if name in inits else None

    def scale_weight(mul: onnx.NodeProto, width: int) -> str | None:
        """The RMSNorm weight a ``Mul`` applies (a 1-D initializer of ``width``)."""
        for i in mul.input:
            init = initializer_of(i)
            if init is not None and list(inits[init].dims) == [width]:
                return init
        return None

    def weight(name: str) -> str:
        init = initializer_of(name)
        if init is None:
            raise FuseError(f"no initializer {name!r}")
        keep_inits.add(init)
        return init

    def canonical(found: str, name: str) -> str:
        """``found`` stored under the transformers name ``name`` (a copy when the exporter
        shared it), so that the fused graph's weights read back by name."""
        if found == name:
            keep_inits.add(found)
        elif not any(t.name == name for t in new_inits):
            new_inits.append(numpy_helper.from_array(numpy_helper.to_array(inits[found]), name))
        return name

    def norm_before(projection: str, width: int, name: str) -> str:
        """The weight of the RMSNorm whose output feeds ``projection``'s MatMulNBits (found
        by structure: a fresh model's equal norms are stored once, under one name)."""
        mul = producers.get(nbits[projection].input[0])
        found = scale_weight(mul, width) if mul is not None and mul.op_type == "Mul" else None
        if found is None:
            raise FuseError(f"no RMSNorm weight in front of {projection}")
        return canonical(found, name)

    def norm_after(projection: str, width: int, name: str) -> str:
        """The weight of the per-head RMSNorm applied to ``projection``'s output (Qwen3's
        q/k norms): the first ``Mul`` by a ``width`` vector downstream."""
        frontier, seen = [nbits[projection].output[0]], set()
        for _ in range(12):
            nxt = []
            for tensor in frontier:
                for n in consumers.get(tensor, []):
                    if n.name in seen:
                        continue
                    seen.add(n.name)
                    if n.op_type == "Mul" and (found := scale_weight(n, width)) is not None:
                        return canonical(found, name)
                    nxt.extend(n.output)
            frontier = nxt
        raise FuseError(f"no per-head norm after {projection}")

    def rms_norm(x: str, weight_name: str, out: str, skip: str | None = None) -> str:
        """RMSNorm of ``x`` into ``out``; with ``skip``, of ``x + skip`` (one fused op).
        Returns what was normalized (the residual stream from there on)."""
        if skip is None:
            node("SimplifiedLayerNormalization", [x, weight_name], [out], axis=-1, epsilon=rms_eps)
            return x
        summed = out + ".residual"
        node(
            "SkipSimplifiedLayerNormalization",
            [x, skip, weight_name],
            [out, "", "", summed],
            MS,
            epsilon=rms_eps,
        )
        return summed

    fused_parts: dict[str, list[tuple[str, int]]] = {}

    def matmul(x: str, parts: list[str], out: str, fused_name: str = "") -> list[str]:
        """``x @ W`` for the concatenated weights of ``parts`` (stored as ``fused_name``);
        one output per part."""
        if len(parts) == 1:
            src_node = nbits[parts[0]]
            for i in src_node.input[1:]:
                if i:
                    weight(i)
            nodes.append(
                helper.make_node(
                    "MatMulNBits",
                    [x, *src_node.input[1:]],
                    [out],
                    name=out,
                    domain=MS,
                    **_attrs(src_node),
                )
            )
            return [out]
        base = fused_name + ".T"
        tensors, attrs, widths = _concat_rows(inits, [nbits[p] for p in parts], base)
        fused_parts[base] = [(part + ".T", w) for part, w in zip(parts, widths, strict=True)]
        new_inits.extend(tensors)
        node("MatMulNBits", [x, *(t.name for t in tensors)], [out + ".all"], MS, **attrs)
        outs = [f"{out}.{i}" for i in range(len(parts))]
        node(
            "Split",
            [out + ".all", const(out + ".widths", np.array(widths, np.int64))],
            outs,
            axis=-1,
        )
        return outs

    # The embedding: the quantized nodes as they are (they read input_ids).
    for n in embed:
        nodes.append(n)
        for i in n.input:
            if i in inits:
                weight(i)
    gather = next(n for n in embed if n.op_type == "GatherBlockQuantized")
    embedded = next(n for n in embed if n.input[0] == gather.output[0]).output[0]

    # Per-row lengths for attention: the mask's row sums (a row may be shorter than the batch).
    node(
        "ReduceSum",
        ["attention_mask", const("axes1", np.array([1], np.int64))],
        ["mask_sum"],
        keepdims=0,
    )
    node("Sub", ["mask_sum", const("one64", np.array(1, np.int64))], ["seqlens_k_64"])
    node("Cast", ["seqlens_k_64"], ["seqlens_k"], to=TensorProto.INT32)
    node("Shape", ["attention_mask"], ["mask_shape"])
    node("Gather", ["mask_shape", const("idx1", np.array(1, np.int64))], ["total_len_64"], axis=0)
    node("Cast", ["total_len_64"], ["total_seq_len"], to=TensorProto.INT32)
    inv_freq = 1.0 / (rope_theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    angles = np.outer(np.arange(max_positions, dtype=np.float64), inv_freq)
    const("cos_cache", np.cos(angles).astype(np.float32))
    const("sin_cache", np.sin(angles).astype(np.float32))
    heads_shape = const("heads_shape", np.array([0, 0, -1, head_dim], np.int64))
    q_shape = const("q_shape", np.array([0, 0, hidden], np.int64))
    kv_shape = const("kv_shape", np.array([0, 0, kv_width], np.int64))

    residual = embedded
    pending: str | None = None  # the last block's output, to add to ``residual`` in the next norm
    for i in layers:
        p = f"model.layers.{i}."
        normed = f"l{i}.in_norm"
        in_weight = norm_before(
            p + "self_attn.q_proj.weight", hidden_size, p + "input_layernorm.weight"
        )
        if pending is None:  # the first layer: the embedding alone
            residual = rms_norm(residual, in_weight, normed)
        else:
            residual = rms_norm(pending, in_weight, normed, skip=residual)
        q, k, v = matmul(
            normed,
            [p + f"self_attn.{x}_proj.weight" for x in "qkv"],
            f"l{i}.qkv",
            p + "self_attn.qkv_proj.weight",
        )
        for name, shape, out in ((q, q_shape, f"l{i}.q_normed"), (k, kv_shape, f"l{i}.k_normed")):
            which = "q" if out.endswith("q_normed") else "k"
            node("Reshape", [name, heads_shape], [name + ".heads"])
            head_weight = norm_after(
                p + f"self_attn.{which}_proj.weight", head_dim, p + f"self_attn.{which}_norm.weight"
            )
            rms_norm(name + ".heads", head_weight, name + ".heads_normed")
            node("Reshape", [name + ".heads_normed", shape], [out])
        node(
            "GroupQueryAttention",
            [
                f"l{i}.q_normed",
                f"l{i}.k_normed",
                v,
                f"past_key_values.{i}.key",
                f"past_key_values.{i}.value",
                "seqlens_k",
                "total_seq_len",
                "cos_cache",
                "sin_cache",
            ],
            [f"l{i}.attn", f"present.{i}.key", f"present.{i}.value"],
            MS,
            num_heads=num_heads,
            kv_num_heads=kv_heads,
            scale=1.0 / math.sqrt(head_dim),
            do_rotary=1,
            rotary_interleaved=0,
            local_window_size=-1,
        )
        (attn_out,) = matmul(f"l{i}.attn", [p + "self_attn.o_proj.weight"], f"l{i}.o")
        post = f"l{i}.post_norm"
        post_weight = norm_before(
            p + "mlp.gate_proj.weight", hidden_size, p + "post_attention_layernorm.weight"
        )
        residual = rms_norm(attn_out, post_weight, post, skip=residual)
        gate, up = matmul(
            post,
            [p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"],
            f"l{i}.gate_up",
            p + "mlp.gate_up_proj.weight",
        )
        node("Sigmoid", [gate], [f"l{i}.gate_sigmoid"])
        node("Mul", [gate, f"l{i}.gate_sigmoid"], [f"l{i}.silu"])
        node("Mul", [f"l{i}.silu", up], [f"l{i}.act"])
        (pending,) = matmul(f"l{i}.act", [p + "mlp.down_proj.weight"], f"l{i}.down")
    assert pending is not None
    node("Add", [pending, residual], ["final_residual"])
    node(
        "Slice",
        [
            "final_residual",
            const("last_start", np.array([-1], np.int64)),
            const("last_end", np.array([np.iinfo(np.int64).max], np.int64)),
            const("last_axis", np.array([1], np.int64)),
        ],
        ["last_hidden"],
    )
    rms_norm(
        "last_hidden",
        norm_before("lm_head.weight", hidden_size, "model.norm.weight"),
        "last_normed",
    )
    matmul("last_normed", ["lm_head.weight"], "logits")

    old_inputs = {i.name: i for i in proto.graph.input}
    inputs = [old_inputs["input_ids"], old_inputs["attention_mask"]]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", 1, None])]
    for i in layers:
        for kind in ("key", "value"):
            cache_dims: list[str | int | None] = ["batch_size", kv_heads, "kv_capacity", head_dim]
            inputs.append(
                helper.make_tensor_value_info(
                    f"past_key_values.{i}.{kind}", TensorProto.FLOAT, cache_dims
                )
            )
            outputs.append(
                helper.make_tensor_value_info(f"present.{i}.{kind}", TensorProto.FLOAT, cache_dims)
            )
    graph = helper.make_graph(
        nodes,
        "qwen-lsp-fused-decoder",
        inputs,
        outputs,
        [inits[n] for n in sorted(keep_inits)] + new_inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid(MS, 1)],
        producer_name="qwen-lsp fuse",
    )
    model.ir_version = proto.ir_version
    # Imported here: the GPU job's code copy holds only the training package, and it must be
    # able to import module.py (which needs FUSED_PARTS_METADATA) without the engine.
    from ..engine.session import KV_CACHE_METADATA

    helper.set_model_props(
        model, {KV_CACHE_METADATA: "shared", FUSED_PARTS_METADATA: json.dumps(fused_parts)}
    )
    # No onnx.checker: SimplifiedLayerNormalization is ONNX Runtime's, in the default domain,
    # which the checker does not know; fuse_module loads and runs the result instead.
    dst = Path(dst)
    onnx.save(model, str(dst))
    return dst


def exact_copy(src: str | Path, dst: str | Path) -> Path:
    """``src`` with every ``MatMulNBits`` at accuracy level 0 (float activations): the int8
    activations of level 4 round differently when inputs differ in the last bit, so only at
    level 0 can two graphs of the same weights be compared token for token."""
    proto = onnx.load(str(src))
    for node in proto.graph.node:
        for attr in node.attribute:
            if node.op_type == "MatMulNBits" and attr.name == "accuracy_level":
                attr.i = 0
    onnx.save(proto, str(dst))
    return Path(dst)


def _stage(module_dir: Path, model: Path, dst: Path) -> Path:
    """A copy of the module with ``model`` as its graph (manifest hashes updated)."""
    from .export import file_entry

    shutil.copytree(module_dir, dst)
    manifest = json.loads((module_dir / "model.json").read_text())
    shutil.copy(model, dst / manifest["model"])
    manifest["files"][manifest["model"]] = file_entry(dst / manifest["model"])
    (dst / "model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return dst


CHECK_PROMPTS = (
    "def fibonacci(n):\n    ",
    "import os\n\n\nclass Config:\n    def __init__(self, path):\n        self.",
    "for i in range(10):\n    print(",
)


def _greedy(module: Path, tokens: int) -> list[list[int]]:
    from ..engine.generate import GenerationRequest, generate
    from ..engine.registry import ModelRegistry

    loaded = ModelRegistry().get(module)
    return [
        generate(
            loaded.session,
            loaded.tokenizer,
            GenerationRequest(loaded.tokenizer.encode(text), tokens, ignore_eos=True),
        )[0].tokens
        for text in CHECK_PROMPTS
    ]


def fusable(quantization: str | None, architecture: str | None) -> bool:
    """Whether a module of this quantization and architecture can be fused (an int4 Qwen3
    export: what ``fuse_decoder`` rewrites)."""
    return quantization == "int4" and architecture == "qwen3"


def is_fused(model_path: str | Path) -> bool:
    """Whether an ONNX file is already a fused graph (it carries the fused weights' map)."""
    proto = onnx.load(str(model_path), load_external_data=False)
    return any(p.key == FUSED_PARTS_METADATA for p in proto.metadata_props)


def fuse_module(module_dir: str | Path, check_tokens: int = 48) -> dict[str, Any]:
    """Fuse a module's model in place and update its manifest, after checking that the fused
    graph decodes exactly the same greedy tokens as the original (both at accuracy level 0).
    Returns a report (sizes, and how many tokens agree at the shipped accuracy level)."""
    module_dir = Path(module_dir)
    manifest = json.loads((module_dir / "model.json").read_text())
    config = json.loads((module_dir / "config.json").read_text())
    model_path = module_dir / manifest["model"]
    rope = config.get("rope_parameters") or {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        fused = fuse_decoder(
            model_path,
            tmp / "fused.onnx",
            num_heads=config["num_attention_heads"],
            kv_heads=config["num_key_value_heads"],
            head_dim=config.get("head_dim")
            or config["hidden_size"] // config["num_attention_heads"],
            rope_theta=float(rope.get("rope_theta", config.get("rope_theta", 10000.0))),
            max_positions=int(config.get("max_position_embeddings", manifest["context_length"])),
            rms_eps=float(config.get("rms_norm_eps", 1e-6)),
        )
        exact_before = _greedy(
            _stage(module_dir, exact_copy(model_path, tmp / "a.onnx"), tmp / "a"), check_tokens
        )
        exact_after = _greedy(
            _stage(module_dir, exact_copy(fused, tmp / "b.onnx"), tmp / "b"), check_tokens
        )
        if exact_before != exact_after:
            raise FuseError("the fused graph decodes differently from the original")
        shipped_before = _greedy(module_dir, check_tokens)
        staged = _stage(module_dir, fused, tmp / "fused")
        shipped_after = _greedy(staged, check_tokens)
        agree = sum(
            a == b
            for before, after in zip(shipped_before, shipped_after, strict=True)
            for a, b in zip(before, after, strict=True)
        )
        before_bytes = model_path.stat().st_size
        shutil.copy(staged / manifest["model"], model_path)
        shutil.copy(staged / "model.json", module_dir / "model.json")
    return {
        "model": manifest["model"],
        "bytes_before": before_bytes,
        "bytes_after": model_path.stat().st_size,
        "exact_tokens_identical": True,
        "shipped_tokens_agreeing": f"{agree}/{check_tokens * len(CHECK_PROMPTS)}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", type=Path, help="a module folder with an int4 model")
    args = parser.parse_args()
    try:
        report = fuse_module(args.module)
    except FuseError as exc:
        raise SystemExit(f"qwen_lsp.training.fuse: {args.module}: not fused: {exc}") from None
    except (OSError, KeyError, ValueError) as exc:
        raise SystemExit(
            f"qwen_lsp.training.fuse: {args.module}: not a module folder with an int4 model "
            f"({type(exc).__name__}: {exc})"
        ) from None
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
