"""The fused decoder (ORT's fused ops, one shared KV buffer per sequence) decodes exactly what
the plain export decodes: long chunked prompts, KV prefix reuse, batches of different lengths,
buffers that must grow; and fine-tuning can still read its weights back."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np

from qwen_lsp.engine.generate import GenerationRequest, SequenceState, decode, generate, prefill
from qwen_lsp.engine.prefix_cache import PrefixCache
from qwen_lsp.engine.registry import LoadedModel, ModelRegistry
from qwen_lsp.training.fuse import FuseError, exact_copy, fuse_module
from qwen_lsp.training.model import PRESETS, QwenDecoder
from qwen_lsp.training.module import build_module, state_dict_from_onnx


def _exact(module: Path, dst: Path) -> Path:
    """The module with its graph at accuracy level 0 (float activations: comparable exactly)."""
    from qwen_lsp.training.fuse import _stage

    manifest = json.loads((module / "model.json").read_text())
    return _stage(module, exact_copy(module / manifest["model"], dst.with_suffix(".onnx")), dst)


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory, tokenizer) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("fuse")
    shape = dataclasses.replace(
        PRESETS["tiny"],
        architecture="qwen3",
        vocab_size=tokenizer.get_vocab_size(),
        initializer_range=0.1,
    )
    model = QwenDecoder(shape)
    model.init_weights(seed=11)
    tok = tmp / "tokenizer.json"
    tokenizer.save(str(tok))
    report = build_module(
        model, tok, tmp / "plain", name="t", languages=["python"], quantization="int4", fuse=False
    )
    assert "fuse" not in report
    shutil.copytree(tmp / "plain", tmp / "fused")
    fused_report = fuse_module(tmp / "fused")  # raises when the tokens differ
    assert fused_report["exact_tokens_identical"]
    return {
        "plain": _exact(tmp / "plain", tmp / "plain_exact"),
        "fused": _exact(tmp / "fused", tmp / "fused_exact"),
        "plain_shipped": tmp / "plain",
        "fused_shipped": tmp / "fused",
    }


def _load(path: Path) -> LoadedModel:
    return ModelRegistry().get(path)


def _prompt(loaded: LoadedModel, n: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return rng.integers(10, loaded.tokenizer.vocab_size - 10, n).tolist()


def test_the_graph_says_it_shares_its_buffers(modules: dict[str, Path]) -> None:
    assert _load(modules["fused"]).session.shared_kv
    assert not _load(modules["plain"]).session.shared_kv
    assert _load(modules["fused"]).session.num_layers == _load(modules["plain"]).session.num_layers


def test_long_chunked_prompt_and_decode_match(modules: dict[str, Path]) -> None:
    plain, fused = _load(modules["plain"]), _load(modules["fused"])
    prompt = _prompt(plain, 900, 1)  # three prefill chunks, the later ones after a past
    want, _ = generate(
        plain.session, plain.tokenizer, GenerationRequest(prompt, 40, ignore_eos=True)
    )
    got, kv = generate(
        fused.session, fused.tokenizer, GenerationRequest(prompt, 40, ignore_eos=True)
    )
    assert got.tokens == want.tokens and len(got.tokens) == 40
    assert kv.shared and kv.length == len(prompt) and kv.capacity >= len(prompt) + 41


def test_prefix_reuse_in_the_same_buffer_matches(modules: dict[str, Path]) -> None:
    fused = _load(modules["fused"])
    prompt = _prompt(fused, 300, 2)
    fresh, kv = generate(
        fused.session, fused.tokenizer, GenerationRequest(prompt, 24, ignore_eos=True)
    )
    for keep in (250, 120, 10):
        # The buffer already holds this prompt and the tokens decoded after it: the reuse
        # overwrites those in place.
        again, kv2 = generate(
            fused.session,
            fused.tokenizer,
            GenerationRequest(prompt, 24, ignore_eos=True),
            kv.truncated(keep),
        )
        assert again.tokens == fresh.tokens and again.reused_tokens == keep
        assert kv2.layers[0][0] is kv.layers[0][0]  # no copy


def test_a_buffer_too_small_grows_and_decodes_the_same(modules: dict[str, Path]) -> None:
    plain, fused = _load(modules["plain"]), _load(modules["fused"])
    prompt = _prompt(plain, 60, 3)
    want, _ = generate(
        plain.session, plain.tokenizer, GenerationRequest(prompt, 150, ignore_eos=True)
    )
    logits, kv = prefill(fused.session, prompt, reserve=0)  # no room for what follows
    assert kv.capacity < len(prompt) + 150
    state = SequenceState(GenerationRequest(prompt, 150, ignore_eos=True), fused.tokenizer)
    decode(fused.session, [state], [kv], [logits])
    assert state.tokens == want.tokens


def test_batch_of_different_lengths_equals_one_by_one(modules: dict[str, Path]) -> None:
    plain, fused = _load(modules["plain"]), _load(modules["fused"])
    prompts = [_prompt(fused, n, 10 + n) for n in (17, 230, 95, 400)]
    alone = [
        generate(plain.session, plain.tokenizer, GenerationRequest(p, 20, ignore_eos=True))[
            0
        ].tokens
        for p in prompts
    ]
    states, caches, firsts = [], [], []
    for p in prompts:
        first, kv = prefill(fused.session, p, reserve=21)
        states.append(SequenceState(GenerationRequest(p, 20, ignore_eos=True), fused.tokenizer))
        caches.append(kv)
        firsts.append(first)
    before = [c.arrays()[0][0][0, :, : c.length].copy() for c in caches]
    decode(fused.session, states, caches, firsts)
    assert [s.tokens for s in states] == alone
    # The batch ran in its own buffers: each document's prompt KV is as it was.
    for cache, kept in zip(caches, before, strict=True):
        assert np.array_equal(cache.arrays()[0][0][0, :, : cache.length], kept)


def test_the_prefix_cache_stops_vouching_for_positions_a_reuse_may_overwrite(
    modules: dict[str, Path],
) -> None:
    fused = _load(modules["fused"])
    prompt = _prompt(fused, 100, 4)
    _, kv = prefill(fused.session, prompt, reserve=8)
    cache = PrefixCache()
    cache.store("doc", prompt, kv)
    edited = prompt[:60] + _prompt(fused, 40, 5)
    reused = cache.lookup("doc", edited)
    assert reused is not None and reused.length == 60
    # Whatever the caller now writes at 60 and after, a later lookup trusts only 60 positions.
    again = cache.lookup("doc", prompt)
    assert again is not None and again.length == 60


def test_shipped_accuracy_level_tokens_mostly_agree(modules: dict[str, Path]) -> None:
    """At accuracy level 4 (int8 activations) the two graphs may part on a near tie; they
    must still agree almost everywhere."""
    plain, fused = _load(modules["plain_shipped"]), _load(modules["fused_shipped"])
    agree = total = 0
    for seed in range(4):
        prompt = _prompt(plain, 200, 20 + seed)
        a, _ = generate(
            plain.session, plain.tokenizer, GenerationRequest(prompt, 16, ignore_eos=True)
        )
        b, _ = generate(
            fused.session, fused.tokenizer, GenerationRequest(prompt, 16, ignore_eos=True)
        )
        first_split = next(
            (i for i, (x, y) in enumerate(zip(a.tokens, b.tokens, strict=True)) if x != y), 16
        )
        agree += first_split
        total += 16
    assert agree / total > 0.7


def test_weights_read_back_from_a_fused_module_equal_the_plain_ones(
    modules: dict[str, Path],
) -> None:
    plain = state_dict_from_onnx(modules["plain_shipped"] / "model.onnx")
    fused = state_dict_from_onnx(modules["fused_shipped"] / "model.onnx")
    assert sorted(plain) == sorted(fused)
    for name, value in plain.items():
        assert np.array_equal(value, fused[name]), name


def test_a_graph_it_cannot_fuse_is_refused_clearly(
    modules: dict[str, Path], tmp_path: Path
) -> None:
    shutil.copytree(modules["fused_shipped"], tmp_path / "again")
    with pytest.raises(FuseError):
        fuse_module(tmp_path / "again")  # already fused: no MatMulNBits q_proj


def test_sequences_that_finish_early_leave_the_batch_and_the_rest_go_on_unchanged(
    modules: dict[str, Path],
) -> None:
    plain, fused = _load(modules["plain"]), _load(modules["fused"])
    prompts = [_prompt(fused, n, 40 + n) for n in (50, 310, 120, 75)]
    lengths = [30, 3, 17, 8]  # rows drop out after 3, 8 and 17 steps, in a shuffled order
    alone = [
        generate(plain.session, plain.tokenizer, GenerationRequest(p, n, ignore_eos=True))[0]
        for p, n in zip(prompts, lengths, strict=True)
    ]
    states, caches, firsts = [], [], []
    for p, n in zip(prompts, lengths, strict=True):
        first, kv = prefill(fused.session, p, reserve=n + 1)
        states.append(SequenceState(GenerationRequest(p, n, ignore_eos=True), fused.tokenizer))
        caches.append(kv)
        firsts.append(first)
    steps: list[int] = []
    forward = fused.session.forward

    def counting(input_ids, *args, **kwargs):  # type: ignore[no-untyped-def]
        steps.append(input_ids.shape[0])
        return forward(input_ids, *args, **kwargs)

    fused.session.forward = counting  # type: ignore[method-assign]
    try:
        decode(fused.session, states, caches, firsts)
    finally:
        del fused.session.forward
    assert [s.tokens for s in states] == [a.tokens for a in alone]
    # Each step ran only the sequences still going: 4 rows, then 3, 2 and 1.
    assert steps == [4] * 2 + [3] * 5 + [2] * 9 + [1] * 13


def test_the_command_line_says_what_is_wrong(modules: dict[str, Path], tmp_path: Path) -> None:
    import subprocess
    import sys

    for folder, words in (
        (tmp_path / "missing", "not a module folder"),
        (modules["fused_shipped"], "not fused yet"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "qwen_lsp.training.fuse", str(folder)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0 and words in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_install_fuses_what_the_gpu_job_returns(modules: dict[str, Path], tmp_path: Path) -> None:
    """The GPU job ships the plain int4 graph (its code copy has no engine to check a fused one
    with); installing it fuses it, and the manifest's hash is the fused file's."""
    import hashlib
    import tarfile

    from qwen_lsp.training.install_module import install

    plain = modules["plain_shipped"]
    returned = tmp_path / "files_at"
    returned.mkdir()
    shutil.copyfile(plain / "model.onnx", returned / "python-model.onnx")
    with tarfile.open(returned / "python-meta.tar.xz", "w:xz") as tar:
        for name in ("model.json", "tokenizer.json", "config.json"):
            tar.add(plain / name, arcname=name)
    dest = tmp_path / "installed"
    manifest = install(returned, "python", dest)
    assert _load(dest).session.shared_kv and not _load(plain).session.shared_kv
    digest = hashlib.sha256((dest / "model.onnx").read_bytes()).hexdigest()
    assert manifest["files"]["model.onnx"]["sha256"] == digest  # type: ignore[index]
    # Installing an already fused module leaves it as it is.
    shutil.copyfile(dest / "model.onnx", returned / "python-model.onnx")
    with tarfile.open(returned / "python-meta.tar.xz", "w:xz") as tar:
        for name in ("model.json", "tokenizer.json", "config.json"):
            tar.add(dest / name, arcname=name)
    again = install(returned, "python", tmp_path / "again")
    assert again["files"]["model.onnx"]["sha256"] == digest  # type: ignore[index]
    kept = install(returned, "python", tmp_path / "plain_kept", fuse=False)
    assert kept["files"]["model.onnx"]["sha256"] == digest  # type: ignore[index]
    # Prompt orders re-ranked by measured scores: the engine takes the first.
    ranked = install(returned, "python", tmp_path / "ranked", orders=["prefix_only", "spm", "psm"])
    assert ranked["fim"]["orders"][0] == "prefix_only"  # type: ignore[index]
    on_disk = json.loads((tmp_path / "ranked" / "model.json").read_text())
    assert on_disk["fim"]["orders"] == ["prefix_only", "spm", "psm"]
    with pytest.raises(SystemExit, match="must rank exactly"):
        install(returned, "python", tmp_path / "bad", orders=["spm"])
