"""Quantize an exported decoder: int8 (dynamic, per channel) or int4 (``MatMulNBits``).

Both keep the tied embedding stored once, quantized: the output projection's quantized weight
is also what the input embedding reads.

* int8: ONNX Runtime's dynamic quantization of every ``MatMul`` (weights per output channel,
  ``reduce_range``), then the embedding ``Gather`` is rewritten to read the int8 output-projection
  weight ``[hidden, vocab]`` by column and scale it by that column's scale.
* int4: ``MatMulNBits`` (packed here, block-wise along K, block 32/64/128, with zero
  points or symmetric), then the embedding becomes a ``GatherBlockQuantized`` over the very same
  packed initializer as the output projection's ``MatMulNBits`` (``[vocab, k_blocks, blob]``,
  blocks along the hidden axis: the row of token t is exactly the embedding of t). Weights named
  in ``eight_bit`` (``mixed_precision.py`` picks them) become ``MatMulNBits`` with ``bits=8``
  instead, like llama.cpp's Q4_K_M keeps some tensors at higher precision.

Initializer names: ``<base>_Q4`` or ``<base>_Q8`` (the packed codes), ``<base>_scales`` and
``<base>_zero_points``, where ``<base>`` is the MatMul's weight (``model.layers.0.mlp.up_proj
.weight.T``); ``quantized_suffix`` gives the first by bit width.

``quantize_model`` writes the file and returns its size; ``compare_logits`` measures the damage.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LM_HEAD_T = "lm_head.weight.T"
# The transformers names of the tied output projection / embedding, which stay 4-bit: the
# embedding lookup (GatherBlockQuantized) reads the output projection's 4-bit codes.
TIED_HEAD_NAMES = frozenset({"lm_head.weight", "model.embed_tokens.weight"})


# The name of a MatMulNBits weight's packed codes: ``<weight>.T_Q4`` or ``<weight>.T_Q8``
# (group 1: the bits). Everything that reads these graphs back parses names with it.
PACKED_CODES = re.compile(r"\.T_Q(4|8)$")


def quantized_suffix(bits: int) -> str:
    """The suffix of a ``MatMulNBits`` weight's packed codes: ``_Q4`` or ``_Q8``."""
    if bits not in (4, 8):
        raise ValueError(f"MatMulNBits weights here are 4 or 8 bits, not {bits}")
    return f"_Q{bits}"


def _find_node(graph: onnx.GraphProto, op_type: str, input_name: str) -> onnx.NodeProto | None:
    for n in graph.node:
        if n.op_type == op_type and input_name in n.input:
            return n
    return None


def _embedding_gather(graph: onnx.GraphProto, emb: str) -> onnx.NodeProto:
    for n in graph.node:
        if n.op_type == "Gather" and n.input[0] == emb:
            return n
    raise ValueError(f"no Gather reads {emb}")


def materialize_lm_head(proto: onnx.ModelProto) -> str:
    """Replace ``Transpose(embedding)`` feeding the output ``MatMul`` by a constant ``E^T``.

    ONNX Runtime's quantizers only quantize a ``MatMul`` whose B is an initializer. Returns the
    embedding's initializer name. The duplicate lives only until the embedding is re-pointed at
    the quantized copy.
    """
    graph = proto.graph
    tr = next(
        (n for n in graph.node if n.op_type == "Transpose" and n.output[0] == LM_HEAD_T), None
    )
    if tr is None:
        raise ValueError("no tied-embedding Transpose found (was the model exported by export.py?)")
    emb_name = tr.input[0]
    emb = next(t for t in graph.initializer if t.name == emb_name)
    arr = numpy_helper.to_array(emb)
    graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(arr.T), LM_HEAD_T))
    graph.node.remove(tr)
    return emb_name


def _drop_initializer(graph: onnx.GraphProto, name: str) -> None:
    if any(name in n.input for n in graph.node):
        raise ValueError(f"{name} is still used")
    for t in list(graph.initializer):
        if t.name == name:
            graph.initializer.remove(t)


def _init(graph: onnx.GraphProto, name: str) -> onnx.TensorProto:
    return next(t for t in graph.initializer if t.name == name)


def _insert_before(
    graph: onnx.GraphProto, anchor: onnx.NodeProto, nodes: list[onnx.NodeProto]
) -> None:
    idx = list(graph.node).index(anchor)
    for k, n in enumerate(nodes):
        graph.node.insert(idx + k, n)


def quantize_int8_proto(
    proto: onnx.ModelProto,
    per_channel: bool = True,
    reduce_range: bool = True,
    share_embedding: bool = True,
) -> onnx.ModelProto:
    """Dynamic int8 quantization of all MatMuls, embedding shared with the output projection."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    emb_name = materialize_lm_head(proto)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.onnx", Path(tmp) / "out.onnx"
        onnx.save(proto, str(src))
        logging.getLogger("onnxruntime").setLevel(logging.ERROR)
        quantize_dynamic(
            str(src),
            str(dst),
            op_types_to_quantize=["MatMul"],
            per_channel=per_channel,
            reduce_range=reduce_range,
            weight_type=QuantType.QInt8,
            extra_options={"MatMulConstBOnly": True},
        )
        q = onnx.load(str(dst))
    if not share_embedding:
        return q
    g = q.graph
    wq, ws, wz = f"{LM_HEAD_T}_quantized", f"{LM_HEAD_T}_scale", f"{LM_HEAD_T}_zero_point"
    names = {t.name for t in g.initializer}
    if not {wq, ws, wz} <= names:
        raise ValueError("quantize_dynamic did not produce the expected output-projection weights")
    gather = _embedding_gather(g, emb_name)
    ids, out = gather.input[1], gather.output[0]
    zp = numpy_helper.to_array(_init(g, wz))
    p = "embed_q8"
    nodes = [
        # Column t of the int8 [hidden, vocab] weight is token t's embedding.
        helper.make_node("Gather", [wq, ids], [f"{p}_cols"], axis=1, name=f"{p}_gather"),
        helper.make_node(
            "Cast", [f"{p}_cols"], [f"{p}_colsf"], to=TensorProto.FLOAT, name=f"{p}_cast"
        ),
    ]
    cur = f"{p}_colsf"
    if np.any(zp != 0):
        nodes += [
            helper.make_node("Gather", [wz, ids], [f"{p}_zp"], axis=0, name=f"{p}_gather_zp"),
            helper.make_node(
                "Cast", [f"{p}_zp"], [f"{p}_zpf"], to=TensorProto.FLOAT, name=f"{p}_cast_zp"
            ),
            helper.make_node("Sub", [cur, f"{p}_zpf"], [f"{p}_centered"], name=f"{p}_sub"),
        ]
        cur = f"{p}_centered"
    axes = numpy_helper.from_array(np.array([-1], np.int64), f"{p}_axes")
    g.initializer.append(axes)
    nodes += [
        helper.make_node("Transpose", [cur], [f"{p}_rows"], perm=[1, 2, 0], name=f"{p}_transpose"),
        helper.make_node("Gather", [ws, ids], [f"{p}_scale"], axis=0, name=f"{p}_gather_scale"),
        helper.make_node(
            "Unsqueeze", [f"{p}_scale", f"{p}_axes"], [f"{p}_scale3"], name=f"{p}_unsq"
        ),
        helper.make_node("Mul", [f"{p}_rows", f"{p}_scale3"], [out], name=f"{p}_mul"),
    ]
    _insert_before(g, gather, nodes)
    g.node.remove(gather)
    _drop_initializer(g, emb_name)
    return q


def quantize_4bit_blocks(
    w: np.ndarray, block_size: int = 64, symmetric: bool = False, search: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Block-wise 4-bit quantization of a MatMul weight ``w [K, N]`` in ``MatMulNBits`` layout.

    Returns ``packed [N, k_blocks, block_size // 2]`` uint8 (low nibble first),
    ``scales [N, k_blocks]`` float32 and, unless symmetric, ``zero_points [N, ceil(k_blocks/2)]``
    uint8 (two blocks per byte). ``search``: see ``block_grid``.
    """
    k, n = w.shape
    kb = -(-k // block_size)
    wt = np.zeros((n, kb * block_size), np.float32)
    wt[:, :k] = w.T
    blocks = wt.reshape(n, kb, block_size)
    scale, zp = block_grid(blocks, symmetric, search)
    return pack_4bit_blocks(block_codes(blocks, scale, zp), scale, None if symmetric else zp)


def block_codes(blocks: np.ndarray, scale: np.ndarray, zp: np.ndarray) -> np.ndarray:
    """4-bit codes (uint8, 0..15) of ``blocks [..., B]`` on the grid of one ``scale`` and zero
    point per block (the leading axes)."""
    return np.clip(np.round(blocks / scale[..., None]) + zp[..., None], 0, 15).astype(np.uint8)


def block_grid(
    blocks: np.ndarray, symmetric: bool = False, search: bool = True, include_zero: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Scale (float32) and zero point (uint8) of each block of ``blocks [..., B]`` for 4-bit
    codes. With ``search`` the range is shrunk by the factor (1.0 down to 0.75) that minimises
    the block's squared reconstruction error: clipping a few outliers buys resolution for the
    rest, a cheap and well-known gain for round-to-nearest int4. ``include_zero`` widens an
    asymmetric range to contain 0 (GPTQ's convention)."""
    lead = blocks.shape[:-1]
    best_err = np.full(lead, np.inf, blocks.dtype)
    best_scale = np.zeros(lead, np.float32)
    best_zp = np.zeros(lead, np.uint8)
    for f in np.linspace(1.0, 0.75, 6) if search else [1.0]:
        if symmetric:
            amax = np.abs(blocks).max(-1) * f
            scale = np.where(amax > 0, amax / 7.0, 1.0).astype(np.float32)
            zp = np.full(lead, 8, np.uint8)
        else:
            lo, hi = blocks.min(-1), blocks.max(-1)
            if include_zero:
                lo, hi = np.minimum(lo, 0), np.maximum(hi, 0)
            lo, hi = lo * f, hi * f
            scale = np.where(hi > lo, (hi - lo) / 15.0, 1.0).astype(np.float32)
            zp = np.clip(np.round(-lo / scale), 0, 15).astype(np.uint8)
        q = block_codes(blocks, scale, zp).astype(blocks.dtype)
        err = (((q - zp[..., None]) * scale[..., None] - blocks) ** 2).sum(-1)
        better = err < best_err
        best_err = np.where(better, err, best_err)
        best_scale = np.where(better, scale, best_scale)
        best_zp = np.where(better, zp, best_zp)
    return best_scale, best_zp


def pack_4bit_blocks(
    codes: np.ndarray, scales: np.ndarray, zero_points: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``MatMulNBits`` layout of 4-bit ``codes [N, k_blocks, block_size]``: two codes per byte
    (low nibble first) and, when given, two blocks' zero points per byte."""
    n, kb, _ = codes.shape
    packed = (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)
    if zero_points is None:
        return packed, scales, None
    zpp = np.zeros((n, kb + (kb % 2)), np.uint8)
    zpp[:, :kb] = zero_points
    return packed, scales, (zpp[:, 0::2] | (zpp[:, 1::2] << 4)).astype(np.uint8)


def dequantize_4bit_blocks(
    packed: np.ndarray, scales: np.ndarray, zero_points: np.ndarray | None, k: int
) -> np.ndarray:
    """Inverse of ``quantize_4bit_blocks``: the ``[K, N]`` float weight it encodes."""
    n, kb, _ = packed.shape
    q = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(n, kb, -1).astype(np.float32)
    if zero_points is None:
        zp = np.full((n, kb), 8.0, np.float32)
    else:
        zp = np.stack([zero_points & 0x0F, zero_points >> 4], axis=-1).reshape(n, -1)[:, :kb]
    w = (q - zp[..., None].astype(np.float32)) * scales[..., None]
    return w.reshape(n, -1)[:, :k].T


def quantize_8bit_blocks(
    w: np.ndarray, block_size: int = 64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Block-wise 8-bit quantization of a MatMul weight ``w [K, N]`` in ``MatMulNBits`` layout
    (``bits=8``): round-to-nearest on each block's min/max range widened to contain 0 (at 256
    levels a range search or GPTQ buys nothing measurable).

    Returns ``codes [N, k_blocks, block_size]`` uint8 (one per byte), ``scales [N, k_blocks]``
    float32 and ``zero_points [N, k_blocks]`` uint8 (one block per byte: nothing to pack)."""
    k, n = w.shape
    kb = -(-k // block_size)
    wt = np.zeros((n, kb * block_size), np.float32)
    wt[:, :k] = w.T
    blocks = wt.reshape(n, kb, block_size)
    lo = np.minimum(blocks.min(-1), 0)
    hi = np.maximum(blocks.max(-1), 0)
    scale = np.where(hi > lo, (hi - lo) / 255.0, 1.0).astype(np.float32)
    zp = np.clip(np.round(-lo / scale), 0, 255)
    codes = np.clip(np.round(blocks / scale[..., None]) + zp[..., None], 0, 255)
    return codes.astype(np.uint8), scale, zp.astype(np.uint8)


def dequantize_8bit_blocks(
    codes: np.ndarray, scales: np.ndarray, zero_points: np.ndarray, k: int
) -> np.ndarray:
    """Inverse of ``quantize_8bit_blocks``: the ``[K, N]`` float weight it encodes."""
    n, kb, _ = codes.shape
    zp = zero_points.reshape(n, kb).astype(np.float32)
    w = (codes.astype(np.float32) - zp[..., None]) * scales.reshape(n, kb)[..., None]
    return w.reshape(n, -1)[:, :k].T


Packed = tuple[np.ndarray, np.ndarray, np.ndarray | None]
# Roundings already made, by (transformers weight name, bits): mixed_precision.py rounds every
# weight to measure, and the export that follows would run GPTQ over all of them again.
RoundingMemo = dict[tuple[str, int], Packed]


def quantize_matmul_weight(
    w: np.ndarray,
    name: str,
    *,
    bits: int = 4,
    block_size: int = 64,
    symmetric: bool = False,
    search: bool = True,
    hessians: dict[str, np.ndarray] | None = None,
    memo: RoundingMemo | None = None,
) -> Packed:
    """The export's rounding of one MatMul weight ``w [K, N]`` (transformers name ``name``, e.g.
    ``model.layers.0.mlp.up_proj.weight``): packed codes, scales and zero points as
    ``MatMulNBits`` reads them. 8 bits: ``quantize_8bit_blocks``; 4 bits: GPTQ when ``hessians``
    has the weight (not for the tied output projection, nor symmetric), else round-to-nearest.
    ``mixed_precision`` measures with exactly this rounding, so it lives in one place. A
    ``memo`` returns a rounding made before for the same name and bits (share one only between
    calls on the same weights and options)."""
    if memo is not None:
        if (name, bits) not in memo:
            memo[(name, bits)] = quantize_matmul_weight(
                w,
                name,
                bits=bits,
                block_size=block_size,
                symmetric=symmetric,
                search=search,
                hessians=hessians,
            )
        return memo[(name, bits)]
    if bits == 8:
        if name in TIED_HEAD_NAMES:
            raise ValueError(f"{name} stays 4-bit (the embedding lookup shares its codes)")
        return quantize_8bit_blocks(w, block_size)
    if bits != 4:
        raise ValueError(f"MatMulNBits weights here are 4 or 8 bits, not {bits}")
    hessian = (hessians or {}).get(name)
    # GPTQ would tune the output projection for the projection alone; the embedding shares it.
    if hessian is not None and name not in TIED_HEAD_NAMES and not symmetric:
        from qwen_lsp.training.gptq import gptq_4bit_blocks

        return pack_4bit_blocks(*gptq_4bit_blocks(w, hessian, block_size, search=search))
    return quantize_4bit_blocks(w, block_size, symmetric, search)


def dequantize_blocks(
    packed: np.ndarray, scales: np.ndarray, zero_points: np.ndarray | None, k: int, bits: int
) -> np.ndarray:
    """The ``[K, N]`` float weight of a ``MatMulNBits`` of ``bits`` (4 or 8)."""
    if bits == 8:
        if zero_points is None:
            raise ValueError("8-bit weights here always have zero points")
        return dequantize_8bit_blocks(packed, scales, zero_points, k)
    if bits != 4:
        raise ValueError(f"MatMulNBits weights here are 4 or 8 bits, not {bits}")
    return dequantize_4bit_blocks(packed, scales.reshape(packed.shape[0], -1), zero_points, k)


def _check_eight_bit(eight_bit: Collection[str], weights: Collection[str]) -> None:
    """Refuse the tied head and names that are no quantizable MatMul weight of the graph."""
    head = sorted(TIED_HEAD_NAMES & set(eight_bit))
    if head:
        raise ValueError(
            f"{head[0]} cannot be 8-bit: the output projection's 4-bit codes are also the "
            "embedding table (GatherBlockQuantized), so the tied head stays 4-bit"
        )
    unknown = sorted(set(eight_bit) - set(weights))
    if unknown:
        raise ValueError(f"no MatMul weight of the graph is named {', '.join(unknown)}")


def quantize_int4_proto(
    proto: onnx.ModelProto,
    block_size: int = 64,
    symmetric: bool = False,
    accuracy_level: int | None = 4,
    share_embedding: bool = True,
    search: bool = True,
    hessians: dict[str, np.ndarray] | None = None,
    eight_bit: Collection[str] = (),
    memo: RoundingMemo | None = None,
) -> onnx.ModelProto:
    """``MatMulNBits`` int4 quantization of every constant-B MatMul, embedding shared.

    With ``hessians`` (``gptq.collect_hessians``, keyed by transformers weight name) the decoder
    layers' weights are rounded by GPTQ instead of to nearest; the output projection, which the
    embedding lookup shares, stays round-to-nearest (GPTQ would tune it for the projection
    alone). Weights named in ``eight_bit`` (transformers names, as ``hessians``) are stored at 8
    bits (``quantize_8bit_blocks``, always with zero points); the tied output projection is
    refused there.

    The packing is done here (``quantize_4bit_blocks``) rather than by ONNX Runtime's
    ``MatMulNBitsQuantizer``, whose module needs extra packages (``onnx_ir``) in some releases
    and whose API moves between them; the op it targets is the same.
    """
    emb_name = materialize_lm_head(proto)
    q = proto
    g = q.graph
    inits = {t.name: t for t in g.initializer}
    new_nodes: list[onnx.NodeProto] = []
    used: set[str] = set()

    def constant_b(node: onnx.NodeProto) -> onnx.TensorProto | None:
        b = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if b is None or len(b.dims) != 2 or b.data_type != TensorProto.FLOAT:
            return None
        return b

    _check_eight_bit(
        eight_bit,
        # The output projection's ``lm_head.weight.T`` is also the embedding.
        {b.name.removesuffix(".T") for n in g.node if (b := constant_b(n)) is not None}
        | TIED_HEAD_NAMES,
    )
    for node in g.node:
        b = constant_b(node)
        if b is None:
            new_nodes.append(node)
            continue
        w = numpy_helper.to_array(b)
        k, n = w.shape
        base = b.name
        bits = 8 if base.removesuffix(".T") in eight_bit else 4
        packed, scales, zps = quantize_matmul_weight(
            w,
            base.removesuffix(".T"),
            bits=bits,
            block_size=block_size,
            symmetric=symmetric,
            search=search,
            hessians=hessians,
            memo=memo,
        )
        codes = base + quantized_suffix(bits)
        g.initializer.extend(
            [
                numpy_helper.from_array(packed, codes),
                numpy_helper.from_array(scales, f"{base}_scales"),
            ]
        )
        ins = [node.input[0], codes, f"{base}_scales"]
        if zps is not None:
            g.initializer.append(numpy_helper.from_array(zps, f"{base}_zero_points"))
            ins.append(f"{base}_zero_points")
        attrs: dict[str, Any] = {"K": k, "N": n, "bits": bits, "block_size": block_size}
        if accuracy_level:
            attrs["accuracy_level"] = accuracy_level
        new_nodes.append(
            helper.make_node(
                "MatMulNBits",
                ins,
                list(node.output),
                name=(node.name or base) + quantized_suffix(bits),
                domain="com.microsoft",
                **attrs,
            )
        )
        used.add(base)
    g.ClearField("node")
    g.node.extend(new_nodes)
    for name in used:
        _drop_initializer(g, name)
    if not any(o.domain == "com.microsoft" for o in q.opset_import):
        q.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    if not share_embedding:
        return q
    g = q.graph
    head = next(
        (n for n in g.node if n.op_type == "MatMulNBits" and n.input[1].startswith(LM_HEAD_T)), None
    )
    if head is None:
        raise ValueError("the output projection was not quantized")
    b_name, s_name = head.input[1], head.input[2]
    zp_name = head.input[3] if len(head.input) > 3 and head.input[3] else None
    b = _init(g, b_name)
    vocab, k_blocks, _blob = (int(x) for x in b.dims)
    gather = _embedding_gather(g, emb_name)
    ids, out = gather.input[1], gather.output[0]
    p = "embed_q4"
    scales = numpy_helper.to_array(_init(g, s_name)).reshape(vocab, k_blocks)
    # GatherBlockQuantized wants scales of the data's rank: [vocab, k_blocks, 1]. A Reshape over
    # the shared scales keeps one copy; ONNX Runtime folds it at load time.
    shape3 = numpy_helper.from_array(np.array([vocab, k_blocks, 1], np.int64), f"{p}_scale_shape")
    out_shape = numpy_helper.from_array(np.array([0, 0, -1], np.int64), f"{p}_out_shape")
    g.initializer.extend([shape3, out_shape])
    inputs = [b_name, ids, f"{p}_scales3"]
    if zp_name is not None:
        # MatMulNBits packs two blocks' zero points per byte; here each block row has its own
        # byte (packing is along the last axis, which holds one block): a small separate copy.
        zp = numpy_helper.to_array(_init(g, zp_name)).reshape(vocab, -1)
        lo, hi = zp & 0x0F, zp >> 4
        unpacked = np.stack([lo, hi], axis=-1).reshape(vocab, -1)[:, :k_blocks]
        g.initializer.append(
            numpy_helper.from_array(
                unpacked.reshape(vocab, k_blocks, 1).astype(np.uint8), f"{p}_zero_points"
            )
        )
        inputs.append(f"{p}_zero_points")
    del scales
    nodes = [
        helper.make_node(
            "Reshape", [s_name, f"{p}_scale_shape"], [f"{p}_scales3"], name=f"{p}_scales"
        ),
        helper.make_node(
            "GatherBlockQuantized",
            inputs,
            [f"{p}_blocks"],
            name=f"{p}_gather",
            domain="com.microsoft",
            bits=4,
            block_size=block_size,
            gather_axis=0,
            quantize_axis=2,
        ),
        helper.make_node("Reshape", [f"{p}_blocks", f"{p}_out_shape"], [out], name=f"{p}_reshape"),
    ]
    _insert_before(g, gather, nodes)
    g.node.remove(gather)
    _drop_initializer(g, emb_name)
    return q


def quantize_model(
    src: str | Path,
    dst: str | Path,
    mode: str,
    hessians: dict[str, np.ndarray] | None = None,
    eight_bit: Collection[str] = (),
    memo: RoundingMemo | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Quantize ``src`` to ``dst`` (``mode`` = ``int8`` or ``int4``; ``hessians``: GPTQ
    rounding, int4 only; ``eight_bit``: transformers names of weights stored at 8 bits, int4
    only; ``memo``: see ``quantize_matmul_weight``); returns sizes and options."""
    proto = onnx.load(str(src))
    if mode == "int8":
        if hessians:
            raise ValueError("GPTQ rounding (hessians) is for int4 only")
        if eight_bit:
            raise ValueError("8-bit weight groups (eight_bit) are for int4 only")
        q = quantize_int8_proto(proto, **kwargs)
    elif mode == "int4":
        q = quantize_int4_proto(proto, hessians=hessians, eight_bit=eight_bit, memo=memo, **kwargs)
    else:
        raise ValueError(f"unknown quantization mode {mode!r}")
    q.producer_name = "qwen-lsp"
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(q, str(dst))
    return {
        "mode": mode,
        "path": str(dst),
        "bytes": dst.stat().st_size,
        "src_bytes": Path(src).stat().st_size,
        **kwargs,
        **({"rounding": "gptq"} if hessians else {}),
        **({"eight_bit": sorted(eight_bit)} if eight_bit else {}),
    }


def compare_logits(
    reference: str | Path, candidate: str | Path, sequences: list[list[int]], threads: int = 2
) -> dict[str, float]:
    """Logit agreement of two decoders on ``sequences`` (no padding, no past).

    Returns the max abs difference, the mean abs difference relative to the reference's mean
    abs logit, and the top-1 agreement rate over all positions.
    """
    from qwen_lsp.training.export import onnx_session

    ref_s, cand_s = onnx_session(reference, threads), onnx_session(candidate, threads)
    diffs, rel, agree, total = [], [], 0, 0
    for seq in sequences:
        ids = np.array([seq], np.int64)
        outs = []
        for s in (ref_s, cand_s):
            feed = _empty_feed(s, ids)
            outs.append(s.run(["logits"], feed)[0][0])
        a, b = outs
        diffs.append(float(np.abs(a - b).max()))
        rel.append(float(np.abs(a - b).mean() / (np.abs(a).mean() + 1e-9)))
        agree += int((a.argmax(-1) == b.argmax(-1)).sum())
        total += a.shape[0]
    return {
        "max_abs_diff": max(diffs),
        "mean_rel_diff": float(np.mean(rel)),
        "top1_agreement": agree / total,
    }


def _empty_feed(sess: Any, ids: np.ndarray) -> dict[str, np.ndarray]:
    b, s = ids.shape
    feed: dict[str, np.ndarray] = {
        "input_ids": ids,
        "attention_mask": np.ones((b, s), np.int64),
        "position_ids": np.arange(s, dtype=np.int64)[None].repeat(b, 0),
    }
    for i in sess.get_inputs():
        if i.name.startswith("past_key_values."):
            feed[i.name] = np.zeros((b, i.shape[1], 0, i.shape[3]), np.float32)
    return feed
