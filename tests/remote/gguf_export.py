"""A GGUF file from a qwen-lsp model module, for llama.cpp (tests and bench only).

The weights come back out of the module's int4 ONNX graph (``training/module.py``'s reader:
de-quantized to float32, transformers' names); they are written with the ``gguf`` package
(llama.cpp's own writer, ``gguf-py``) the way llama.cpp's ``convert_hf_to_gguf.py`` writes a
Qwen3 model, then quantized by llama.cpp itself (``llama_model_quantize``).

Tokenizer: llama.cpp knows pre-tokenizers by name only (``tokenizer.ggml.pre``; its converter
picks the name from a hash of the pre-tokenizer's output). Ours (identifiers with ``_``, a
newline with the indentation after it as one piece, numbers by three digits) is none of them, so
it is mapped to the known one whose splits agree best with it: :data:`PRE_TOKENIZER`, chosen by
``python -m tests.remote.gguf_export --compare-pre`` (token-level agreement on Python sources).
Vocabulary, merges and special tokens are ours, so llama.cpp tokenizes most code exactly as we
do; where the pre-tokenizers differ it finds other (valid) tokens for the same text.

Usage: ``python -m tests.remote.gguf_export MODULE OUT.gguf [--type q4_0|f16|f32]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

# Best agreement with our pre-tokenizer: 98.8 % of our tokens, where every other name llama.cpp
# knows gets 76-79 % (it splits almost nothing, and our merges never cross our own splits);
# measured with --compare-pre on the standard library's email package.
PRE_TOKENIZER = "superbpe"
FTYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 7}


def _tokenizer_metadata(tokenizer_json: Path) -> tuple[list[str], list[int], list[str], dict]:
    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    vocab: dict[str, int] = dict(data["model"]["vocab"])
    added = {t["id"]: t for t in data.get("added_tokens", [])}
    for tid, tok in added.items():
        vocab[tok["content"]] = tid
    size = max(vocab.values()) + 1
    tokens = [f"[PAD{i}]" for i in range(size)]
    types = [5] * size  # UNUSED
    for text, tid in vocab.items():
        tokens[tid] = text
        if tid in added:
            types[tid] = 3 if added[tid].get("special") else 4  # CONTROL | USER_DEFINED
        else:
            types[tid] = 1  # NORMAL
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    return tokens, types, merges, {t["content"]: i for i, t in added.items()}


def write_gguf(module_dir: Path, out: Path, pre: str = PRE_TOKENIZER) -> Path:
    """Write a float32 GGUF of the module (weights de-quantized from its ONNX graph)."""
    import gguf

    from qwen_lsp.training.module import state_dict_from_onnx

    manifest = json.loads((module_dir / "model.json").read_text())
    cfg = json.loads((module_dir / "config.json").read_text())
    if cfg.get("model_type") not in ("qwen3", "qwen2"):
        raise ValueError(f"{module_dir}: model_type {cfg.get('model_type')} is not Qwen2/Qwen3")
    arch = gguf.MODEL_ARCH.QWEN3 if cfg["model_type"] == "qwen3" else gguf.MODEL_ARCH.QWEN2
    n_layers = int(cfg["num_hidden_layers"])
    state = state_dict_from_onnx(module_dir / manifest["model"])
    names = gguf.get_tensor_name_map(arch, n_layers)

    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[arch])
    writer.add_name(manifest.get("name", module_dir.name))
    writer.add_context_length(int(cfg["max_position_embeddings"]))
    writer.add_embedding_length(int(cfg["hidden_size"]))
    writer.add_block_count(n_layers)
    writer.add_feed_forward_length(int(cfg["intermediate_size"]))
    writer.add_head_count(int(cfg["num_attention_heads"]))
    writer.add_head_count_kv(int(cfg["num_key_value_heads"]))
    head_dim = int(cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"])
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    rope = (cfg.get("rope_parameters") or {}).get("rope_theta") or cfg.get("rope_theta", 10000.0)
    writer.add_rope_freq_base(float(rope))
    writer.add_layer_norm_rms_eps(float(cfg["rms_norm_eps"]))
    writer.add_file_type(0)

    tokens, types, merges, special = _tokenizer_metadata(module_dir / manifest["tokenizer"])
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    eos = special["<|endoftext|>"]
    writer.add_eos_token_id(eos)
    writer.add_eot_token_id(eos)
    writer.add_pad_token_id(special.get("<|fim_pad|>", eos))
    writer.add_add_bos_token(False)
    writer.add_add_eos_token(False)
    for key, name in (
        ("fim_pre", "<|fim_prefix|>"),
        ("fim_suf", "<|fim_suffix|>"),
        ("fim_mid", "<|fim_middle|>"),
        ("fim_pad", "<|fim_pad|>"),
        ("fim_rep", "<|repo_name|>"),
        ("fim_sep", "<|file_sep|>"),
    ):
        if name in special:
            writer.add_uint32(f"tokenizer.ggml.{key}_token_id", special[name])

    for name, array in state.items():
        if name == "lm_head.weight" and cfg.get("tie_word_embeddings"):
            continue
        target = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if target is None:
            raise ValueError(f"no GGUF name for {name}")
        writer.add_tensor(target, np.ascontiguousarray(array, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def quantize(src: Path, dst: Path, kind: str, pure: bool = True) -> Path:
    """Quantize a GGUF with llama.cpp's own quantizer (``pure``: every matrix in ``kind``)."""
    import ctypes

    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[kind]
    params.pure = pure
    params.nthread = os.cpu_count() or 1
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize failed ({rc})")
    return dst


def module_gguf(module_dir: Path, cache: Path, kind: str = "q4_0") -> Path:
    """The GGUF of a module in ``kind``, built once per module hash into ``cache``."""
    manifest = json.loads((module_dir / "model.json").read_text())
    digest = hashlib.sha256(
        json.dumps([manifest["files"], PRE_TOKENIZER, kind], sort_keys=True).encode()
    ).hexdigest()[:16]
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{manifest.get('name', 'model')}-{digest}-{kind}.gguf"
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        f32 = write_gguf(module_dir, Path(tmp) / "f32.gguf")
        built = Path(tmp) / "out.gguf"
        if kind == "f32":
            os.replace(f32, built)
        else:
            quantize(f32, built, kind)
        os.replace(built, target)
    return target


def compare_pre(module_dir: Path, sources: list[Path], candidates: list[str]) -> dict[str, float]:
    """Share of files' tokens llama.cpp produces exactly as our tokenizer does, per pre name."""
    import llama_cpp
    from tokenizers import Tokenizer

    ours = Tokenizer.from_file(str(module_dir / "tokenizer.json"))
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sources]
    expected = [ours.encode(t, add_special_tokens=False).ids for t in texts]
    scores: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pre in candidates:
            path = Path(tmp) / f"{pre}.gguf"
            try:
                write_gguf(module_dir, path, pre)
                llm = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
            except Exception as exc:
                print(f"{pre}: {exc}", file=sys.stderr)
                continue
            same = total = 0
            for text, ids in zip(texts, expected, strict=True):
                got = llm.tokenize(text.encode(), add_bos=False, special=False)
                total += len(ids)
                # Agreement: tokens of ours found at the same position in llama.cpp's output.
                a = b = 0
                ca = cb = 0  # characters consumed
                lens_a = [len(ours.decode([i])) for i in ids]
                lens_b = [len(llm.detokenize([i]).decode("utf-8", "replace")) for i in got]
                while a < len(ids) and b < len(got):
                    if ca == cb:
                        same += ids[a] == got[b]
                        ca += lens_a[a]
                        cb += lens_b[b]
                        a += 1
                        b += 1
                    elif ca < cb:
                        ca += lens_a[a]
                        a += 1
                    else:
                        cb += lens_b[b]
                        b += 1
            scores[pre] = round(same / max(1, total), 4)
            path.unlink(missing_ok=True)
    return scores


def main(argv: list[str] | None = None) -> int:
    """Command line: export (and quantize) a module, or compare pre-tokenizer names."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--type", default="q4_0", choices=sorted(FTYPES))
    parser.add_argument("--compare-pre", nargs="*", metavar="NAME")
    args = parser.parse_args(argv)
    if args.compare_pre is not None:
        import sysconfig

        stdlib = Path(sysconfig.get_paths()["stdlib"])
        files = sorted((stdlib / "email").glob("*.py"))[:12]
        names = args.compare_pre or [
            "qwen2",
            "gpt-2",
            "default",
            "llama-bpe",
            "starcoder",
            "refact",
            "deepseek-coder",
            "smollm",
            "codeshell",
            "stablelm2",
            "olmo",
            "dbrx",
            "gpt-4o",
            "seed-coder",
            "superbpe",
            "kimi-k2",
        ]
        print(json.dumps(compare_pre(args.module, files, names), indent=2))
        return 0
    if args.out is None:
        parser.error("OUT is required")
    with tempfile.TemporaryDirectory(dir=args.out.parent) as tmp:
        f32 = write_gguf(args.module, Path(tmp) / "f32.gguf")
        if args.type == "f32":
            os.replace(f32, args.out)
        else:
            quantize(f32, args.out, args.type)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
