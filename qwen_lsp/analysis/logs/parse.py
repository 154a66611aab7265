"""Parsers for error logs: Python tracebacks (chained too), Node.js stack traces, Java
exceptions (with ``Caused by``), Go panics, Rust panics, and generic ``file:line[:col]: message``
lines (compilers, linters, pytest).

Every parser returns :class:`LogError` records whose frames are ordered **outermost first,
innermost last** (Python's own order), whatever order the log printed them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Frame:
    """One stack frame: where the code was when the error happened."""

    path: str
    line: int  # 1-based
    column: int | None = None  # 1-based
    function: str = ""
    source: str = ""  # the code line the log printed, if any


@dataclass
class LogError:
    """One error (exception, panic, compiler message) found in a log."""

    language: str  # python, javascript, java, go, rust, generic
    kind: str  # TypeError, java.lang.NullPointerException, panic, error...
    message: str
    frames: list[Frame] = field(default_factory=list)
    causes: list[LogError] = field(
        default_factory=list
    )  # chained/"Caused by", innermost cause last
    start_line: int = 0  # where it starts in the log (0-based)
    repeated: int = 0  # frames elided as "[Previous line repeated N more times]"
    end_line: int = 0  # the line after it (0-based)

    @property
    def short_kind(self) -> str:
        """``NullPointerException`` for ``java.lang.NullPointerException``."""
        return self.kind.rsplit(".", 1)[-1]


# -- Python ---------------------------------------------------------------------------------

_PY_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<fn>.+))?\s*$')
_PY_EXC = re.compile(
    r"^(?P<kind>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt|Iteration|"
    r"GroupError|Group)|[A-Za-z_][\w.]*\.[A-Z]\w*|KeyboardInterrupt|StopIteration|"
    r"GeneratorExit|SystemExit)(?::\s?(?P<msg>.*))?$"
)
_PY_REPEATED = re.compile(r"\[Previous line repeated (\d+) more times?\]")
_PY_CHAIN = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_CARETS = re.compile(r"^\s*[~^]+\s*$")


def parse_python(lines: list[str]) -> list[LogError]:
    """Python tracebacks; a chain (``During handling...``) becomes one error with causes."""
    errors: list[LogError] = []
    chain: list[LogError] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line.lstrip().startswith("Traceback (most recent call last)"):
            if line.strip() in _PY_CHAIN:
                i += 1
                continue
            i += 1
            continue
        start = i
        indent = len(line) - len(line.lstrip())
        frames: list[Frame] = []
        repeated = 0
        i += 1
        while i < n:
            m = _PY_FRAME.match(lines[i])
            if m:
                frame = Frame(m["path"], int(m["line"]), None, (m["fn"] or "").strip())
                if (
                    i + 1 < n
                    and not _PY_FRAME.match(lines[i + 1])
                    and lines[i + 1].startswith(" " * (indent + 4))
                ):
                    frame.source = lines[i + 1].strip()
                    i += 1
                    if i + 1 < n and _CARETS.match(lines[i + 1]):
                        i += 1
                frames.append(frame)
                i += 1
                continue
            r = _PY_REPEATED.search(lines[i])
            if r:
                repeated += int(r.group(1))
                i += 1
                continue
            if lines[i].strip() == "" or _CARETS.match(lines[i]):
                i += 1
                continue
            break
        kind, message = "Exception", ""
        if i < n:
            m = _PY_EXC.match(lines[i].strip())
            if m:
                kind, message = m["kind"], (m["msg"] or "")
                i += 1
                # Messages may continue on indented lines (KeyError reprs, notes).
                while (
                    i < n
                    and lines[i].startswith("    ")
                    and not lines[i].strip().startswith(("File ", "Traceback"))
                ):
                    message += "\n" + lines[i].strip()
                    i += 1
        error = LogError("python", kind, message.strip(), frames, [], start, repeated, i)
        chain.append(error)
        # A chain continues when the next non-blank line announces it.
        j = i
        while j < n and not lines[j].strip():
            j += 1
        if j < n and lines[j].strip() in _PY_CHAIN:
            i = j + 1
            continue
        last = chain[-1]
        last.causes = chain[:-1]
        errors.append(last)
        chain = []
    if chain:
        last = chain[-1]
        last.causes = chain[:-1]
        errors.append(last)
    return errors


# -- Node.js -----------------------------------------------------------------------------

_JS_AT = re.compile(
    r"^\s*at (?:(?P<fn>.+?) \()?(?P<loc>(?:file://)?[^()\s]+?):(?P<line>\d+):(?P<col>\d+)\)?\s*$"
)
_JS_HEAD = re.compile(
    r"^(?P<kind>(?:Uncaught )?[A-Z]\w*(?:Error|Exception)|Error)(?: \[\w+\])?: (?P<msg>.*)$"
)


def parse_node(lines: list[str]) -> list[LogError]:
    """Node/V8 stack traces: ``Kind: message`` then ``    at fn (file:line:col)`` lines."""
    errors: list[LogError] = []
    i = 0
    n = len(lines)
    while i < n:
        m = _JS_HEAD.match(lines[i].strip())
        if not m or i + 1 >= n or not _JS_AT.match(lines[i + 1]):
            i += 1
            continue
        start = i
        frames: list[Frame] = []
        i += 1
        while i < n:
            a = _JS_AT.match(lines[i])
            if not a:
                break
            path = a["loc"]
            if path.startswith("file://"):
                path = path[len("file://") :]
            frames.append(Frame(path, int(a["line"]), int(a["col"]), (a["fn"] or "").strip()))
            i += 1
        frames.reverse()  # V8 prints innermost first
        kind = m["kind"].removeprefix("Uncaught ")
        errors.append(LogError("javascript", kind, m["msg"].strip(), frames, [], start, end_line=i))
    return errors


# -- Java ---------------------------------------------------------------------------------

_JAVA_HEAD = re.compile(
    r"^(?:Exception in thread \"[^\"]*\" |Caused by: )?(?P<kind>(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*"
    r"(?:Exception|Error|Throwable)|[A-Z][\w$]*(?:Exception|Error))(?:: (?P<msg>.*))?$"
)
_JAVA_AT = re.compile(r"^\s+at (?P<fn>[\w$.<>/]+)\((?P<file>[^:()]+)(?::(?P<line>\d+))?\)")


def parse_java(lines: list[str]) -> list[LogError]:
    """Java/Kotlin stack traces; ``Caused by:`` sections become causes (root cause last)."""
    errors: list[LogError] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i].rstrip()
        m = _JAVA_HEAD.match(line.strip())
        if (
            not m
            or line.strip().startswith("Caused by:")
            or i + 1 >= n
            or not _JAVA_AT.match(lines[i + 1])
        ):
            i += 1
            continue
        start = i
        sections: list[LogError] = []
        current = LogError("java", m["kind"], (m["msg"] or "").strip(), [], [], i)
        i += 1
        while i < n:
            a = _JAVA_AT.match(lines[i])
            if a:
                if a["line"] is not None:
                    current.frames.append(
                        Frame(_java_path(a["fn"], a["file"]), int(a["line"]), None, a["fn"])
                    )
                i += 1
                continue
            stripped = lines[i].strip()
            if stripped.startswith("..."):
                i += 1
                continue
            c = _JAVA_HEAD.match(stripped)
            if c and stripped.startswith("Caused by:"):
                current.frames.reverse()
                sections.append(current)
                current = LogError("java", c["kind"], (c["msg"] or "").strip(), [], [], i)
                i += 1
                continue
            break
        current.frames.reverse()
        sections.append(current)
        # The root cause (last "Caused by") is where the fix usually is.
        root = sections[-1]
        root.causes = sections[:-1]
        root.start_line = start
        root.end_line = i
        errors.append(root)
    return errors


def _java_path(function: str, file: str) -> str:
    """``com.shop.Cart.total`` + ``Cart.java`` -> ``com/shop/Cart.java`` (a path suffix)."""
    parts = function.split(".")
    package = [p for p in parts[:-2] if p and p[0].islower()]
    return "/".join([*package, file]) if package else file


# -- Go -----------------------------------------------------------------------------------

_GO_PANIC = re.compile(r"^panic: (?P<msg>.*?)(?: \[recovered\])?$")
_GO_FUNC = re.compile(r"^(?P<fn>[\w./*()\-\[\]]+)\(.*\)$")
_GO_LOC = re.compile(r"^\s+(?P<path>\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$")


def parse_go(lines: list[str]) -> list[LogError]:
    """``panic: ...`` followed by ``goroutine N [running]:`` and function/location pairs."""
    errors: list[LogError] = []
    i = 0
    n = len(lines)
    while i < n:
        m = _GO_PANIC.match(lines[i].strip())
        if not m:
            i += 1
            continue
        start = i
        message = m["msg"]
        frames: list[Frame] = []
        i += 1
        while i < n and not lines[i].startswith("goroutine "):
            if lines[i].strip() and not lines[i].startswith(("\t", " ")):
                message += " " + lines[i].strip() if lines[i].startswith("[") else ""
            i += 1
        i += 1
        function = ""
        while i < n:
            text = lines[i]
            f = _GO_FUNC.match(text.strip())
            loc = _GO_LOC.match(text)
            if loc:
                frames.append(Frame(loc["path"], int(loc["line"]), None, function))
            elif f and not text.startswith(("\t", " ")):
                function = f["fn"]
            elif not text.strip() or text.startswith(("goroutine ", "exit status")):
                break
            i += 1
        frames.reverse()  # Go prints innermost first
        kind = "runtime error" if message.startswith("runtime error") else "panic"
        errors.append(LogError("go", kind, message.strip(), frames, [], start, end_line=i))
    return errors


# -- Rust ---------------------------------------------------------------------------------

_RUST_NEW = re.compile(
    r"^thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at (?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+):$"
)
_RUST_OLD = re.compile(
    r"^thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at '(?P<msg>.*)', (?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+)$"
)


def parse_rust(lines: list[str]) -> list[LogError]:
    """``thread 'main' panicked at src/main.rs:4:5:`` (1.73+) or the older one-line form."""
    errors: list[LogError] = []
    for i, line in enumerate(lines):
        m = _RUST_NEW.match(line.strip())
        message = ""
        if m:
            message = lines[i + 1].strip() if i + 1 < len(lines) else ""
        else:
            m = _RUST_OLD.match(line.strip())
            if m:
                message = m["msg"]
        if not m:
            continue
        frames = [Frame(m["path"], int(m["line"]), int(m["col"]), "")]
        errors.append(LogError("rust", "panic", message, frames, [], i, end_line=i + 2))
    return errors


# -- generic ----------------------------------------------------------------------------

_GENERIC = re.compile(
    r"^(?:--> )?(?P<path>(?:[A-Za-z]:)?[^\s:()]+\.[A-Za-z0-9]+)"
    r"(?::(?P<line>\d+)(?::(?P<col>\d+))?|\((?P<pline>\d+),(?P<pcol>\d+)\))"
    r":?\s*(?:(?P<sev>error|warning|fatal error|note)(?:\[\w+\]| TS\d+)?:?\s*)?(?P<msg>.*)$"
)


def parse_generic(lines: list[str], taken: set[int]) -> list[LogError]:
    """``path:line[:col]: [error:] message`` (gcc, clang, go build, mypy, pytest, eslint's
    unix format) and ``path(line,col): error TS...`` (tsc); lines in ``taken`` were parsed
    by a more specific parser already."""
    errors: list[LogError] = []
    for i, line in enumerate(lines):
        if i in taken:
            continue
        m = _GENERIC.match(line.strip())
        if not m:
            continue
        sev = m["sev"] or ""
        if sev == "note":
            continue
        line_no = int(m["line"] or m["pline"])
        col = m["col"] or m["pcol"]
        message = m["msg"].strip()
        if not message or message.startswith(("in ", "+0x")):
            continue
        kind = sev or "error"
        # pytest's short form: "tests/test_x.py:12: AssertionError".
        errors.append(
            LogError(
                "generic",
                kind,
                message,
                [Frame(m["path"], line_no, int(col) if col else None, "")],
                [],
                i,
            )
        )
    return errors


def parse_log(text: str) -> list[LogError]:
    """Every error in a log, in the order they appear."""
    lines = text.replace("\r\n", "\n").split("\n")
    found: list[LogError] = []
    for parser in (parse_python, parse_node, parse_java, parse_go, parse_rust):
        found.extend(parser(lines))
    taken: set[int] = set()
    for e in found:
        first = min([e.start_line, *(c.start_line for c in e.causes)])
        taken.update(range(first, max(e.end_line, e.start_line + 1)))
    # Lines inside a recognised trace are not generic errors.
    for i, line in enumerate(lines):
        if (
            _PY_FRAME.match(line)
            or _JS_AT.match(line)
            or _JAVA_AT.match(line)
            or _GO_LOC.match(line)
        ):
            taken.add(i)
    found.extend(parse_generic(lines, taken))
    found.sort(key=lambda e: e.start_line)
    return found
