"""What test generation works on: the targets found in a source file, the cases proposed for
them, the tests written, and the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Param:
    """One parameter of a function."""

    name: str
    annotation: str = ""
    default: str | None = None  # source text of the default, None when required
    kind: str = "positional"  # positional | keyword | var (*args) | varkw (**kw)

    @property
    def required(self) -> bool:
        """Whether a call must pass it."""
        return self.default is None and self.kind in ("positional", "keyword")


@dataclass
class Target:
    """A function, class or method to test."""

    name: str
    kind: str  # function | class | method
    params: list[Param] = field(default_factory=list)
    returns: str = ""
    doc: str = ""
    line: int = 0  # 0-based line of the definition
    is_async: bool = False
    source: str = ""  # the definition's text (model context)
    owner: str = ""  # the class of a method
    methods: list[Target] = field(default_factory=list)  # of a class
    decorators: list[str] = field(default_factory=list)

    @property
    def qualname(self) -> str:
        """``Class.method`` or ``function``."""
        return f"{self.owner}.{self.name}" if self.owner else self.name


@dataclass
class Case:
    """One proposed check: a call and what it should give.

    ``setup`` lines run first (doctest statements); ``expected`` is an expression the call
    must equal, ``raises`` an exception name it must raise, ``check`` an assertion template
    over ``{result}`` (an ``isinstance`` check); with none of them the call only has to run.
    """

    target: str  # qualname
    call: str
    origin: str  # doctest | docstring | model | pinned | smoke
    expected: str | None = None
    raises: str | None = None
    check: str | None = None
    setup: list[str] = field(default_factory=list)
    output: str | None = None  # printed output the call must produce
    compare: str = "eq"  # eq | repr | is (None, True, False) | approx


@dataclass
class GeneratedTest:
    """A test function in the generated file."""

    name: str
    target: str
    origin: str
    code: str  # the whole function, decorators included
    fixtures: list[str] = field(default_factory=list)


@dataclass
class Dropped:
    """A test left out, and why."""

    name: str
    target: str
    origin: str
    reason: str


@dataclass
class Report:
    """The outcome of one ``gen-tests`` run (the CLI's JSON report)."""

    source: str
    language: str
    test_file: str = ""
    written: bool = False
    generated: list[GeneratedTest] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    without_tests: list[str] = field(default_factory=list)
    model: str | None = None
    ran: bool = False
    run_command: list[str] = field(default_factory=list)
    run_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    text: str = ""  # the file's content (written, or to be created by an editor)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (without the file's text)."""
        data = asdict(self)
        data.pop("text")
        data["generated"] = [
            {"name": t.name, "target": t.target, "origin": t.origin} for t in self.generated
        ]
        return data
