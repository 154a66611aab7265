"""A server that never completes stays small: the completion layer's heavy libraries load with
the first completion, the remote's HTTP client with the first remote request, cryptography
with the first key (idle memory is a target: bench/index.py)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("onnxruntime", "onnx", "numpy", "tokenizers", "httpx", "cryptography", "detect_secrets")

BUILD_A_SESSION = f"""
import json, sys
from qwen_lsp.cli import build_parser
from qwen_lsp.core import Core
from qwen_lsp.server import build_server

build_parser()  # every subcommand's parser, as `qwen-lsp serve` builds it
core = Core()
build_server(core)  # every feature registered
core.index_codec([])  # no key configured
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))
"""


def test_building_a_session_imports_none_of_the_heavy_libraries(tmp_path) -> None:
    env = {"QWEN_LSP_CACHE_DIR": str(tmp_path), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", BUILD_A_SESSION], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
