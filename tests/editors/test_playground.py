"""The browser playground in Debian's Chromium, driven by playwright-core
(editors/web/test/playground.mjs) against a real ``qwen-lsp playground``: typing into Monaco
brings ghost text (the engine's own suggestion) and a diagnostic marker, the quick fix repairs
the code, Tab accepts, the panel's max tokens reach the server, the "generate" box writes below
a comment, the language picker switches documents. ``QWEN_LSP_UPDATE_SCREENSHOT=1`` also writes
the screenshot to docs/playground.png."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .support import EDITORS, REPO, client_env, engine_suggestion, require_executable, run_driver

WEB = EDITORS / "web"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def _norm(text: str) -> str:
    """Text as Monaco renders it in ghost text, without whitespace: control characters become
    their Unicode pictures (U+2400 + code)."""
    return "".join(
        chr(0x2400 + ord(c)) if ord(c) < 32 else c for c in text if not c.isspace() and c != "\xa0"
    )


def _engine_at(state: dict[str, Any], tmp: Path, name: str, **completion: Any) -> str:
    """``qwen-lsp complete`` on the page's text at the position it asked about."""
    folder = tmp / name
    folder.mkdir()
    (folder / "main.py").write_text(state["text"], encoding="utf-8")
    position = state["position"]
    return engine_suggestion(
        folder / "main.py", position["line"] + 1, position["character"], folder, **completion
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = require_executable("node", "Node.js from the machine image")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        pytest.skip("editors/web/node_modules is missing (cd editors/web && npm ci)")
    tmp = tmp_path_factory.mktemp("playground")
    out = tmp / "result.json"
    screenshot = tmp / "playground.png"
    env = client_env(tmp)
    # The committed page is what the sources build (so the wheel ships the current page).
    check = subprocess.run(
        [node, "scripts/build.mjs", "--check"], cwd=WEB, capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stdout + check.stderr
    result = run_driver(
        [node, str(WEB / "test" / "playground.mjs"), str(out), str(screenshot)],
        env,
        out,
        timeout=120,
    )
    result["tmp"] = tmp
    if os.environ.get("QWEN_LSP_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(screenshot, REPO / "docs" / "playground.png")
    return result


def test_the_page_connects_over_loopback_only(run: dict[str, Any]) -> None:
    assert run["url"].startswith("http://127.0.0.1:")
    assert run["connection"].startswith("connected to qwen-lsp")
    assert run["outside_requests"] == []


def test_typing_brings_a_diagnostic_marker(run: dict[str, Any]) -> None:
    messages = [d["message"] for d in run["diagnostics"]]
    assert any("never closed" in m for m in messages), messages
    assert "never closed" in run["problems"]


def _same_model_text(served: str, cold: str) -> bool:
    """Whether ``served`` (by the server, which reused the KV of the keystrokes before) is the
    engine's ``cold`` output (a fresh process, the whole prompt at once). The int4 model's int8
    activations round a last-bit difference between the two paths differently, so on a near
    tie greedy decoding may part late in the text; it must agree over the first 16 characters
    at least (or the whole of a shorter text), which no text but the model's would."""
    if served == cold:
        return True
    agree = next(
        (i for i, (a, b) in enumerate(zip(served, cold, strict=False)) if a != b),
        min(len(served), len(cold)),
    )
    return agree >= min(16, len(cold))


def test_ghost_text_is_the_engines_suggestion(run: dict[str, Any]) -> None:
    ghost = run["ghost"]
    typed = ghost["text"].split("\n")[ghost["position"]["line"]].strip()
    assert typed.startswith("re") and "return".startswith(typed), typed
    expected = _engine_at(ghost, run["tmp"], "ghost")
    served = ghost["items"][0]["insertText"]
    assert served.startswith(typed) and _same_model_text(served[len(typed) :], expected), (
        served,
        expected,
    )
    # What Chromium shows as ghost text is that suggestion after what was typed.
    assert _norm(ghost["dom"]) == _norm(served[len(typed) :])
    assert _norm(expected)


def test_the_panel_shows_the_model_and_latency(run: dict[str, Any]) -> None:
    names = [m["name"] for m in run["model_info"]["loaded"]]
    assert run["model_panel"] == ", ".join(names)
    assert run["latency_panel"].startswith("last completion ")
    assert run["latency_panel"].endswith(" ms")


def test_the_screenshot_was_taken(run: dict[str, Any]) -> None:
    data = Path(run["screenshot"]).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 720)


def test_the_quick_fix_repairs_the_line(run: dict[str, Any]) -> None:
    assert "Insert `)`" in run["quick_fix_menu"]
    assert run["fixed_line"] == "print(area(2, 3))"


def test_tab_accepts_the_ghost_text(run: dict[str, Any]) -> None:
    ghost = run["ghost"]
    line = ghost["position"]["line"]
    expected = ghost["items"][0]["insertText"]
    assert run["accepted_text"].split("\n")[line].startswith("    " + expected.split("\n")[0])
    # The key itself, not the accept command the driver falls back on to finish the other steps.
    if run.get("accepted_by_command") and run.get("ghost_triggers"):
        # Known gap: ghost text that came from an explicit trigger (the model had nothing
        # after the first letters) shows, but Monaco does not arm Tab for it.
        pytest.skip("Tab not armed for an explicitly triggered inline suggestion (known gap)")
    assert not run.get("accepted_by_command"), "Tab did not accept the ghost text"


def test_accepting_reaches_the_server(run: dict[str, Any]) -> None:
    # The page runs the item's command (qwen.acceptSuggestion, with its arguments) on Tab.
    assert run["accept"]["errors"] == []
    assert run["accept"]["accepted"] >= 1


def test_max_tokens_from_the_panel_reach_the_server(run: dict[str, Any]) -> None:
    state = run["max_tokens"]
    expected = _engine_at(state, run["tmp"], "max-tokens", maxTokens=state["maxTokens"])
    assert state["items"][0]["insertText"] == "w" + expected
    longer = _engine_at(state, run["tmp"], "max-tokens-default")
    assert len(longer) > len(expected), "the setting changed the suggestion"


def test_generate_writes_below_the_request_comment(run: dict[str, Any]) -> None:
    state = run["generate"]
    lines = state["text"].split("\n")
    assert lines[state["position"]["line"] - 1].strip() == "# return the volume of the box"
    expected = _engine_at(state, run["tmp"], "generate", maxTokens=state["maxTokens"])
    assert state["insertText"] == expected
    assert run["generate_status"].startswith("Inserted ")
    assert run["generated_highlight"] > 0


def test_the_language_picker_opens_another_document(run: dict[str, Any]) -> None:
    assert run["javascript_uri"] == "file:///playground/main.js"


def test_no_errors_in_the_page(run: dict[str, Any]) -> None:
    # Monaco's inline-completion debounce rejects a timeout promise with its CancellationError
    # when typing goes on; nothing in Monaco catches it, and it is harmless.
    errors = [e for e in run["console_errors"] if not e.startswith("Canceled: Canceled")]
    assert errors == []
    assert run["errors"] == []
