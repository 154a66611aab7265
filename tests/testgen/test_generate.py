"""Test generation end to end: a small real module gets tests that run and pass; the CLI's
JSON report lists generated, kept and dropped tests; the project's layout is followed and no
file is ever overwritten; paths outside the workspace are refused."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qwen_lsp.testgen.generate import GenerationError, Options, generate_tests
from qwen_lsp.testgen.layout import javascript_placement, project_of, python_placement

from ..support import REPO

MODULE = '''"""Text helpers."""

import re
from decimal import Decimal


def slugify(text, sep="-"):
    """A URL slug.

    >>> slugify("Hello, World!")
    'hello-world'
    >>> slugify("  many   spaces ", sep="_")
    'many_spaces'
    """
    words = re.findall(r"[a-z0-9]+", text.lower())
    return sep.join(words)


def word_count(text: str) -> int:
    """How many words; for example word_count("a b c") -> 3."""
    return len(text.split())


def price(amount, rate):
    """A price with tax."""
    return (Decimal(str(amount)) * (1 + Decimal(str(rate)))).quantize(Decimal("0.01"))


def wrong(n):
    """The documentation is wrong here.

    >>> wrong(2)
    5
    """
    return n * 2


def _private(x):
    return x


class Tally:
    """Counts things.

    >>> t = Tally()
    >>> t.add("a")
    1
    >>> t.add("a")
    2
    """

    def __init__(self, items=None):
        self.counts = {}
        for item in items or []:
            self.add(item)

    def add(self, item):
        self.counts[item] = self.counts.get(item, 0) + 1
        return self.counts[item]

    def most_common(self):
        return max(self.counts, key=self.counts.get)
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "textkit").mkdir(parents=True)
    (root / "textkit" / "__init__.py").write_text("")
    (root / "textkit" / "helpers.py").write_text(MODULE)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "textkit"\nversion = "0"\n')
    return root


def _pytest(test_file: Path, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


def test_generated_tests_run_and_pass(project: Path):
    source = project / "textkit" / "helpers.py"
    report = generate_tests(source, project, Options(run=True, model=False))
    test_file = Path(report.test_file)
    assert test_file == project / "tests" / "test_helpers.py"
    assert report.written and report.ran
    assert report.targets == ["slugify", "word_count", "price", "wrong", "Tally"]
    kept = set(report.kept)
    # The author's statements become tests; the wrong doctest is dropped with the reason.
    assert {"test_slugify_doctest", "test_slugify_doctest_2", "test_word_count_example"} <= kept
    assert "test_tally_doctest" in kept
    dropped = {d.name: d for d in report.dropped}
    assert dropped["test_wrong_doctest"].reason.startswith("assert 4 == 5")
    # Sample calls are pinned to what the code does today.
    text = test_file.read_text()
    assert "assert price(3, 0.25) == Decimal('3.75')" in text
    assert "from decimal import Decimal" in text
    assert "def tally():" in text and "assert tally.most_common() ==" in text
    assert "_private" not in text
    # They really pass, run on their own.
    done = _pytest(test_file, project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(report.kept)} passed" in done.stdout


def test_nothing_runs_without_run_and_nothing_is_overwritten(project: Path):
    marker = project / "imported"
    source = project / "textkit" / "side.py"
    source.write_text(f"open({str(marker)!r}, 'w').close()\n\n\ndef double(x):\n    return 2 * x\n")
    existing = project / "tests" / "test_side.py"
    existing.write_text("# the user's own tests\n")
    report = generate_tests(source, project, Options(model=False))
    assert not marker.exists(), "generating without --run never imports the code"
    assert existing.read_text() == "# the user's own tests\n"
    assert report.test_file == str(project / "tests" / "test_side_generated.py")
    assert "def test_double():\n    double(3)" in Path(report.test_file).read_text()
    again = generate_tests(source, project, Options(model=False))
    assert again.test_file == str(project / "tests" / "test_side_generated_2.py")


def test_layouts(tmp_path: Path):
    # src layout, tests mirroring the package, *_test.py naming
    root = tmp_path / "a"
    (root / "src" / "pkg" / "sub").mkdir(parents=True)
    for folder in (root / "src" / "pkg", root / "src" / "pkg" / "sub"):
        (folder / "__init__.py").write_text("")
    source = root / "src" / "pkg" / "sub" / "mod.py"
    source.write_text("def f():\n    return 1\n")
    (root / "tests" / "sub").mkdir(parents=True)
    (root / "tests" / "sub" / "one_test.py").write_text("")
    (root / "tests" / "two_test.py").write_text("")
    placement = python_placement(source, root)
    assert placement.test_path == root / "tests" / "sub" / "mod_test.py"
    assert placement.import_root == root / "src" and placement.module == "pkg.sub.mod"
    # tests beside the modules, no tests folder
    root = tmp_path / "b"
    root.mkdir()
    (root / "calc.py").write_text("")
    (root / "test_other.py").write_text("")
    assert python_placement(root / "calc.py", root).test_path == root / "test_calc.py"
    # nothing yet: tests/
    root = tmp_path / "c"
    root.mkdir()
    (root / "calc.py").write_text("")
    assert python_placement(root / "calc.py", root).test_path == root / "tests" / "test_calc.py"
    # the project of a file: the nearest marked folder inside the workspace
    (root / "pkg" / "deep").mkdir(parents=True)
    (root / "pkg" / "setup.py").write_text("")
    assert project_of(root / "pkg" / "deep" / "m.py", root) == root / "pkg"
    assert project_of(root / "calc.py", root) == root
    assert project_of(root / "pkg" / "m.py", root / "pkg" / "deep") == root / "pkg" / "deep"
    # JavaScript: __tests__ and .spec naming, relative import
    root = tmp_path / "d"
    (root / "lib").mkdir(parents=True)
    (root / "__tests__").mkdir()
    (root / "__tests__" / "x.spec.js").write_text("")
    placement = javascript_placement(root / "lib" / "util.js", root, esm_syntax=False)
    assert placement.test_path == root / "__tests__" / "util.spec.js"
    assert placement.module == "../lib/util.js" and not placement.esm


JS_MODULE = """/**
 * Add two numbers.
 * @example
 * add(1, 2) // => 3
 */
export function add(a, b) {
  return a + b;
}

/** @example half(3) // => 2 */
export const half = (n) => n / 2;

export class Stack {
  constructor(items) {
    this.items = items || [];
  }
  push(x) {
    this.items.push(x);
    return this.items.length;
  }
}
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_tests_run_with_node_test(tmp_path: Path):
    root = tmp_path / "web"
    (root / "src").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "web", "type": "module"}')
    (root / "src" / "calc.js").write_text(JS_MODULE)
    report = generate_tests(root / "src" / "calc.js", root, Options(run=True, model=False))
    assert report.test_file == str(root / "test" / "calc.test.js")
    assert set(report.kept) >= {"add examples", "add", "half", "Stack creates", "Stack.push"}
    assert [d.name for d in report.dropped] == ["half examples"]  # 3 / 2 is 1.5, not 2
    assert "Expected values to be strictly deep-equal" in report.dropped[0].reason
    text = Path(report.test_file).read_text()
    assert 'import { Stack, add, half } from "../src/calc.js";' in text
    done = subprocess.run(["node", "--test", report.test_file], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_cli_json_report_and_refusals(project: Path, tmp_path: Path):
    source = project / "textkit" / "helpers.py"
    command = [sys.executable, "-m", "qwen_lsp", "gen-tests"]
    done = subprocess.run(
        [
            *command,
            str(source),
            "--run",
            "--format",
            "json",
            "--function",
            "slugify",
            "--root",
            str(project),
            "--model",
            str(REPO / "tests" / "fixtures" / "tiny_qwen2"),
        ],
        capture_output=True,
        text=True,
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["targets"] == ["slugify"]
    assert report["model"] == "tiny-qwen2-fixture"
    generated = {t["name"] for t in report["generated"]}
    assert {"test_slugify_doctest", "test_slugify_doctest_2", "test_slugify"} <= generated
    assert set(report["kept"]) <= generated
    assert {d["name"] for d in report["dropped"]} == generated - set(report["kept"])
    assert all(d["reason"] for d in report["dropped"])
    assert report["ran"] and report["written"]
    # outside the workspace: refused, nothing written
    outside = tmp_path / "elsewhere"
    done = subprocess.run(
        [*command, str(source), "--out", str(outside), "--root", str(project), "--no-model"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "outside the workspace" in done.stderr
    assert not outside.exists()
    done = subprocess.run(
        [*command, str(source), "--root", str(project / "tests"), "--no-model"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "refused" in done.stderr


def test_unsupported_files_and_unknown_functions(project: Path):
    (project / "notes.md").write_text("# notes\n")
    with pytest.raises(GenerationError, match="Python and JavaScript"):
        generate_tests(project / "notes.md", project)
    with pytest.raises(GenerationError, match="no public function or class 'nope'"):
        generate_tests(
            project / "textkit" / "helpers.py", project, Options(function="nope", model=False)
        )
