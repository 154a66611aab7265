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


def _kl_to(teacher_dir: Path, student_dir: Path, token_dir: Path) -> float:
    import torch

    from qwen_lsp.training.data import TokenData
    from qwen_lsp.training.model import load_hf
    from qwen_lsp.training.train import distillation_kl

    ids = torch.tensor(TokenData.open(token_dir, "heldout").windows(4, 128), dtype=torch.long)
    with torch.no_grad():
        return distillation_kl(load_hf(student_dir)(ids), load_hf(teacher_dir)(ids)).item()


def test_distillation_pulls_the_student_to_its_teacher(token_dir: Path, tmp_path: Path) -> None:
    """From the same start and data, a run that learns the teacher's distributions ends much
    closer to the teacher than one that learns the data alone."""
    teacher = tmp_path / "teacher"
    teacher_cfg = _cfg(token_dir, teacher, 40)
    teacher_cfg.seed = 99  # another start and data order: not the run the student would replay
    run_training(teacher_cfg)
    start = tmp_path / "start"
    run_training(_cfg(token_dir, start, 4))
    ends = {}
    for weight in (0.0, 1.0):
        out = tmp_path / f"w{weight}"
        cfg = _cfg(token_dir, out, 25)
        cfg.init_from, cfg.teacher_from, cfg.distill_weight = str(start / "final"), None, weight
        if weight:
            cfg.teacher_from = str(teacher / "final")
        run_training(cfg)
        ends[weight] = _kl_to(teacher / "final", out / "final", token_dir)
        assert ("ce" in _events(out, "train")[0]) == bool(weight)
    before = _kl_to(teacher / "final", start / "final", token_dir)
    assert ends[1.0] < 0.25 * before, (before, ends)
    assert ends[1.0] < 0.8 * ends[0.0], (before, ends)


def test_distillation_without_a_teacher_is_refused(token_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(token_dir, tmp_path / "run", 2)
    cfg.distill_weight = 0.5
    with pytest.raises(ValueError, match="teacher"):
        run_training(cfg)
    cfg.distill_weight, cfg.teacher_from = 1.5, str(tmp_path)
    with pytest.raises(ValueError, match="share"):
        run_training(cfg)
