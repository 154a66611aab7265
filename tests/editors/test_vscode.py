"""The VS Code extension, tested with what runs without VS Code: the committed settings block is
current, strict TypeScript compiles, the Node tests drive the real server with the extension's own
client capabilities and initialization options (editors/vscode/test/*.test.ts), and the packaged
.vsix holds what it should."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from qwen_lsp.config import vscode_configuration

from .support import EDITORS, client_env, require_executable

VSCODE = EDITORS / "vscode"


def _npm(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    npm = require_executable("npm", "Node.js from the machine image")
    return subprocess.run(
        [npm, *args], cwd=VSCODE, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    require_executable("node", "Node.js from the machine image")
    if not (VSCODE / "node_modules" / "vscode-languageclient").is_dir():
        pytest.skip("editors/vscode/node_modules is missing (cd editors/vscode && npm ci)")
    tmp = tmp_path_factory.mktemp("vscode")
    env = client_env(tmp)
    check = _npm(["run", "--silent", "check-generated"], env)
    build = _npm(["run", "--silent", "build"], env) if check.returncode == 0 else None
    test = _npm(["test"], env) if build and build.returncode == 0 else None
    package = _npm(["run", "--silent", "package"], env) if build and build.returncode == 0 else None
    return {"check": check, "build": build, "test": test, "package": package}


def test_package_json_settings_are_generated_from_the_server(built: dict[str, Any]) -> None:
    assert built["check"].returncode == 0, built["check"].stdout + built["check"].stderr
    pkg = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert pkg["contributes"]["configuration"][0] == vscode_configuration()


def test_strict_typescript_compiles_and_bundles(built: dict[str, Any]) -> None:
    build = built["build"]
    assert build is not None and build.returncode == 0, build and build.stdout + build.stderr
    tsconfig = json.loads((VSCODE / "tsconfig.json").read_text(encoding="utf-8"))
    assert tsconfig["compilerOptions"]["strict"] is True
    assert (VSCODE / "dist" / "extension.js").stat().st_size > 10_000


def _tap(output: str) -> tuple[list[str], list[str]]:
    passed = re.findall(r"^ok \d+ - (.+)$", output, re.M)
    failed = re.findall(r"^not ok \d+ - (.+)$", output, re.M)
    return passed, failed


def test_node_tests_against_the_real_server(built: dict[str, Any]) -> None:
    test = built["test"]
    assert test is not None, "not built"
    passed, failed = _tap(test.stdout)
    assert failed == [], test.stdout[-6000:] + test.stderr[-2000:]
    assert test.returncode == 0, test.stdout[-3000:]
    assert len(passed) >= 6
    for name in (
        "initialize with the extension capabilities and settings",
        "inline completion is the engine output, and the status bar follows the model",
        "diagnostics arrive and their quick fix repairs the file",
        "accepting a suggestion runs its command on the server, as VS Code sends it",
        "explain a traceback from the clipboard: explanations come back, the line gets a diagnostic",
    ):
        assert name in passed


def test_vsix_contents(built: dict[str, Any]) -> None:
    package = built["package"]
    assert package is not None and package.returncode == 0, (
        package and package.stdout + package.stderr
    )
    pkg = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    vsix = VSCODE / "dist" / f"{pkg['name']}-{pkg['version']}.vsix"
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        packaged = json.loads(archive.read("extension/package.json"))
        manifest = archive.read("extension.vsixmanifest").decode()
    assert {"extension/package.json", "extension/dist/extension.js", "extension/readme.md"} <= names
    assert not [
        n
        for n in names
        if "node_modules" in n or n.startswith(("extension/src/", "extension/test/"))
    ]
    assert packaged["main"] == "./dist/extension.js"
    assert packaged["contributes"]["configuration"][0] == vscode_configuration()
    commands = {c["command"] for c in packaged["contributes"]["commands"]}
    assert commands == {
        "qwenLsp.explainLog",
        "qwenLsp.explainLogFile",
        "qwenLsp.clearLog",
        "qwenLsp.generateTests",
        "qwenLsp.modelInfo",
        "qwenLsp.restartServer",
    }
    assert 'Id="qwen-lsp"' in manifest
    assert Path(vsix).stat().st_size < 1_000_000
