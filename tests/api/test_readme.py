"""The README's "Python API" example runs as written, on the embedded module, with the issue's
context (``def calculate_discount(price, discount_rate):`` and an indented empty line), and
streaming prints the same text as ``complete``."""

from __future__ import annotations

import contextlib
import io

from ..support import REPO
from .test_api import README_EXAMPLE


def test_readme_python_api_example_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)  # the README's own code
    namespace["engine"].close()
    assert namespace["code"] == README_EXAMPLE
    printed = out.getvalue()  # print(complete) then the streamed pieces
    half = (len(printed) - 1) // 2
    whole, streamed = printed[:half], printed[half + 1 :]
    assert whole.strip(), "the embedded model completes the example"
    assert printed == whole + "\n" + streamed and streamed == whole
