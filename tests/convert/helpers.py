"""Running both sides of a conversion: Python in a fresh interpreter, JavaScript with node, and
parsing with the target's tree-sitter grammar."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from qwen_lsp.syntax.languages import default_registry

WRAP = {
    "java": "class Converted {{\n    void converted() {{\n{code}\n    }}\n}}",
    "java-members": "class Converted {{\n{code}\n}}",
}


def parses(language: str, code: str, wrap: str | None = None) -> bool:
    """Whether ``code`` parses without an error node in ``language``'s grammar."""
    text = WRAP[wrap].format(code=textwrap.indent(code, "    ")) if wrap else code
    parser = default_registry().by_id(language).parser()
    tree = parser.parse(text.encode("utf-8"))
    return not tree.root_node.has_error


def run_python(source: str, calls: list[list]) -> list:
    """``f(*args)`` of ``source`` for each argument list, as JSON values."""
    script = (
        source
        + "\nimport json, sys\n"
        + f"print(json.dumps([f(*a) for a in json.loads({json.dumps(json.dumps(calls))})]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_node(source: str, calls: list[list]) -> list:
    """The same with node."""
    script = source + f"\nconsole.log(JSON.stringify({json.dumps(calls)}.map((a) => f(...a))));\n"
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + "\n" + source
    return json.loads(done.stdout.strip().splitlines()[-1])
