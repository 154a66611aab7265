"""The dev set: HumanEval-like lines (documented short function bodies) of held-out packages."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

from qwen_lsp.training.devset import build_devset
from qwen_lsp.training.gpu_job import REPO
from qwen_lsp.training.humaneval import (
    bench_heldout_packages,
    function_line_tasks,
    load_tasks,
    package_of,
)
from qwen_lsp.training.selection import documented_function_body_lines

SOURCE = textwrap.dedent(
    '''
    """Shapes."""

    import math

    LIMIT = 10


    def area(width, height):
        """Area of a rectangle."""
        # comments are not targets
        product = width * height
        return product


    def undocumented(radius):
        return math.pi * radius * radius


    def only_docstring():
        """Nothing else."""


    class Box:
        """A box."""

        size = LIMIT

        def volume(self, depth):
            """Volume of the box."""
            if depth < 0:
                raise ValueError("negative depth")
            return self.size * self.size * depth
    '''
).lstrip()
LONG = 'def long_one(x):\n    """Too long."""\n' + "    x = x + 1\n" * 45 + "    return x\n"
BODY_LINES = {
    "product = width * height",
    "return product",
    "if depth < 0:",
    'raise ValueError("negative depth")',
    "return self.size * self.size * depth",
}


def test_body_lines_are_those_of_documented_short_functions() -> None:
    lines = SOURCE.split("\n")
    picked = {lines[i].strip() for i in documented_function_body_lines(SOURCE)}
    # Not the docstrings, comments, undocumented or docstring-only functions, class or module
    # level code; nothing of a body over 40 lines; nothing of a file that does not parse.
    assert picked == BODY_LINES
    assert documented_function_body_lines(LONG) == []
    assert documented_function_body_lines("def broken(:\n") == []


def test_function_line_tasks_put_the_cursor_after_the_indentation() -> None:
    records = [
        {"package": f"pkg{k}", "path": f"pkg{k}/shapes.py", "text": SOURCE + LONG} for k in range(3)
    ]
    tasks = function_line_tasks(records, n=100, min_line_chars=6)
    assert tasks and {t.target for t in tasks} <= BODY_LINES
    for t in tasks:
        line = t.prefix.rsplit("\n", 1)[-1] + t.target
        assert (t.prefix + t.target + t.suffix).startswith(SOURCE[:40])
        assert line in (SOURCE + LONG).split("\n") and not t.prefix.rsplit("\n", 1)[-1].strip()
    # One package cannot fill the set.
    capped = function_line_tasks(records * 4, n=100, max_per_package=2)
    per_package = [t.task_id.split("/", 1)[0] for t in capped]
    assert max(per_package.count(p) for p in set(per_package)) <= 2


def test_build_devset_from_a_wheel_and_the_standard_library(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "shapes-1.0-py3-none-any.whl", "w") as whl:
        whl.writestr("shapes/__init__.py", SOURCE)
        whl.writestr(
            "shapes-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: shapes\nVersion: 1.0\nLicense: MIT\n",
        )
        whl.writestr("shapes-1.0.dist-info/RECORD", "shapes/__init__.py,,\n")
    tasks, manifest = build_devset(
        {"shapes", "stdlib-genericpath"}, wheels, tmp_path / "work", n=50, download=False
    )
    packages = {t.task_id.split("/", 1)[0] for t in tasks}
    # The real corpus builder ran (licence read from the wheel's metadata), everything held out.
    assert packages == {"shapes", "stdlib-genericpath"}
    assert set(manifest["heldout_packages"]) == {"shapes", "stdlib-genericpath"}
    assert {t.target for t in tasks if t.task_id.startswith("shapes/")} <= BODY_LINES


def test_the_committed_dev_set_holds_only_held_out_packages() -> None:
    tasks = load_tasks(REPO / "bench" / "data" / "dev_python_functions.jsonl.gz")
    held_out = bench_heldout_packages(str(REPO / "bench" / "data" / "heldout_python.jsonl.gz"))
    packages = [t.task_id.split("/", 1)[0] for t in tasks]
    assert len(tasks) == 500 and len({t.task_id for t in tasks}) == 500
    assert set(packages) <= held_out
    assert max(packages.count(p) for p in set(packages)) <= 25
    assert all(t.target and not t.prefix.rsplit("\n", 1)[-1].strip() for t in tasks)


JS_SOURCE = textwrap.dedent(
    """
    /** Sum of two numbers. */
    function add(a, b) {
      const total = a + b;
      return total;
    }

    // A line comment is not documentation.
    function undocumented(a) {
      a += 1;
      return a;
    }

    class Box {
      /** Volume for a depth. */
      volume(depth) {
        // comments are not targets
        if (depth < 0) throw new Error('negative depth');
        return this.size * this.size * depth;
      }
    }

    /** Next integer. */
    export const increment = (n) => {
      const next = n + 1;
      return next;
    };
    """
).lstrip()
JS_BODY_LINES = {
    "const total = a + b;",
    "return total;",
    "if (depth < 0) throw new Error('negative depth');",
    "return this.size * this.size * depth;",
    "const next = n + 1;",
    "return next;",
}
TS_SOURCE = "/** Doubled. */\nexport function double(x: number): number {\n  const y = x * 2;\n  return y;\n}\n"


def test_js_and_ts_body_lines_are_those_after_a_doc_comment() -> None:
    lines = JS_SOURCE.split("\n")
    picked = {lines[i].strip() for i in documented_function_body_lines(JS_SOURCE, "javascript")}
    assert picked == JS_BODY_LINES
    ts_lines = TS_SOURCE.split("\n")
    ts_picked = documented_function_body_lines(TS_SOURCE, "typescript")
    assert {ts_lines[i].strip() for i in ts_picked} == {"const y = x * 2;", "return y;"}
    long_body = "/** Long. */\nfunction f(x) {\n" + "  x += 1;\n" * 45 + "  return x;\n}\n"
    assert documented_function_body_lines(long_body, "javascript") == []
    assert documented_function_body_lines(JS_SOURCE, "no-such-language") == []


def test_js_function_line_tasks_parse_each_file_by_its_extension() -> None:
    records = [
        {"package": "@scope/shapes", "path": "lib/shapes.js", "text": JS_SOURCE + "\n" * 5},
        {"package": "typed", "path": "src/double.ts", "text": TS_SOURCE + "\n" * 8},
    ]
    tasks = function_line_tasks(records, n=50, language="javascript")
    assert {t.target for t in tasks} <= JS_BODY_LINES | {"const y = x * 2;", "return y;"}
    # The .ts file parsed as TypeScript gave lines too, not only the .js one.
    assert {t.path for t in tasks} == {"lib/shapes.js", "src/double.ts"}
    assert all(t.language == "javascript" for t in tasks)


def test_the_committed_javascript_dev_set_holds_only_held_out_packages() -> None:
    tasks = load_tasks(REPO / "bench" / "data" / "dev_javascript_functions.jsonl.gz")
    held_out = bench_heldout_packages(str(REPO / "bench" / "data" / "heldout_javascript.jsonl.gz"))
    packages = [package_of(t.task_id) for t in tasks]
    # 291: every such line the 25-per-package cap leaves in the 71 held-out npm packages.
    assert len(tasks) == 291 and len({t.task_id for t in tasks}) == 291
    assert set(packages) <= held_out and len(set(packages)) == 37
    assert max(packages.count(p) for p in set(packages)) <= 25
    assert all(t.language == "javascript" and t.target for t in tasks)
