"""``qwen-lsp convert FILE --to LANG``: the converted code on stdout, or the reason on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .helpers import parses


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_lsp", "convert", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_convert_lines_to_java(tmp_path: Path) -> None:
    source = tmp_path / "evens.py"
    source.write_text(
        "import os\n\n\ndef evens(xs: list[int]) -> list[int]:\n"
        "    return [x for x in xs if x % 2 == 0]\n"
    )
    done = _run(str(source), "--to", "java", "--lines", "4-5", "--no-model")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("public static List<Integer> evens(List<Integer> xs) {")
    assert "xs.stream().filter(x -> x % 2 == 0).collect(Collectors.toList())" in done.stdout
    assert parses("java", done.stdout, wrap="java-members")


def test_uncovered_code_exits_1_with_the_reason(tmp_path: Path) -> None:
    source = tmp_path / "shapes.js"
    source.write_text("class Shape {}\nconst n = [1, 2].map((x) => x + 1);\n")
    done = _run(str(source), "--to", "python", "--no-model", "--format", "json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["text"] == ""
    assert report["uncovered"] == ["a class declaration"]
    only_second = _run(str(source), "--to", "python", "--no-model", "--range", "2:1-2:40")
    assert only_second.returncode == 0, only_second.stderr
    assert only_second.stdout.strip() == "n = [x + 1 for x in [1, 2]]"
