"""Emacs (Debian's emacs-nox with elpa-eglot) in ``--batch`` against the real server: eglot
connects through editors/emacs/qwen-lsp.el, flymake shows the server's diagnostics, and
``completion-at-point`` inserts the model's suggestion."""

from __future__ import annotations

from typing import Any

import pytest

from .support import (
    COMPLETION_COL,
    COMPLETION_LINE,
    DRIVERS,
    EDITORS,
    ERROR_LINE,
    client_env,
    engine_suggestion,
    require_executable,
    run_driver,
    workspace,
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    emacs = require_executable("emacs", "apt-get install -y emacs-nox elpa-eglot")
    tmp = tmp_path_factory.mktemp("emacs")
    root = workspace(tmp)
    out = tmp / "result.json"
    env = client_env(
        tmp,
        HOME=str(tmp / "home"),
        QWEN_EMACS_LISP=str(EDITORS / "emacs"),
        QWEN_EMACS_FILE=str(root / "geometry.py"),
        QWEN_EMACS_OUT=str(out),
        QWEN_EMACS_LINE=str(COMPLETION_LINE),
    )
    (tmp / "home").mkdir()
    probe = run_probe(emacs, env, tmp)
    if probe:
        pytest.skip(probe)
    result = run_driver([emacs, "--batch", "-l", str(DRIVERS / "eglot_driver.el")], env, out)
    result["expected"] = engine_suggestion(
        root / "geometry.py", COMPLETION_LINE, COMPLETION_COL, tmp
    )
    return result


def run_probe(emacs: str, env: dict[str, str], tmp: Any) -> str | None:
    """Why eglot cannot be used (it is not installed), or None."""
    import subprocess

    done = subprocess.run(
        [emacs, "--batch", "--eval", "(require 'eglot)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        return (
            f"eglot is not available to Emacs (apt-get install -y elpa-eglot): {done.stderr[-300:]}"
        )
    return None


def test_eglot_connects_with_the_qwen_lsp_class(run: dict[str, Any]) -> None:
    assert run["major_mode"] == "python-mode"
    assert run["server_class"] == "eglot-qwen-lsp"
    assert run["server_name"] == "qwen-lsp"
    assert run["managed"] is True


def test_flymake_shows_the_servers_diagnostics(run: dict[str, Any]) -> None:
    errors = [d for d in run["diagnostics"] if d["line"] == ERROR_LINE]
    assert errors, run["diagnostics"]
    assert "never closed" in errors[0]["text"]
    assert errors[0]["type"] == "eglot-error"


def test_completion_at_point_inserts_the_engines_suggestion(run: dict[str, Any]) -> None:
    assert run["capf"] is True
    first_line = run["expected"].split("\n", 1)[0].strip()
    assert first_line in run["candidates"]
    assert run["completion_at_point"] is True
    # The whole suggestion (eglot applies the item's textEdit), then the file's last newline.
    assert run["inserted"] == run["expected"] + "\n"


def test_no_error_is_shown(run: dict[str, Any]) -> None:
    errors = [m for m in run["messages"] if "error" in m.lower() or "-326" in m]
    assert errors == []
