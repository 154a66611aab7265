"""The LSP4IJ template (editors/intellij/qwen-lsp). IntelliJ cannot run here, so this checks what
can be checked without it: the fields LSP4IJ's template deserializer reads are there with the
right types, the command starts this server, the mappings are the server's languages (the file
is generated from the registry and current), and the JSON files parse."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

from qwen_lsp.syntax.languages import default_registry

from .support import EDITORS

TEMPLATE_DIR = EDITORS / "intellij" / "qwen-lsp"


def test_template_is_generated_from_the_languages_registry() -> None:
    done = subprocess.run(
        [sys.executable, str(EDITORS / "intellij" / "generate_template.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_template_has_the_fields_lsp4ij_reads() -> None:
    template = json.loads((TEMPLATE_DIR / "template.json").read_text(encoding="utf-8"))
    assert isinstance(template["name"], str) and template["name"]
    assert isinstance(template["programArgs"]["default"], str)
    registry = default_registry()
    ids = {lang.id for lang in registry}
    seen = set()
    for mapping in template["fileTypeMappings"]:
        patterns = mapping["fileType"]["patterns"]
        assert patterns and all(isinstance(p, str) for p in patterns)
        assert mapping["languageId"] in ids
        seen.add(mapping["languageId"])
        for pattern in patterns:
            if pattern.startswith("*."):
                language = registry.for_path(f"x{pattern[1:]}", "")
                assert language is not None and language.id == mapping["languageId"], pattern
    assert {"python", "javascript", "typescript", "go", "rust", "java"} <= seen


def test_the_command_is_a_qwen_lsp_serve_invocation() -> None:
    template = json.loads((TEMPLATE_DIR / "template.json").read_text(encoding="utf-8"))
    program, *args = shlex.split(template["programArgs"]["default"])
    assert program == "qwen-lsp"
    done = subprocess.run(
        [sys.executable, "-m", "qwen_lsp", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "--stdio" in done.stdout, done.stdout + done.stderr


def test_configuration_files_parse() -> None:
    assert json.loads((TEMPLATE_DIR / "initializationOptions.json").read_text()) == {}
    settings = json.loads((TEMPLATE_DIR / "settings.json").read_text())
    assert set(settings) == {"qwenLsp"}
