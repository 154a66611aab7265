"""Fine-tune a model module on a user's repository: ``qwen-lsp train --corpus DIR --base MODULE
--out DIR``.

Steps: collect the repository's files of the module's languages (same filters as the corpus
builder except the licence: it is the user's own code), de-duplicate, keep a few files aside for
validation, tokenize with the **module's own tokenizer** (the vocabulary cannot change), rebuild
the trainable weights from the module (``weights/`` if shipped, else de-quantized ONNX), train
with the same FIM objective at a low learning rate (GPU when present, CPU otherwise), then
export, re-quantize like the base module and write a complete module folder with a manifest.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qwen_lsp.training.corpus import LANG_EXTS, normalized_hash, read_and_filter, tree_package
from qwen_lsp.training.data import encode_corpus
from qwen_lsp.training.gptq import calibration_windows
from qwen_lsp.training.model import save_hf
from qwen_lsp.training.module import build_module, weights_from_module
from qwen_lsp.training.tokenizer import load_tokenizer
from qwen_lsp.training.train import TrainConfig, run_training


def _module_lang(languages: list[str]) -> str:
    return "python" if "python" in languages else "javascript"


def collect_repository(
    root: str | Path, lang: str, out_dir: Path, val_fraction: float = 0.05, seed: int = 0
) -> dict[str, Any]:
    """Write ``train.jsonl`` / ``heldout.jsonl`` from a source tree; returns counts."""
    src = tree_package(root, Path(root).name, None, LANG_EXTS[lang])
    seen: set[str] = set()
    records = []
    dropped: dict[str, int] = {}
    for abs_path, rel in src.files:
        text, reason = read_and_filter(abs_path, rel, lang)
        if text is None:
            dropped[reason or "?"] = dropped.get(reason or "?", 0) + 1
            continue
        h = normalized_hash(text)
        if h in seen:
            dropped["exact-dup"] = dropped.get("exact-dup", 0) + 1
            continue
        seen.add(h)
        records.append({"package": src.name, "path": rel, "text": text})
    if not records:
        raise ValueError(f"no usable {lang} files under {root}")
    rng = random.Random(seed)
    rng.shuffle(records)
    n_val = max(1, int(len(records) * val_fraction)) if len(records) >= 10 else 0
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, part in (("heldout", records[:n_val]), ("train", records[n_val:])):
        with open(out_dir / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in part:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return {"files": len(records), "validation_files": n_val, "dropped": dropped}


def run_finetune(
    corpus_dir: str | Path,
    base_module_dir: str | Path,
    out_dir: str | Path,
    *,
    minutes: float = 10.0,
    max_steps: int | None = None,
    lr: float = 2e-4,
    seq_len: int = 1024,
    micro_batch: int = 8,
    grad_accum: int = 1,
    device: str | None = None,
    quantization: str | None = None,
    work_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fine-tune ``base_module_dir`` on the sources under ``corpus_dir``; write a module to
    ``out_dir``. Returns a report (corpus counts, training summary, export checks)."""
    base = Path(base_module_dir)
    manifest = json.loads((base / "model.json").read_text())
    lang = _module_lang(manifest["languages"])
    tok_path = base / manifest["tokenizer"]
    tok = load_tokenizer(tok_path)
    tmp_ctx = tempfile.TemporaryDirectory() if work_dir is None else None
    work = Path(work_dir or tmp_ctx.name)  # type: ignore[union-attr]
    try:
        corpus = collect_repository(corpus_dir, lang, work / "corpus")
        log(f"corpus: {corpus}")
        data = work / "tokens"
        stats = encode_corpus(tok, work / "corpus", data)
        (data / "tokenizer.json").write_bytes(tok_path.read_bytes())
        log(f"tokens: {stats}")
        model = weights_from_module(base)
        init = work / "init"
        save_hf(model, init)
        cfg = TrainConfig(
            data_dir=str(data),
            out_dir=str(work / "run"),
            seq_len=min(seq_len, model.shape.max_position_embeddings),
            micro_batch=micro_batch,
            grad_accum=grad_accum,
            lr=lr,
            warmup_steps=20,
            minutes=minutes,
            max_steps=max_steps,
            eval_every_seconds=max(30.0, minutes * 60 / 5),
            ckpt_every_seconds=max(60.0, minutes * 60 / 3),
            device=device,
            init_from=str(init),
            val_batches=2,
        )
        t0 = time.time()
        summary = run_training(cfg, log=log)
        from qwen_lsp.training.model import load_hf

        best = work / "run" / "best"
        tuned = load_hf(best if best.exists() else work / "run" / "final")
        quant = quantization or manifest.get("quantization", "int8")
        report = build_module(
            tuned,
            tok_path,
            out_dir,
            name=f"{manifest['name']}-finetuned",
            languages=manifest["languages"],
            quantization=quant,
            version=f"{manifest.get('version', '0')}+ft{time.strftime('%Y%m%d')}",
            description=f"{manifest['name']} fine-tuned on {Path(corpus_dir).name}",
            orders=manifest["fim"]["orders"],
            context_length=manifest.get("context_length"),
            card=_card(manifest, corpus, summary, quant, Path(corpus_dir).name),
            calibration=calibration_windows(data, n=16, length=512),
        )
        return {
            "corpus": corpus,
            "tokens": stats,
            "training": summary,
            "module": report,
            "seconds": time.time() - t0,
        }
    finally:
        if tmp_ctx is not None:
            tmp_ctx.cleanup()


def _card(
    manifest: dict[str, Any], corpus: dict[str, Any], summary: dict[str, Any], quant: str, repo: str
) -> str:
    return (
        f"# {manifest['name']}-finetuned\n\n"
        f"Fine-tuned from `{manifest['name']}` {manifest.get('version', '')} on the repository `{repo}` "
        f"({corpus['files']} files, {corpus['validation_files']} kept aside for validation).\n\n"
        f"- steps: {summary['steps']}, tokens seen: {summary['tokens']:,}, best validation loss: "
        f"{summary['best_val']:.4f}\n- quantization: {quant}\n\n"
        "The base module's licence and data notes apply; the added training data is the user's own code.\n"
    )


def main(argv: list[str] | None = None) -> int:
    """CLI entry: ``--corpus DIR --base MODULE --out DIR [--minutes N] [--steps N] ...``."""
    ap = argparse.ArgumentParser(
        prog="qwen-lsp train", description="Fine-tune a model module on a repository"
    )
    ap.add_argument("--corpus", required=True, help="source tree to learn from")
    ap.add_argument("--base", required=True, help="model module folder to start from")
    ap.add_argument("--out", required=True, help="folder for the new module")
    ap.add_argument("--minutes", type=float, default=10.0, help="wall-clock training budget")
    ap.add_argument("--steps", type=int, default=None, help="stop after this many steps")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--seq-len", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    ap.add_argument("--quantization", choices=["fp32", "int8", "int4"], default=None)
    args = ap.parse_args(argv)
    report = run_finetune(
        args.corpus,
        args.base,
        args.out,
        minutes=args.minutes,
        max_steps=args.steps,
        lr=args.lr,
        seq_len=args.seq_len,
        micro_batch=args.batch,
        device=args.device,
        quantization=args.quantization,
    )
    print(
        json.dumps(
            {k: v for k, v in report.items() if k != "module"}
            | {"module_bytes": report["module"]["model_bytes"]},
            indent=1,
            default=str,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
