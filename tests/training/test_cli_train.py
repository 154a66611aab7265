"""``qwen-lsp train`` fine-tunes a module on a source tree and writes a module that loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from qwen_lsp.engine.module import load_module, verify

from ..support import EXAMPLES, REPO


def test_train_command_fine_tunes_a_module(tmp_path: Path):
    out = tmp_path / "tuned"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "qwen_lsp",
            "train",
            "--corpus",
            str(EXAMPLES / "shop"),
            "--base",
            str(REPO / "tests" / "fixtures" / "tiny_qwen2"),
            "--out",
            str(out),
            "--steps",
            "3",
            "--seq-len",
            "128",
            "--batch",
            "2",
            "--device",
            "cpu",
            "--quantization",
            "fp32",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    module = load_module(out)
    verify(module)  # hashes in the new manifest match the files written
    assert module.languages and "python" in module.languages


def test_train_without_arguments_explains_usage():
    done = subprocess.run(
        [sys.executable, "-m", "qwen_lsp", "train"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "--corpus" in done.stderr
