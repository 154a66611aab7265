"""Export parity: the committed fixture ONNX models reproduce transformers' greedy tokens, and a
fresh export of the training module matches PyTorch (and transformers) logits."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
tokenizers = pytest.importorskip("tokenizers")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODELS = ["tiny_qwen2", "tiny_qwen3"]


class OnnxDecoder:
    """A plain onnxruntime greedy loop over the Hugging Face decoder layout (no engine code)."""

    def __init__(self, path: Path) -> None:
        self.sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.past_names = [
            i.name for i in self.sess.get_inputs() if i.name.startswith("past_key_values.")
        ]
        first = next(i for i in self.sess.get_inputs() if i.name == "past_key_values.0.key")
        self.kv_heads, self.head_dim = first.shape[1], first.shape[3]

    def run(
        self, ids: np.ndarray, mask: np.ndarray, pos: np.ndarray, past: list[np.ndarray] | None
    ):
        b = ids.shape[0]
        if past is None:
            past = [np.zeros((b, self.kv_heads, 0, self.head_dim), np.float32)] * len(
                self.past_names
            )
        feed = {
            "input_ids": ids,
            "attention_mask": mask,
            "position_ids": pos,
            **dict(zip(self.past_names, past, strict=True)),
        }
        out = self.sess.run(None, feed)
        return out[0], out[1:]

    def greedy(
        self, ids: np.ndarray, mask: np.ndarray, pos: np.ndarray, steps: int, cache: bool
    ) -> np.ndarray:
        """Greedy decode ``steps`` tokens for a (left-padded) batch."""
        ids, mask, pos = ids.astype(np.int64), mask.astype(np.int64), pos.astype(np.int64)
        new = []
        logits, past = self.run(ids, mask, pos, None)
        for _ in range(steps):
            nxt = logits[:, -1].argmax(-1).astype(np.int64)[:, None]
            new.append(nxt)
            mask = np.concatenate([mask, np.ones_like(nxt)], axis=1)
            npos = pos[:, -1:] + 1
            if cache:
                pos = npos
                logits, past = self.run(nxt, mask, pos, past)
            else:
                ids = np.concatenate([ids, nxt], axis=1)
                pos = np.concatenate([pos, npos], axis=1)
                logits, _ = self.run(ids, mask, pos, None)
        return np.concatenate(new, axis=1)


def _load(name: str) -> tuple[Path, dict, dict]:
    d = FIXTURES / name
    return (
        d,
        json.loads((d / "model.json").read_text()),
        json.loads((d / "expected.json").read_text()),
    )


@pytest.mark.parametrize("name", MODELS)
def test_manifest_hashes_and_special_tokens(name: str) -> None:
    d, manifest, _ = _load(name)
    for fname, meta in manifest["files"].items():
        data = (d / fname).read_bytes()
        assert len(data) == meta["size"]
        assert hashlib.sha256(data).hexdigest() == meta["sha256"]
    tok = tokenizers.Tokenizer.from_file(str(d / manifest["tokenizer"]))
    for i, s in enumerate(
        [
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_middle|>",
            "<|fim_suffix|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
        ]
    ):
        assert tok.token_to_id(s) == i
    assert set(manifest["fim"]["orders"]) >= {"psm", "spm"}


@pytest.mark.parametrize("name", MODELS)
def test_graph_layout(name: str) -> None:
    d, manifest, _ = _load(name)
    sess = ort.InferenceSession(str(d / manifest["model"]), providers=["CPUExecutionProvider"])
    ins = {i.name: i for i in sess.get_inputs()}
    outs = [o.name for o in sess.get_outputs()]
    assert list(ins)[:3] == ["input_ids", "attention_mask", "position_ids"]
    assert all(
        ins[n].type == "tensor(int64)" for n in ("input_ids", "attention_mask", "position_ids")
    )
    n_layers = sum(1 for n in ins if n.endswith(".key"))
    assert outs == ["logits"] + [
        f"present.{i}.{k}" for i in range(n_layers) for k in ("key", "value")
    ]
    assert ins["past_key_values.0.key"].type == "tensor(float)"
    assert isinstance(ins["past_key_values.0.key"].shape[2], str)  # dynamic past axis


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("name", MODELS)
def test_onnx_reproduces_transformers_tokens_unbatched(name: str, cache: bool) -> None:
    d, manifest, exp = _load(name)
    tok = tokenizers.Tokenizer.from_file(str(d / "tokenizer.json"))
    dec = OnnxDecoder(d / manifest["model"])
    steps = exp["generation"]["max_new_tokens"]
    for case in exp["single"]:
        assert tok.encode(case["prompt"], add_special_tokens=False).ids == case["prompt_ids"]
        ids = np.array([case["prompt_ids"]])
        pos = np.arange(ids.shape[1])[None]
        got = dec.greedy(ids, np.ones_like(ids), pos, steps, cache)
        assert got[0].tolist() == case["new_ids"], case["name"]


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("name", MODELS)
def test_onnx_reproduces_transformers_tokens_batched(name: str, cache: bool) -> None:
    d, manifest, exp = _load(name)
    dec = OnnxDecoder(d / manifest["model"])
    b = exp["batch"]
    got = dec.greedy(
        np.array(b["input_ids"]),
        np.array(b["attention_mask"]),
        np.array(b["position_ids"]),
        exp["generation"]["max_new_tokens"],
        cache,
    )
    assert got.tolist() == b["new_ids"]
    # Batched == one by one.
    singles = {c["name"]: c["new_ids"] for c in exp["single"]}
    assert got.tolist() == [singles[n] for n in b["names"]]


@pytest.mark.parametrize("name", MODELS)
def test_onnx_logits_match_transformers(name: str) -> None:
    d, manifest, exp = _load(name)
    dec = OnnxDecoder(d / manifest["model"])
    case = next(c for c in exp["single"] if c["name"] == exp["last_logits"]["name"])
    ids = np.array([case["prompt_ids"]])
    logits, _ = dec.run(ids, np.ones_like(ids), np.arange(ids.shape[1])[None], None)
    np.testing.assert_allclose(logits[0, -1], np.array(exp["last_logits"]["logits"]), atol=1e-4)


# -- fresh exports of the training module (needs the ``train`` extra) --------------------------
@pytest.mark.parametrize("arch", ["qwen2", "qwen3"])
def test_fresh_export_matches_pytorch_and_transformers(arch: str, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("onnx")
    from qwen_lsp.training.export import export_onnx, logits_parity
    from qwen_lsp.training.model import PRESETS, QwenDecoder

    shape = dataclasses.replace(PRESETS["tiny"], architecture=arch, vocab_size=512)
    model = QwenDecoder(shape)
    model.init_weights(seed=3)
    path = export_onnx(model, tmp_path / "model.onnx")
    parity = logits_parity(model, path)
    assert parity["max_abs_diff_prefill"] < 1e-4
    assert parity["max_abs_diff_cached"] < 1e-4
    # The tied embedding is stored once.
    import onnx

    inits = onnx.load(str(path)).graph.initializer
    big = [t for t in inits if 512 in t.dims]
    assert len(big) == 1

    # The module is the transformers model: same logits from the same weights.
    cls = transformers.Qwen2ForCausalLM if arch == "qwen2" else transformers.Qwen3ForCausalLM
    hf = cls(shape.to_hf_config()).eval()
    hf.load_state_dict(model.hf_state_dict(), strict=False)
    hf.tie_weights()
    ids = torch.randint(7, 512, (2, 10))
    mask = torch.ones_like(ids)
    mask[0, :4] = 0
    pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)
    with torch.no_grad():
        a = hf(ids, attention_mask=mask, position_ids=pos).logits
        b, _ = model.forward_with_past(ids, mask, pos, model.empty_past(2))
        c = model(ids[1:])
    assert (a - b)[mask.bool()].abs().max().item() < 1e-4
    assert (a[1:] - c).abs().max().item() < 1e-4
