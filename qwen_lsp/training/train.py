"""Training loop: bf16 autocast, AdamW, warmup + cosine, torch.compile, SDPA, gradient
accumulation, a wall-clock deadline, atomic checkpoints and resume, JSON-lines logs.

The learning-rate schedule runs on *time*, not steps: progress = elapsed / available, so the
cosine ends exactly at the deadline whatever the throughput turns out to be (the GPU machine's
time is the budget, the step count is not known in advance). A resumed run continues the
progress it had and spreads the rest over its own deadline.

Files under ``out_dir``:

* ``train_log.jsonl``: ``{"event": "train", step, tokens, loss, lr, tok_s, elapsed}`` lines and
  ``{"event": "val", step, tokens, val_loss, val_loss_middle}`` lines;
* ``checkpoint.pt``: model + optimizer + progress (written atomically), for resuming;
* ``best/`` and ``final/``: transformers-format weights (``config.json`` + ``model.safetensors``);
* ``snapshots/``: bf16 weights at each checkpoint, for the evaluation watcher (optional);
* ``summary.json`` when the run ends, ``DONE`` as the last thing written.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from qwen_lsp.training.data import FimConfig, FimSampler, TokenData
from qwen_lsp.training.model import PRESETS, ModelShape, QwenDecoder, load_hf, save_hf
from qwen_lsp.training.tokenizer import TokenTables, load_tokenizer


@dataclass
class TrainConfig:
    """Everything a run needs; stored in checkpoints and summaries."""

    data_dir: str
    out_dir: str
    preset: str = "int4-50m"
    shape: dict[str, Any] | None = None  # overrides the preset's fields
    seq_len: int = 2048
    micro_batch: int = 32
    grad_accum: int = 4
    lr: float = 1.5e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 150
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    minutes: float | None = 20.0  # wall-clock budget from the start of this run
    deadline: float | None = None  # absolute epoch seconds; wins over ``minutes``
    reserve_seconds: float = 20.0  # stop this long before the deadline (final checkpoint)
    max_steps: int | None = None
    eval_every_seconds: float = 120.0
    ckpt_every_seconds: float = 240.0
    val_batches: int = 4
    log_every: int = 10
    compile: bool | None = None  # default: on for CUDA, off for CPU
    device: str | None = None
    seed: int = 1234
    workers: int | None = None
    init_from: str | None = None  # transformers-format folder to start from (fine-tuning)
    snapshots: bool = False
    fim: dict[str, Any] = field(default_factory=dict)
    # Quantization-aware training (``qat.py``): the forward uses the weights as the int4 export
    # rounds them, in blocks of this size; finalize with ``--rounding qat``. None: plain.
    qat_block_size: int | None = None
    # Distillation: the share of the loss that is the KL divergence from a frozen teacher's
    # next-token distribution (the rest stays cross-entropy on the data). A QAT stage that
    # learns from data alone drifts off its start's optimum (runs 7 and 8); learning to match
    # the full-precision start only repairs the rounding. 0: plain training.
    distill_weight: float = 0.0
    teacher_from: str | None = None  # transformers folder; default: ``init_from``

    def model_shape(self, vocab_size: int) -> ModelShape:
        """The preset with overrides; the vocabulary always follows the tokenizer."""
        base = PRESETS[self.preset]
        over = dict(self.shape or {})
        over["vocab_size"] = vocab_size
        over.setdefault("max_position_embeddings", max(base.max_position_embeddings, self.seq_len))
        return dataclasses.replace(base, **over)


class _Stream(torch.utils.data.IterableDataset):
    """Micro-batches from a FIM sampler; each worker gets its own seed."""

    def __init__(self, data_dir: str, tok_path: str, fim: FimConfig, batch: int, seed: int) -> None:
        super().__init__()
        self.data_dir, self.tok_path, self.fim, self.batch, self.seed = (
            data_dir,
            tok_path,
            fim,
            batch,
            seed,
        )

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info is not None else 0
        tables = TokenTables.from_tokenizer(load_tokenizer(self.tok_path))
        sampler = FimSampler(
            TokenData.open(self.data_dir, "train"), tables, self.fim, self.seed * 1000 + wid
        )
        while True:
            x, _ = sampler.batch(self.batch)
            yield torch.from_numpy(x)


def lr_at(cfg: TrainConfig, step: int, progress: float, warmup_from: int = 0) -> float:
    """Linear warmup over ``warmup_steps`` (counted from ``warmup_from``), then cosine on
    progress down to ``min_lr_ratio * lr``."""
    w = step - warmup_from
    if w < cfg.warmup_steps:
        return cfg.lr * (w + 1) / cfg.warmup_steps
    p = min(max(progress, 0.0), 1.0)
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * p)))


def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _atomic_save_hf(model: QwenDecoder, path: Path, dtype: torch.dtype | None = None) -> None:
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        for f in tmp.iterdir():
            f.unlink()
    save_hf(model, tmp, dtype=dtype)
    if path.exists():
        old = path.with_name(path.name + ".old")
        if old.exists():
            for f in old.iterdir():
                f.unlink()
            old.rmdir()
        os.replace(path, old)
        os.replace(tmp, path)
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    else:
        os.replace(tmp, path)


def distillation_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
    """Mean over positions of KL(teacher || student) between next-token distributions, in
    float32 (``[..., vocab]`` logits of the same shape)."""
    s = F.log_softmax(student_logits.float().flatten(0, -2), dim=-1)
    t = F.log_softmax(teacher_logits.float().flatten(0, -2), dim=-1)
    return F.kl_div(s, t, log_target=True, reduction="batchmean")


def _load_teacher(cfg: TrainConfig, shape: ModelShape, device: torch.device) -> Any:
    """The frozen teacher of a distilling run (``None`` without distillation)."""
    if cfg.distill_weight <= 0:
        return None
    if cfg.distill_weight > 1:
        raise ValueError(f"distill_weight is a share of the loss (0..1), not {cfg.distill_weight}")
    source = cfg.teacher_from or cfg.init_from
    if not source:
        raise ValueError("distillation needs a teacher: set teacher_from (or init_from)")
    teacher = load_hf(source).to(device).eval()
    teacher.requires_grad_(False)
    if teacher.shape.vocab_size != shape.vocab_size:
        raise ValueError(
            f"teacher vocabulary {teacher.shape.vocab_size} != student {shape.vocab_size}"
        )
    return teacher


@torch.no_grad()
def evaluate_loss(
    model: torch.nn.Module,
    batches: list[tuple[np.ndarray, np.ndarray]],
    device: torch.device,
    amp: bool,
) -> tuple[float, float]:
    """Mean loss over all tokens, and over FIM middle tokens only.

    Pass the eager module, not the compiled one: a different batch size or grad mode would make
    ``torch.compile`` recompile in the middle of a timed run. The model has no dropout, so train
    mode is left as it is.
    """
    tot, n, mid, nm = 0.0, 0, 0.0, 0
    for x_np, m_np in batches:
        x = torch.from_numpy(x_np).to(device)
        m = torch.from_numpy(m_np[:, 1:].astype(np.bool_)).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            logits = model(x[:, :-1])
        loss = F.cross_entropy(
            logits.float().flatten(0, 1), x[:, 1:].flatten(), reduction="none"
        ).view_as(m)
        tot += loss.sum().item()
        n += loss.numel()
        mid += loss[m].sum().item()
        nm += int(m.sum().item())
    return tot / max(n, 1), (mid / nm if nm else float("nan"))


def run_training(cfg: TrainConfig, log: Any = None) -> dict[str, Any]:
    """Train until the deadline (or ``max_steps``); resumes from ``out_dir/checkpoint.pt``."""
    t_start = time.time()
    deadline = cfg.deadline or (t_start + cfg.minutes * 60 if cfg.minutes else float("inf"))
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "DONE").unlink(missing_ok=True)
    (out / "STOP").unlink(missing_ok=True)
    log_f = open(out / "train_log.jsonl", "a", encoding="utf-8")  # noqa: SIM115 - closed at the end

    def emit(rec: dict[str, Any]) -> None:
        rec = {"time": round(time.time(), 1), **rec}
        log_f.write(json.dumps(rec) + "\n")
        log_f.flush()
        if log is not None:
            log(json.dumps(rec))

    device = torch.device(cfg.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    amp = device.type == "cuda"
    use_compile = cfg.compile if cfg.compile is not None else device.type == "cuda"
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(cfg.seed)

    tok_path = str(Path(cfg.data_dir) / "tokenizer.json")
    tok = load_tokenizer(tok_path)
    tables = TokenTables.from_tokenizer(tok)
    fim = FimConfig(seq_len=cfg.seq_len, **cfg.fim)

    ckpt_path = out / "checkpoint.pt"
    state = {"step": 0, "tokens": 0, "progress": 0.0, "best_val": float("inf"), "runs": 0}
    if cfg.init_from:
        model = load_hf(cfg.init_from)
        shape = model.shape
    else:
        shape = cfg.model_shape(tok.get_vocab_size())
        model = QwenDecoder(shape)
        model.init_weights(cfg.seed)
    if shape.vocab_size != tok.get_vocab_size():
        raise ValueError(f"model vocabulary {shape.vocab_size} != tokenizer {tok.get_vocab_size()}")
    model.to(device)
    teacher = _load_teacher(cfg, shape, device)
    if cfg.qat_block_size:
        from qwen_lsp.training.qat import enable_qat

        enable_qat(model, cfg.qat_block_size)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=cfg.betas,
        fused=device.type == "cuda",
    )
    resumed = False
    warmup_from = 0
    if cfg.init_from and (Path(cfg.init_from) / "state.json").exists():
        # A resume pack (weights carried from another machine, no optimizer state): continue
        # the counters and the schedule, warm the fresh optimizer up again.
        state.update(json.loads((Path(cfg.init_from) / "state.json").read_text()))
        warmup_from = int(state["step"])
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state.update(ck["state"])
        resumed = True
        warmup_from = int(ck.get("warmup_from", 0))
    state["runs"] = int(state.get("runs", 0)) + 1
    progress0 = float(state["progress"])
    step0 = int(state["step"])

    emit(
        {
            "event": "start",
            "resumed": resumed,
            "step": step0,
            "tokens": state["tokens"],
            "device": str(device),
            "compile": use_compile,
            "parameters": shape.num_parameters(),
            "shape": asdict(shape),
            "config": {k: v for k, v in asdict(cfg).items()},
            "deadline": deadline,
        }
    )

    fwd: Any = model
    teacher_fwd: Any = teacher
    if use_compile:
        try:
            fwd = torch.compile(model)
            teacher_fwd = torch.compile(teacher) if teacher is not None else None
        except Exception as e:
            emit({"event": "warning", "message": f"torch.compile unavailable: {e}"})
            fwd, teacher_fwd = model, teacher

    workers = (
        cfg.workers
        if cfg.workers is not None
        else (min(8, max(0, (os.cpu_count() or 2) - 4)) if device.type == "cuda" else 0)
    )
    stream = _Stream(
        cfg.data_dir, tok_path, fim, cfg.micro_batch, cfg.seed + 7919 * int(state["runs"])
    )
    loader = torch.utils.data.DataLoader(
        stream,
        batch_size=None,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        prefetch_factor=4 if workers else None,
        persistent_workers=bool(workers),
    )
    batches = iter(loader)

    val: list[tuple[np.ndarray, np.ndarray]] = []
    held = Path(cfg.data_dir) / "heldout.docs.npy"
    if held.exists() and len(np.load(held)):
        # The held-out loss stays comparable across runs: documents drawn by tokens alone.
        plain = replace(fim, score_boost=0.0)
        vs = FimSampler(TokenData.open(cfg.data_dir, "heldout"), tables, plain, seed=424242)
        val = [vs.batch(min(cfg.micro_batch, 8)) for _ in range(cfg.val_batches)]

    tokens_per_step = cfg.micro_batch * cfg.seq_len * cfg.grad_accum
    model.train()
    t_loop = time.time()
    available = max(1.0, deadline - cfg.reserve_seconds - t_loop)
    last_log_t, last_log_tokens = t_loop, state["tokens"]
    last_eval, last_ckpt = t_loop, t_loop
    losses: list[torch.Tensor] = []
    ce_losses: list[torch.Tensor] = []
    stop_reason = "deadline"

    def progress_now() -> float:
        return min(1.0, progress0 + (1 - progress0) * (time.time() - t_loop) / available)

    def save_checkpoint() -> None:
        state["progress"] = progress_now()
        _atomic_save(
            {
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "state": dict(state),
                "warmup_from": warmup_from,
                "config": asdict(cfg),
            },
            ckpt_path,
        )
        if cfg.snapshots:
            snap = out / "snapshots" / f"step{state['step']:07d}-tok{state['tokens']}"
            save_hf(model, snap, dtype=torch.bfloat16)
            (snap / "READY").write_text(
                json.dumps({"step": state["step"], "tokens": state["tokens"]})
            )

    def run_val() -> None:
        if not val:
            return
        vl, vm = evaluate_loss(model, val, device, amp)
        emit(
            {
                "event": "val",
                "step": state["step"],
                "tokens": state["tokens"],
                "val_loss": round(vl, 4),
                "val_loss_middle": round(vm, 4),
            }
        )
        if vl < state["best_val"]:
            state["best_val"] = vl
            _atomic_save_hf(model, out / "best")

    while True:
        now = time.time()
        if now >= deadline - cfg.reserve_seconds:
            break
        if (out / "STOP").exists():
            stop_reason = "stop-file"
            break
        if cfg.max_steps is not None and state["step"] - step0 >= cfg.max_steps:
            stop_reason = "max_steps"
            break
        p = progress_now()
        lr = lr_at(cfg, int(state["step"]), p, warmup_from)
        for g in opt.param_groups:
            g["lr"] = lr
        loss_acc = torch.zeros((), device=device)
        ce_acc = torch.zeros((), device=device)
        for _ in range(cfg.grad_accum):
            x = next(batches).to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                logits = fwd(x[:, :-1])
            ce = F.cross_entropy(logits.float().flatten(0, 1), x[:, 1:].flatten())
            loss = ce
            if teacher_fwd is not None:
                with (
                    torch.no_grad(),
                    torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp),
                ):
                    teacher_logits = teacher_fwd(x[:, :-1])
                kl = distillation_kl(logits, teacher_logits)
                loss = (1 - cfg.distill_weight) * ce + cfg.distill_weight * kl
            (loss / cfg.grad_accum).backward()
            loss_acc += loss.detach()
            ce_acc += ce.detach()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        state["step"] += 1
        state["tokens"] += tokens_per_step
        losses.append(loss_acc / cfg.grad_accum)  # stays on the device: no sync per step
        ce_losses.append(ce_acc / cfg.grad_accum)
        if state["step"] % cfg.log_every == 0:
            t = time.time()
            mean_loss = float(torch.stack(losses).mean().item())
            if not math.isfinite(mean_loss):
                stop_reason = "nan"
                emit({"event": "error", "message": "non-finite loss", "step": state["step"]})
                break
            emit(
                {
                    "event": "train",
                    "step": state["step"],
                    "tokens": state["tokens"],
                    "loss": round(mean_loss, 4),
                    **(
                        {"ce": round(float(torch.stack(ce_losses).mean().item()), 4)}
                        if teacher is not None
                        else {}
                    ),
                    "lr": round(lr, 7),
                    "tok_s": round((state["tokens"] - last_log_tokens) / max(t - last_log_t, 1e-6)),
                    "elapsed": round(t - t_start, 1),
                    "progress": round(p, 4),
                }
            )
            losses.clear()
            ce_losses.clear()
            last_log_t, last_log_tokens = t, state["tokens"]
        if time.time() - last_eval >= cfg.eval_every_seconds:
            run_val()
            last_eval = time.time()
        if time.time() - last_ckpt >= cfg.ckpt_every_seconds:
            save_checkpoint()
            last_ckpt = time.time()
            emit({"event": "checkpoint", "step": state["step"], "tokens": state["tokens"]})

    run_val()
    save_checkpoint()
    _atomic_save_hf(model, out / "final")
    if not (out / "best").exists():
        _atomic_save_hf(model, out / "best")
    summary = {
        "stop_reason": stop_reason,
        "steps": state["step"],
        "tokens": state["tokens"],
        "best_val": state["best_val"],
        "progress": state["progress"],
        "seconds": round(time.time() - t_start, 1),
        "parameters": shape.num_parameters(),
        "shape": asdict(shape),
        "config": asdict(cfg),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    emit({"event": "end", **{k: v for k, v in summary.items() if k not in ("config", "shape")}})
    log_f.close()
    (out / "DONE").write_text(stop_reason)
    return summary


def main(argv: list[str] | None = None) -> int:
    """``python -m qwen_lsp.training.train --data DIR --out DIR [--config JSON] [--minutes N]``."""
    ap = argparse.ArgumentParser(description="Train a decoder on a token folder")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--config", help="JSON file or string with TrainConfig fields")
    ap.add_argument("--minutes", type=float)
    ap.add_argument("--deadline", type=float)
    ap.add_argument("--preset")
    args = ap.parse_args(argv)
    extra: dict[str, Any] = {}
    if args.config:
        text = Path(args.config).read_text() if Path(args.config).exists() else args.config
        extra = json.loads(text)
    cfg = TrainConfig(data_dir=args.data, out_dir=args.out, **extra)
    if args.minutes is not None:
        cfg.minutes = args.minutes
    if args.deadline is not None:
        cfg.deadline = args.deadline
    if args.preset:
        cfg.preset = args.preset
    run_training(cfg, log=lambda s: print(s, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
