"""``qwen-lsp check``: exit code, formats, rule selection by id and prefix, and a SARIF 2.1.0
log with the structure the specification requires (checked field by field here; set
``QWEN_LSP_SARIF_SCHEMA`` to the official JSON schema to also validate with ``jsonschema``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = "import os\n\n\ndef f(x):\n    if x == None:\n        return 'n: ' + 1\n    return x\n"


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_lsp", "check", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "m.py").write_text(SOURCE)
    (tmp_path / "clean.py").write_text("def g():\n    return 1\n")
    return tmp_path


def test_text_output_and_exit_codes(project: Path) -> None:
    run = check(str(project))
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert any(":1:8: QL102 warning: `os` is imported but never used" in line for line in lines)
    assert any(
        ":5:8: QL106 warning:" in line and "[fix: Use `is` / `is not`]" in line for line in lines
    )
    assert check(str(project / "clean.py")).returncode == 0
    assert check(str(project), "--fail-on", "error").returncode == 1  # QL104 is an error
    assert check(str(project), "--fail-on", "error", "--ignore", "QL104").returncode == 0


def test_select_and_ignore_take_prefixes(project: Path) -> None:
    rules = {
        r["rule"]
        for r in json.loads(check(str(project), "--format", "json", "--select", "QL10").stdout)
    }
    assert rules == {"QL102", "QL104", "QL106"}
    rules = {
        r["rule"]
        for r in json.loads(check(str(project), "--format", "json", "--ignore", "QL1").stdout)
    }
    assert rules == set()


def test_sarif_2_1_0_structure(project: Path) -> None:
    log = json.loads(check(str(project), "--format", "sarif").stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "qwen-lsp" and isinstance(driver["version"], str)
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(set(ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["helpUri"].startswith("https://")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note", "none")
        assert rule["help"]["markdown"].startswith(f"# {rule['id']}")
    assert run["columnKind"] == "unicodeCodePoints"
    for result in run["results"]:
        assert set(result) <= {"ruleId", "ruleIndex", "level", "message", "locations", "fixes"}
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note", "none")
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"].startswith("file:///")
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (
            region["startLine"],
            region["startColumn"],
        )
        for fix in result.get("fixes", []):
            assert fix["description"]["text"]
            (change,) = fix["artifactChanges"]
            assert change["artifactLocation"]["uri"] == physical["artifactLocation"]["uri"]
            assert change["replacements"]  # minItems 1
            for replacement in change["replacements"]:
                assert replacement["deletedRegion"]["startLine"] >= 1
                assert isinstance(replacement["insertedContent"]["text"], str)
    schema_path = os.environ.get("QWEN_LSP_SARIF_SCHEMA")
    if schema_path:
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(log, json.loads(Path(schema_path).read_text()))
