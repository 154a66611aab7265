"""Shared by the real-client tests: the model settings, the sample buffer, how to find the
clients, and what the engine itself suggests (``qwen-lsp complete``) for comparison."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..support import REPO

EDITORS = REPO / "editors"
DRIVERS = Path(__file__).parent / "drivers"
FIXTURE_MODEL = REPO / "tests" / "fixtures" / "tiny_qwen2"

#: A Python file with a syntax error on line 5 (an unclosed parenthesis, with a quick fix) and a
#: place to complete at the end of line 9 (1-based), after the indentation.
SOURCE = (
    "def area(width, height):\n"
    "    return width * height\n"
    "\n"
    "\n"
    "print(area(2, 3)\n"
    "\n"
    "\n"
    "def perimeter(width, height):\n"
    "    \n"
)
ERROR_LINE = 5
COMPLETION_LINE = 9
COMPLETION_COL = 4  # 0-based character, the end of that line


def init_options() -> dict[str, Any]:
    """The server settings every editor test sends as initializationOptions.

    The one place to change when the embedded default model lands (drop ``models`` to use it).
    """
    # The embedded python module (qwen_lsp/models/python) serves python: no "models" entry.
    return {
        "completion": {
            "syntaxCheck": False,
            "nameCheck": False,
            "minChars": 0,
            "crossFile": False,
        }
    }


def require_executable(name: str, hint: str) -> str:
    """The executable's path, or skip the test saying why."""
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed ({hint})")
    return found


def workspace(tmp_path: Path) -> Path:
    """A project folder (a git root, so that every client and `qwen-lsp complete` agree on it)
    holding ``geometry.py``."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "geometry.py").write_text(SOURCE, encoding="utf-8")
    return root


def client_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a client that starts ``qwen-lsp serve`` itself: this interpreter's
    ``qwen-lsp`` first on PATH, no user settings, a private cache, the test settings."""
    no_settings = tmp_path / "no-user-settings.json"
    no_settings.write_text("{}", encoding="utf-8")
    env = dict(os.environ)
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        QWEN_LSP_CONFIG=str(no_settings),
        QWEN_LSP_CACHE_DIR=str(tmp_path / "qwen-lsp-cache"),
        QWEN_LSP_TEST_INIT_OPTIONS=json.dumps(init_options()),
        QWEN_LSP_COMMAND=json.dumps([sys.executable, "-m", "qwen_lsp"]),
    )
    env.update(extra)
    return env


def engine_suggestion(file: Path, line: int, col: int, tmp_path: Path, **completion: Any) -> str:
    """What ``qwen-lsp complete`` prints for the file at (1-based line, 0-based col), with the
    same settings the editors send (``completion`` overrides some, as an editor's panel does)."""
    options = init_options()
    options["completion"] = {**options.get("completion", {}), **completion}
    settings = tmp_path / "complete-settings.json"
    settings.write_text(json.dumps(options), encoding="utf-8")
    env = client_env(tmp_path, QWEN_LSP_CONFIG=str(settings))
    done = subprocess.run(
        [
            *(sys.executable, "-m", "qwen_lsp", "complete", str(file)),
            *("--line", str(line), "--col", str(col + 1), "--no-index", "--json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    suggestion = json.loads(done.stdout)["suggestion"]
    assert suggestion, f"the engine suggests nothing at {file}:{line}:{col}: {done.stderr}"
    return suggestion


def run_driver(
    command: list[str], env: dict[str, str], out: Path, timeout: float = 90
) -> dict[str, Any]:
    """Run a client driver that writes JSON to ``out``; fail with its output if it does not."""
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, cwd=out.parent
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{command[0]} timed out after {timeout} s:\n{exc.stdout}\n{exc.stderr}")
    if not out.exists():
        pytest.fail(
            f"{command[0]} wrote no result (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    result = json.loads(out.read_text(encoding="utf-8"))
    assert not result.get("error"), f"{command[0]}: {result['error']}\n{done.stderr[-3000:]}"
    return result
