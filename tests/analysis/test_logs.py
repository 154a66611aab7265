"""Log and traceback analysis: each parser on a real log of its runtime, mapping frames to
workspace files, the explanation and corrected line per error kind, and the CLI on a
traceback produced by running a program."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from qwen_lsp.analysis.logs import FileWorkspace, analyze_log, parse_log
from qwen_lsp.analysis.logs.explain import resolve_frame
from qwen_lsp.analysis.logs.parse import Frame

# Logs as the runtimes print them (Java 17+ helpful NPE messages, Rust 1.87+, Node 20).
JAVA = """\
Exception in thread "main" java.lang.IllegalStateException: cart broken
\tat com.shop.Cart.wrap(Cart.java:7)
\tat com.shop.Cart.main(Cart.java:9)
Caused by: java.lang.NullPointerException: Cannot invoke "String.length()" because "com.shop.Cart.name" is null
\tat com.shop.Cart.size(Cart.java:5)
\t... 2 more
"""
RUST = """\
thread 'main' (3436) panicked at src/main.rs:3:8:
called `Option::unwrap()` on a `None` value
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
"""
RUST_OLD = "thread 'main' panicked at 'index out of bounds: the len is 0 but the index is 0', src/main.rs:3:5\n"
GO = """\
panic: runtime error: index out of range [3] with length 1

goroutine 1 [running]:
main.pick(...)
\t/srv/app/main.go:9
main.main()
\t/srv/app/main.go:13 +0x1d
exit status 2
"""
NODE = """\
/srv/app/cart.js:2
  return o.name.length;
                ^

TypeError: Cannot read properties of undefined (reading 'length')
    at total (/srv/app/cart.js:2:17)
    at Object.<anonymous> (/srv/app/cart.js:5:1)
    at Module._compile (node:internal/modules/cjs/loader:1521:14)
    at node:internal/main/run_main_module:28:49

Node.js v20.20.2
"""
GENERIC = """\
src/main.c:4:13: error: 'y' undeclared (first use in this function)
src/app.ts(10,5): error TS2304: Cannot find name 'x'.
tests/test_cart.py:12: AssertionError
"""


def test_parsers_read_each_runtime() -> None:
    (java,) = parse_log(JAVA)
    assert java.short_kind == "NullPointerException" and "is null" in java.message
    assert [(f.path, f.line) for f in java.frames] == [("com/shop/Cart.java", 5)]
    assert [c.short_kind for c in java.causes] == ["IllegalStateException"]
    (rust,) = parse_log(RUST)
    assert rust.message.startswith("called `Option::unwrap()`") and rust.frames[0].line == 3
    (old,) = parse_log(RUST_OLD)
    assert "index out of bounds" in old.message and old.frames[0].column == 5
    (go,) = parse_log(GO)
    assert go.kind == "runtime error" and [f.line for f in go.frames] == [13, 9]  # outermost first
    (node,) = parse_log(NODE)
    assert node.kind == "TypeError" and (node.frames[-1].line, node.frames[-1].column) == (2, 17)
    generic = parse_log(GENERIC)
    assert [(e.frames[0].path, e.frames[0].line) for e in generic] == [
        ("src/main.c", 4),
        ("src/app.ts", 10),
        ("tests/test_cart.py", 12),
    ]


def test_python_chained_traceback_keeps_both_errors() -> None:
    text = """\
Traceback (most recent call last):
  File "/w/app.py", line 3, in load
    return d["missing"]
           ~^^^^^^^^^^^
KeyError: 'missing'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/w/app.py", line 8, in <module>
    run()
  File "/w/app.py", line 5, in load
    raise ValueError("bad config") from e
ValueError: bad config
"""
    (error,) = parse_log(text)
    assert error.kind == "ValueError" and [c.kind for c in error.causes] == ["KeyError"]
    assert error.causes[0].frames[0].source == 'return d["missing"]'


def test_frames_map_to_workspace_files_only(tmp_path: Path) -> None:
    (tmp_path / "com" / "shop").mkdir(parents=True)
    cart = tmp_path / "com" / "shop" / "Cart.java"
    cart.write_text("class Cart {}\n")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    vendored = tmp_path / ".venv" / "lib" / "x.py"
    vendored.write_text("x = 1\n")
    roots = [tmp_path]
    assert resolve_frame(Frame("com/shop/Cart.java", 5), roots) == str(cart)  # a suffix
    assert resolve_frame(Frame(str(cart), 5), roots) == str(cart)
    assert resolve_frame(Frame(str(vendored), 1), roots) is None
    assert resolve_frame(Frame("/etc/passwd", 1), roots) is None
    assert resolve_frame(Frame("node:internal/x", 1), roots) is None


def _workspace(tmp_path: Path, files: dict[str, str]) -> FileWorkspace:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return FileWorkspace([tmp_path])


def _one(tmp_path: Path, files: dict[str, str], log: str):
    report = analyze_log(log.replace("/W", str(tmp_path)), _workspace(tmp_path, files))
    return report.explanations[-1], report


def test_python_explanations_write_corrected_lines(tmp_path: Path) -> None:
    e, report = _one(
        tmp_path,
        {"a.py": 'def f(n):\n    return "total: " + n\n'},
        'Traceback (most recent call last):\n  File "/W/a.py", line 2, in f\n'
        'TypeError: can only concatenate str (not "int") to str\n',
    )
    assert e.corrected_line.strip() == 'return "total: " + str(n)'
    (finding,) = report.findings[str(tmp_path / "a.py")]
    assert finding.source == "qwen-log" and finding.rule == "TypeError"
    e, _ = _one(
        tmp_path,
        {"b.py": "import re\ndef g(s):\n    m = re.match('x', s)\n    return m.group(0)\n"},
        'Traceback (most recent call last):\n  File "/W/b.py", line 4, in g\n'
        "AttributeError: 'NoneType' object has no attribute 'group'\n",
    )
    assert "if m is None:" in e.corrected_line
    e, _ = _one(
        tmp_path,
        {"c.py": "def h(d):\n    return d['k'] + 1\n"},
        "Traceback (most recent call last):\n  File \"/W/c.py\", line 2, in h\nKeyError: 'k'\n",
    )
    assert e.corrected_line.strip() == "return d.get('k') + 1"
    e, _ = _one(
        tmp_path,
        {"d.py": "def avg(xs):\n    return sum(xs) / len(xs)\n"},
        'Traceback (most recent call last):\n  File "/W/d.py", line 2, in avg\n'
        "ZeroDivisionError: division by zero\n",
    )
    assert "if len(xs) else 0" in e.corrected_line
    e, _ = _one(
        tmp_path,
        {"e.py": "import yaml\n"},
        'Traceback (most recent call last):\n  File "/W/e.py", line 1, in <module>\n'
        "ModuleNotFoundError: No module named 'yaml'\n",
    )
    assert any("pip install PyYAML" in s for s in e.steps)


def test_name_error_did_you_mean_from_the_file_and_the_index(tmp_path: Path) -> None:
    class Indexed(FileWorkspace):
        def files_defining(self, name: str) -> list[str]:
            return [str(tmp_path / "pkg" / "prices.py")] if name == "vat_rate" else []

    ws = Indexed([tmp_path])
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "prices.py").write_text("vat_rate = 0.2\n")
    (tmp_path / "f.py").write_text("def f(total):\n    return totl * 2\n")
    log = f'Traceback (most recent call last):\n  File "{tmp_path}/f.py", line 2, in f\n'
    report = analyze_log(log + "NameError: name 'totl' is not defined\n", ws)
    assert report.explanations[0].corrected_line.strip() == "return total * 2"
    (tmp_path / "g.py").write_text('"""Doc."""\nimport os\n\nprint(vat_rate, os)\n')
    log = f'Traceback (most recent call last):\n  File "{tmp_path}/g.py", line 4, in <module>\n'
    report = analyze_log(log + "NameError: name 'vat_rate' is not defined\n", ws)
    fix = report.explanations[0].fix
    assert fix is not None and fix.edits[0].text == "from pkg.prices import vat_rate\n"
    assert (tmp_path / "g.py").read_bytes()[: fix.edits[0].start].endswith(b"import os\n")


def test_javascript_java_go_rust_explanations(tmp_path: Path) -> None:
    e, _ = _one(
        tmp_path,
        {"app/cart.js": "function total(o) {\n  return o.name.length;\n}\n"},
        NODE.replace("/srv", "/W"),
    )
    assert e.corrected_line.strip() == "return o.name?.length;"
    e, _ = _one(
        tmp_path,
        {"com/shop/Cart.java": "\n" * 4 + "    int size() { return name.length(); }\n"},
        JAVA,
    )
    assert e.path.endswith("Cart.java") and "com.shop.Cart.name is null" in e.cause
    e, _ = _one(tmp_path, {"app/main.go": "package main\n" + "\n" * 12}, GO.replace("/srv", "/W"))
    assert e.frame.line == 9 and "out of range" in e.cause
    e, _ = _one(
        tmp_path,
        {"src/main.rs": "fn main() {\n    let v: Vec<i32> = vec![];\n    v.first().unwrap();\n}\n"},
        RUST,
    )
    assert e.path.endswith("main.rs") and "None" in e.cause


def test_cli_explains_a_real_traceback(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("def ratio(a, b):\n    return a / b\n\n\nprint(ratio(1, 0))\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30)
    assert "ZeroDivisionError" in run.stderr
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "qwen_lsp",
            "explain-log",
            "-",
            "--root",
            str(tmp_path),
            "--format",
            "json",
        ],
        input=run.stderr,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    (explanation,) = json.loads(cli.stdout)
    assert explanation["path"] == str(script) and explanation["line"] == 2
    assert explanation["call_chain"] == [f"{script}:5"]
    assert explanation["corrected_line"].strip() == "return (a / b if b else 0)"
