"""Mixed precision in the int4 export: 8-bit ``MatMulNBits`` weight groups computed exactly by
ONNX Runtime, read back for fine-tuning, fused one op per unit, chosen by measured KL per byte
within a byte budget; pure int4 (budget 0) unchanged to the byte."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("transformers")

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper

from qwen_lsp.training.export import export_onnx
from qwen_lsp.training.fuse import FuseError, _stage, fuse_module
from qwen_lsp.training.gptq import calibration_windows, collect_hessians
from qwen_lsp.training.mixed_precision import (
    EightBitChoice,
    choose_eight_bit,
    fusion_units,
)
from qwen_lsp.training.model import PRESETS, QwenDecoder
from qwen_lsp.training.module import build_module, state_dict_from_onnx
from qwen_lsp.training.quantize import (
    compare_logits,
    dequantize_8bit_blocks,
    dequantize_blocks,
    quantize_8bit_blocks,
    quantize_model,
)

L0 = "model.layers.0."
L1 = "model.layers.1."
QKV0 = tuple(f"{L0}self_attn.{x}_proj.weight" for x in "qkv")
DOWN1 = (f"{L1}mlp.down_proj.weight",)
MIXED = QKV0 + DOWN1  # a three-part unit and a single one, in different layers


@pytest.fixture(scope="module")
def model(tokenizer: Any) -> QwenDecoder:
    """A small Qwen3 decoder over the fixture tokenizer (hidden 128: two int4 blocks of 64)."""
    shape = dataclasses.replace(
        PRESETS["tiny"],
        architecture="qwen3",
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=128,
        intermediate_size=256,
        initializer_range=0.1,
    )
    m = QwenDecoder(shape)
    m.init_weights(seed=3)
    return m.eval()


@pytest.fixture(scope="module")
def windows(token_dir: Path) -> list[list[int]]:
    """Training-text windows, as finalize measures on."""
    return calibration_windows(token_dir, n=4, length=64)


@pytest.fixture(scope="module")
def fp32(model: QwenDecoder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_onnx(model, tmp_path_factory.mktemp("mp") / "fp32.onnx")


@pytest.fixture(scope="module")
def everything(model: QwenDecoder, windows: list[list[int]]) -> EightBitChoice:
    """A choice with a budget that every unit fits: every unit measured."""
    return choose_eight_bit(model, windows, 10**9)


def _inits(path: Path) -> dict[str, onnx.TensorProto]:
    return {t.name: t for t in onnx.load(str(path)).graph.initializer}


def _nbits(path: Path) -> dict[str, dict[str, Any]]:
    """``MatMulNBits`` attributes by packed-weight name."""
    return {
        n.input[1]: {a.name: a.i for a in n.attribute}
        for n in onnx.load(str(path)).graph.node
        if n.op_type == "MatMulNBits"
    }


# -- the 8-bit format ----------------------------------------------------------------------------
def test_8bit_block_round_trip_is_within_half_a_step() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(200, 48)).astype(np.float32)  # K = 200: the last block is padded
    w[:, 0] = np.abs(w[:, 0])  # a column of positive weights: zero must still be in range
    codes, scales, zps = quantize_8bit_blocks(w, 64)
    assert codes.shape == (48, 4, 64) and codes.dtype == np.uint8
    assert scales.shape == (48, 4) and scales.dtype == np.float32
    assert zps.shape == (48, 4) and zps.dtype == np.uint8
    back = dequantize_8bit_blocks(codes, scales, zps, 200)
    assert back.shape == w.shape
    step = np.repeat(scales.T, 64, axis=0)[:200]  # [K, N]: each weight's block step
    assert np.all(np.abs(back - w) <= 0.5 * step * (1 + 1e-5))
    assert np.allclose(dequantize_blocks(codes, scales, zps, 200, 8), back)
    # 256 levels over each block's range widened to contain 0 (the padding zeros too).
    padded = np.zeros((256, 48), np.float32)
    padded[:200] = w
    blocks = padded.reshape(4, 64, 48)
    spread = np.maximum(blocks.max(1), 0) - np.minimum(blocks.min(1), 0)  # [k_blocks, N]
    assert np.allclose(scales.T * 255, spread, rtol=1e-6)


def test_the_tied_head_and_unknown_names_are_refused(fp32: Path, tmp_path: Path) -> None:
    for head in ("lm_head.weight", "model.embed_tokens.weight"):
        with pytest.raises(ValueError, match="embedding"):
            quantize_model(fp32, tmp_path / "x.onnx", "int4", eight_bit=[head])
    with pytest.raises(ValueError, match="no MatMul weight"):
        quantize_model(fp32, tmp_path / "x.onnx", "int4", eight_bit=[f"{L0}mlp.gate.weight"])
    with pytest.raises(ValueError, match="int4 only"):
        quantize_model(fp32, tmp_path / "x.onnx", "int8", eight_bit=DOWN1)
    assert not (tmp_path / "x.onnx").exists()


def test_a_mixed_graph_computes_numpy_matmuls_of_its_dequantized_weights(
    model: QwenDecoder, fp32: Path, tmp_path: Path
) -> None:
    """Each MatMulNBits, run alone by ONNX Runtime, is ``x @ W`` of its de-quantized weight (4
    and 8 bits); the whole graph is the model of the weights read back from it."""
    mixed = tmp_path / "mixed.onnx"
    info = quantize_model(fp32, mixed, "int4", accuracy_level=None, eight_bit=MIXED)
    assert info["eight_bit"] == sorted(MIXED)
    inits, nodes = _inits(mixed), _nbits(mixed)
    eight = {name.removesuffix(".T_Q8") for name in nodes if name.endswith("_Q8")}
    assert eight == set(MIXED)
    rng = np.random.default_rng(1)
    for packed_name, attrs in nodes.items():
        base = packed_name[: -len("_Q4")]
        arrays = [numpy_helper.to_array(inits[n]) for n in (packed_name, f"{base}_scales")]
        zps = numpy_helper.to_array(inits[f"{base}_zero_points"])
        k, n, bits = attrs["K"], attrs["N"], attrs["bits"]
        kb = -(-k // 64)
        assert bits == (8 if packed_name.endswith("_Q8") else 4)
        if bits == 8:  # the layout ONNX Runtime reads for bits=8: nothing packed in nibbles
            assert arrays[0].shape == (n, kb, 64) and zps.shape == (n, kb)
            assert {arrays[0].dtype, zps.dtype} == {np.dtype(np.uint8)}
        graph = helper.make_graph(
            [
                helper.make_node(
                    "MatMulNBits",
                    ["x", packed_name, f"{base}_scales", f"{base}_zero_points"],
                    ["y"],
                    domain="com.microsoft",
                    **attrs,
                )
            ],
            "one",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 5, k])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 5, n])],
            [inits[packed_name], inits[f"{base}_scales"], inits[f"{base}_zero_points"]],
        )
        one = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)],
        )
        sess = ort.InferenceSession(one.SerializeToString(), providers=["CPUExecutionProvider"])
        x = rng.standard_normal((3, 5, k)).astype(np.float32)
        (y,) = sess.run(None, {"x": x})
        expected = x @ dequantize_blocks(arrays[0], arrays[1], zps, k, bits)
        assert np.abs(y - expected).max() < 1e-4 * (np.abs(expected).max() + 1), packed_name

    deq = QwenDecoder(model.shape)
    deq.load_hf_state_dict({k: torch.from_numpy(v) for k, v in state_dict_from_onnx(mixed).items()})
    r = compare_logits(export_onnx(deq, tmp_path / "deq.onnx"), mixed, [list(range(7, 60))])
    assert r["max_abs_diff"] < 1e-3 and r["top1_agreement"] == 1.0


def test_weights_read_back_from_a_mixed_graph(
    model: QwenDecoder, fp32: Path, tmp_path: Path
) -> None:
    quantize_model(fp32, tmp_path / "int4.onnx", "int4")
    quantize_model(fp32, tmp_path / "mixed.onnx", "int4", eight_bit=MIXED)
    pure = state_dict_from_onnx(tmp_path / "int4.onnx")
    mixed = state_dict_from_onnx(tmp_path / "mixed.onnx")
    original = {k: v.numpy() for k, v in model.hf_state_dict().items()}
    assert sorted(mixed) == sorted(pure)
    for name, value in mixed.items():
        if name in MIXED:
            w_kn = original[name].T
            exact = dequantize_8bit_blocks(*quantize_8bit_blocks(w_kn), w_kn.shape[0]).T
            assert np.array_equal(value, exact), name
            # 16 times finer than int4: far closer to the trained weight
            err8 = np.abs(value - original[name]).max()
            assert err8 < 0.1 * np.abs(pure[name] - original[name]).max(), name
        else:
            assert np.array_equal(value, pure[name]), name


# -- fusing ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed_modules(
    model: QwenDecoder, fp32: Path, tokenizer: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """A module whose layer-0 q/k/v and layer-1 down projection are 8-bit, plain and fused."""
    tmp = tmp_path_factory.mktemp("mixed_fuse")
    tok = tmp / "tokenizer.json"
    tokenizer.save(str(tok))
    build_module(model, tok, tmp / "int4", name="t", languages=["python"], fuse=False)
    quantize_model(fp32, tmp / "mixed.onnx", "int4", eight_bit=MIXED)
    plain = _stage(tmp / "int4", tmp / "mixed.onnx", tmp / "plain")
    shutil.copytree(plain, tmp / "fused")
    report = fuse_module(tmp / "fused")  # raises FuseError when the greedy tokens differ
    assert report["exact_tokens_identical"]
    return {"plain": plain, "fused": tmp / "fused", "int4": tmp / "int4"}


def test_a_fused_mixed_module_keeps_one_op_per_unit(
    mixed_modules: dict[str, Path], model: QwenDecoder
) -> None:
    nodes = _nbits(mixed_modules["fused"] / "model.onnx")
    layers = model.shape.num_hidden_layers
    assert len(nodes) == 4 * layers + 1  # q/k/v, o, gate/up, down per layer; the head
    eight = {name for name, a in nodes.items() if a["bits"] == 8}
    assert eight == {f"{L0}self_attn.qkv_proj.weight.T_Q8", f"{L1}mlp.down_proj.weight.T_Q8"}
    assert all(name.endswith("_Q4") for name in set(nodes) - eight)
    inits = _inits(mixed_modules["fused"] / "model.onnx")
    qkv = f"{L0}self_attn.qkv_proj.weight.T"
    n = nodes[f"{qkv}_Q8"]["N"]
    kv = model.shape.num_key_value_heads * model.shape.dim_head
    assert n == model.shape.num_attention_heads * model.shape.dim_head + 2 * kv
    assert list(inits[f"{qkv}_zero_points"].dims) == [n, 2]  # one byte per block per row


def test_weights_read_back_from_a_fused_mixed_module_equal_the_plain_ones(
    mixed_modules: dict[str, Path],
) -> None:
    plain = state_dict_from_onnx(mixed_modules["plain"] / "model.onnx")
    fused = state_dict_from_onnx(mixed_modules["fused"] / "model.onnx")
    pure = state_dict_from_onnx(mixed_modules["int4"] / "model.onnx")
    assert sorted(plain) == sorted(fused)
    for name, value in plain.items():
        assert np.array_equal(value, fused[name]), name
        assert np.array_equal(value, pure[name]) == (name not in MIXED), name


def test_a_unit_split_across_bit_widths_is_not_fused(
    mixed_modules: dict[str, Path], fp32: Path, tmp_path: Path
) -> None:
    quantize_model(fp32, tmp_path / "split.onnx", "int4", eight_bit=QKV0[:1])
    staged = _stage(mixed_modules["int4"], tmp_path / "split.onnx", tmp_path / "split")
    with pytest.raises(FuseError, match="quantized differently"):
        fuse_module(staged)


# -- choosing ----------------------------------------------------------------------------------
def _kl(model: QwenDecoder, sd: dict[str, np.ndarray], windows: list[list[int]]) -> float:
    """KL(model || the model with weights ``sd``) per token, by plain forwards."""
    other = QwenDecoder(model.shape)
    other.load_hf_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    ids = torch.tensor(windows)
    with torch.no_grad():
        ref = torch.log_softmax(model(ids), -1)
        logp = torch.log_softmax(other.eval()(ids), -1)
    return float((ref.exp() * (ref - logp)).sum(dtype=torch.float64)) / ids.numel()


@pytest.mark.parametrize("rounding", ["rtn", "gptq"])
def test_the_measured_kls_are_those_of_the_exported_graphs(
    model: QwenDecoder, fp32: Path, windows: list[list[int]], tmp_path: Path, rounding: str
) -> None:
    """The base is the int4 graph the export writes (GPTQ when given Hessians), each unit's KL
    that of the graph with that unit at 8 bits; measured from a unit's layer on, as by a whole
    forward of the weights read back from those graphs."""
    hessians = collect_hessians(model, windows) if rounding == "gptq" else None
    choice = choose_eight_bit(model, windows, 10**9, hessians=hessians)
    quantize_model(fp32, tmp_path / "base.onnx", "int4", hessians)
    base_kl = _kl(model, state_dict_from_onnx(tmp_path / "base.onnx"), windows)
    assert choice.base_kl == pytest.approx(base_kl, rel=1e-4)
    figures = {u.unit: u for u in choice.units}
    for unit in ("0.qkv", "1.down"):  # from the first layer, and from a later one
        path = tmp_path / f"{unit}.onnx"
        quantize_model(fp32, path, "int4", hessians, eight_bit=figures[unit].weights)
        kl = _kl(model, state_dict_from_onnx(path), windows)
        assert figures[unit].kl == pytest.approx(kl, rel=1e-4), unit
        assert figures[unit].gain == pytest.approx(base_kl - kl, rel=1e-3, abs=1e-7), unit


def test_units_and_their_costs_are_the_initializers_real_bytes(
    model: QwenDecoder, fp32: Path, everything: EightBitChoice, tmp_path: Path
) -> None:
    units = fusion_units(model)
    assert [u.name for u in units] == [
        f"{i}.{k}"
        for i in range(model.shape.num_hidden_layers)
        for k in ("qkv", "o", "gate_up", "down")
    ]
    assert {w for u in units for w in u.weights} == {
        k for k in model.hf_state_dict() if k.endswith("proj.weight")
    }
    quantize_model(fp32, tmp_path / "int4.onnx", "int4")
    all8 = [w for u in units for w in u.weights]
    quantize_model(fp32, tmp_path / "all8.onnx", "int4", eight_bit=all8)
    four, eight = _inits(tmp_path / "int4.onnx"), _inits(tmp_path / "all8.onnx")

    def stored(inits: dict[str, onnx.TensorProto], weight: str, bits: int) -> int:
        base = weight + ".T"
        names = (f"{base}_Q{bits}", f"{base}_scales", f"{base}_zero_points")
        return sum(len(inits[n].raw_data) for n in names)

    for figure in everything.units:
        extra = sum(stored(eight, w, 8) - stored(four, w, 4) for w in figure.weights)
        assert figure.bytes == extra > 0, figure.unit
    size = (tmp_path / "all8.onnx").stat().st_size - (tmp_path / "int4.onnx").stat().st_size
    assert abs(size - sum(u.bytes for u in everything.units)) < 200  # protobuf framing only


def test_a_budget_of_zero_chooses_nothing(model: QwenDecoder, windows: list[list[int]]) -> None:
    choice = choose_eight_bit(model, windows, 0)
    assert choice.chosen == () and choice.weights == () and choice.bytes == 0
    assert choice.mixed_kl == choice.base_kl > 0
    assert all(u.gain is None for u in choice.units)  # none fits: none measured


def test_the_greedy_fits_the_budget_by_gain_per_byte_and_lowers_the_kl(
    model: QwenDecoder, windows: list[list[int]], everything: EightBitChoice
) -> None:
    positive = [u for u in everything.units if (u.gain or 0) > 0]
    assert len(positive) >= 3 and everything.mixed_kl < everything.base_kl
    total = sum(u.bytes for u in positive)
    assert everything.bytes == total and set(everything.chosen) == {u.unit for u in positive}

    tight = total - min(u.bytes for u in positive) // 2  # not every useful unit fits now
    choice = choose_eight_bit(model, windows, tight)
    figures = {u.unit: u for u in choice.units}
    chosen = [figures[u] for u in choice.chosen]
    assert choice.bytes == sum(u.bytes for u in chosen) <= tight
    assert 0 < len(chosen) < len(positive)
    ratios = [u.gain / u.bytes for u in chosen]  # type: ignore[operator]
    assert ratios == sorted(ratios, reverse=True)
    left = tight - choice.bytes
    assert not [u for u in positive if u.unit not in choice.chosen and u.bytes <= left]
    assert set(choice.weights) == {w for u in chosen for w in u.weights}
    assert choice.mixed_kl < choice.base_kl


def test_build_module_ships_the_choice(
    model: QwenDecoder,
    windows: list[list[int]],
    everything: EightBitChoice,
    tokenizer: Any,
    tmp_path: Path,
) -> None:
    tok = tmp_path / "tokenizer.json"
    tokenizer.save(str(tok))
    budget = sorted(u.bytes for u in everything.units)[2] + 1
    report = build_module(
        model,
        tok,
        tmp_path / "mod",
        name="t",
        languages=["python"],
        fuse=False,
        eight_bit_bytes=budget,
        eight_bit_windows=windows,
    )
    choice = report["mixed_precision"]
    assert choice["chosen"] and choice["bytes"] <= budget and choice["mixed_kl"] < choice["base_kl"]
    assert json.loads(json.dumps(choice)) == choice
    eight = {
        n.removesuffix(".T_Q8")
        for n, a in _nbits(tmp_path / "mod" / "model.onnx").items()
        if a["bits"] == 8
    }
    assert eight == set(choice["weights"]) and report["quantize"]["eight_bit"] == sorted(eight)
    with pytest.raises(ValueError, match="int4"):
        build_module(
            model,
            tok,
            tmp_path / "m8",
            name="t",
            languages=["python"],
            quantization="int8",
            eight_bit_bytes=budget,
            eight_bit_windows=windows,
        )


# -- finalize ----------------------------------------------------------------------------------
def _finalize_args(work: Path, *extra: str) -> Any:
    from qwen_lsp.training.gpu_job import build_parser

    return build_parser().parse_args(["finalize", "--work", str(work), "--lang", "python", *extra])


def test_finalize_refuses_eight_bit_groups_for_qat_and_int8(tmp_path: Path) -> None:
    from qwen_lsp.training.gpu_job import cmd_finalize

    run = tmp_path / "python" / "run"
    run.mkdir(parents=True)
    cases = [
        (["--rounding", "qat"], "QAT"),
        (["--quant", "int8"], "--quant int8"),
        ([], "QAT"),  # after a QAT run, qat is the default rounding
    ]
    for extra, message in cases:
        if not extra:
            (run / "launch_config.json").write_text(json.dumps({"qat_block_size": 64}))
        with pytest.raises(SystemExit, match=message):
            cmd_finalize(_finalize_args(tmp_path, "--stop", "--eight-bit-bytes", "1000", *extra))
        assert not (run / "STOP").exists()  # refused before the run was asked to stop
    assert _finalize_args(tmp_path).eight_bit_bytes == 0


def test_finalize_ships_and_records_the_choice(
    model: QwenDecoder, token_dir: Path, tmp_path: Path
) -> None:
    """``finalize --eight-bit-bytes N`` on a finished run: the shipped graph holds the chosen
    groups at 8 bits, ``finalize.json`` and the model card say which and what they bought."""
    from qwen_lsp.training.gpu_job import cmd_finalize
    from qwen_lsp.training.model import save_hf

    d = tmp_path / "python"
    shutil.copytree(token_dir, d / "data")
    save_hf(model, d / "run" / "final")
    (d / "run" / "DONE").write_text("deadline")
    out = tmp_path / "out"
    result = cmd_finalize(
        _finalize_args(
            tmp_path, "--smoke", "--no-eval", "--out", str(out), "--eight-bit-bytes", "20000"
        )
    )
    fin = json.loads((d / "finalize.json").read_text())
    choice = fin["report"]["mixed_precision"]
    assert fin["args"]["eight_bit_bytes"] == 20000 and fin["args"]["rounding"] == "gptq"
    assert choice["chosen"] and choice["bytes"] <= 20000 and choice["windows"] == 8
    shipped = out / "python-model.onnx"
    assert result["model_bytes"] == shipped.stat().st_size
    eight = {n.removesuffix(".T_Q8") for n, a in _nbits(shipped).items() if a["bits"] == 8}
    assert eight == set(choice["weights"])
    card = (d / "module" / "MODEL_CARD.md").read_text()
    assert f"{choice['bytes']:,} extra bytes" in card


def test_the_model_card_states_the_choice(everything: EightBitChoice, tmp_path: Path) -> None:
    from qwen_lsp.training.gpu_job import _model_card

    report = {"model_bytes": 1000, "quantization": "int4", "mixed_precision": everything.to_json()}
    card = _model_card("python", tmp_path, report, {})
    assert f"{len(everything.chosen)} of {len(everything.units)} weight groups" in card
    assert f"{everything.bytes:,} extra bytes" in card and f"{everything.base_kl:.4g}" in card
    assert all(f"| {u} |" in card for u in everything.chosen)
    del report["mixed_precision"]
    assert "8 bits" not in _model_card("python", tmp_path, report, {})


# Digest of the int4 graph of ``small_decoder(5)`` as written before mixed precision existed:
# its quantized initializers and MatMulNBits/GatherBlockQuantized nodes. A change here means the
# pure int4 export (``--eight-bit-bytes 0``, the default) no longer writes the same bytes.
PURE_INT4_DIGEST = "123d0bf33a9cc3892bc411b0c07cc0459e4f07bdf4c6f55357ddd90c8e467f0c"


def _digest(path: Path) -> str:
    g = onnx.load(str(path)).graph
    h = hashlib.sha256()
    for t in sorted(g.initializer, key=lambda t: t.name):
        h.update(t.name.encode())
        h.update(str((t.data_type, list(t.dims))).encode())
        h.update(np.ascontiguousarray(numpy_helper.to_array(t)).tobytes())
    for n in g.node:
        if n.op_type in ("MatMulNBits", "GatherBlockQuantized"):
            h.update(n.SerializeToString(deterministic=True))
    return h.hexdigest()


def test_budget_zero_writes_the_pure_int4_bytes_of_before(
    small_decoder: Any, tmp_path: Path
) -> None:
    fp32 = export_onnx(small_decoder(5), tmp_path / "fp32.onnx")
    default = quantize_model(fp32, tmp_path / "default.onnx", "int4")
    zero = quantize_model(fp32, tmp_path / "zero.onnx", "int4", eight_bit=())
    assert "eight_bit" not in default and default["bytes"] == zero["bytes"]
    assert (tmp_path / "default.onnx").read_bytes() == (tmp_path / "zero.onnx").read_bytes()
    assert _digest(tmp_path / "default.onnx") == PURE_INT4_DIGEST
