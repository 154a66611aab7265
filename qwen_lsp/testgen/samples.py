"""Sample arguments for generated calls, from ``samples.toml`` (by annotation, then by the
parameter's name, then a fallback list)."""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

from .model import Param

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_FILE = Path(__file__).with_name("samples.toml")
_OUTER = re.compile(r"^\s*(?:typing\.|collections\.abc\.|t\.)?([A-Za-z_][\w.]*)")


@cache
def _data() -> dict:
    return tomllib.loads(_FILE.read_text(encoding="utf-8"))


def _outer(annotation: str) -> str:
    """The outermost type name: ``Optional[list[int]]`` -> ``list``, ``int | None`` -> ``int``."""
    text = annotation.strip().strip("'\"")
    for _ in range(3):
        m = re.match(r"^(?:typing\.)?Optional\[(.*)\]$", text)
        if not m:
            break
        text = m.group(1)
    parts = [p.strip() for p in re.split(r"\|(?![^\[]*\])", text) if p.strip() != "None"]
    text = parts[0] if parts else "None"
    m = _OUTER.match(text)
    return m.group(1) if m else ""


class Samples:
    """Sample values of one language."""

    def __init__(self, language: str) -> None:
        data = _data().get(language, {})
        self.annotations: dict[str, list[str]] = data.get("annotations", {})
        self.names = [(re.compile(k), v) for k, v in data.get("names", {}).items()]
        self.fallback: list[str] = data.get("fallback", ["1"])
        self.imports: dict[str, str] = data.get("needs", {})

    def values_for(self, param: Param, fallback: bool = True) -> list[str]:
        """Candidate values for ``param``, best first (``fallback``: when nothing is known
        about it, the fallback list, else nothing)."""
        if param.annotation:
            outer = _outer(param.annotation)
            for key in (outer, outer.rsplit(".", 1)[-1]):
                if key in self.annotations:
                    return list(self.annotations[key])
        for pattern, values in self.names:
            if pattern.search(param.name):
                return list(values)
        return list(self.fallback) if fallback else []

    def needs(self, value: str) -> list[str]:
        """Import lines a sample value needs."""
        return [line for name, line in self.imports.items() if re.match(rf"{name}\(", value)]

    def argument_sets(self, params: list[Param], count: int = 3) -> list[list[tuple[Param, str]]]:
        """Up to ``count`` different argument lists: the required parameters with their first,
        then second samples, then with the optional ones given as well (by keyword)."""
        required = [p for p in params if p.required]
        optional = [p for p in params if not p.required and p.kind in ("positional", "keyword")]
        candidates = [self.values_for(p) or ["None"] for p in required]
        sets: list[list[tuple[Param, str]]] = []
        for i in range(2):
            chosen: list[tuple[Param, str]] = []
            for p, values in zip(required, candidates, strict=True):
                value = values[min(i, len(values) - 1)]
                if i == 0 and any(v == value for _q, v in chosen):
                    # Distinct values where the samples allow: f(3, 3) tests less than f(3, 1).
                    value = next((v for v in values if all(v != w for _q, w in chosen)), value)
                chosen.append((p, value))
            if chosen not in sets:
                sets.append(chosen)
        if optional:
            extra = [
                (Param(p.name, p.annotation, None, "keyword"), values[0])
                for p in optional
                if (values := self.values_for(p, fallback=False)) and values[0] != "None"
            ]
            if extra:
                sets.append([*sets[0], *extra])
        return sets[:count] or [[]]
