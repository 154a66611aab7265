"""A tiny CPU training run lowers the loss; a second run resumes from the checkpoint."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import json
from pathlib import Path

from qwen_lsp.training.train import TrainConfig, lr_at, run_training


def _cfg(token_dir: Path, out: Path, steps: int) -> TrainConfig:
    return TrainConfig(
        data_dir=str(token_dir),
        out_dir=str(out),
        preset="tiny",
        seq_len=128,
        micro_batch=8,
        grad_accum=1,
        lr=3e-3,
        warmup_steps=5,
        max_steps=steps,
        minutes=5,
        eval_every_seconds=1e9,
        ckpt_every_seconds=1e9,
        log_every=5,
        val_batches=1,
        workers=0,
        device="cpu",
    )


def _events(out: Path, kind: str) -> list[dict]:
    return [
        r
        for r in map(json.loads, (out / "train_log.jsonl").read_text().splitlines())
        if r["event"] == kind
    ]


def test_tiny_training_lowers_loss_and_resumes(token_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    s1 = run_training(_cfg(token_dir, out, 40))
    train = _events(out, "train")
    assert train[-1]["loss"] < train[0]["loss"] - 0.5, train
    val = _events(out, "val")
    assert val and val[-1]["val_loss"] < 7.0  # ln(1024) = 6.93 for a uniform guess
    for f in (
        "checkpoint.pt",
        "DONE",
        "summary.json",
        "final/model.safetensors",
        "best/config.json",
    ):
        assert (out / f).exists(), f
    s2 = run_training(_cfg(token_dir, out, 5))
    assert s2["steps"] == s1["steps"] + 5
    assert s2["tokens"] == s1["tokens"] + 5 * 8 * 128
    assert _events(out, "start")[-1]["resumed"] is True


def test_lr_schedule() -> None:
    cfg = TrainConfig(data_dir="", out_dir="", lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(cfg, 0, 0.0) == pytest.approx(0.1)
    assert lr_at(cfg, 9, 0.0) == pytest.approx(1.0)
    assert lr_at(cfg, 100, 0.5) == pytest.approx(0.55)
    assert lr_at(cfg, 100, 1.0) == pytest.approx(0.1)
    assert lr_at(cfg, 105, 0.9, warmup_from=100) == pytest.approx(
        0.6
    )  # re-warmup after a resume pack
