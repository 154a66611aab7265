"""Snippet completion items of the detected frameworks, with the project's own names in them.

A template's ``{{variable}}`` is filled by the variable's provider (``[variables.<name>]`` of
``framework.toml``): the models of the app's ``models.py``, the application object of a
FastAPI/Flask/Express project, the Java package of the file, a component name from the file
name. ``{{name*}}`` gives every value (for a choice placeholder), ``{{name|filter}}`` a
transformed one.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..index.summary import FileSummary
from .catalog import Catalog, Framework, SnippetTemplate, default_catalog
from .context import _summaries

_VARIABLE = re.compile(r"\{\{\s*(\w+)(\*)?((?:\|\w+)*)\s*\}\}")
_MAX_VALUES = 8


@dataclass(frozen=True)
class SnippetItem:
    """A filled snippet, ready to become a completion item."""

    framework: str
    prefix: str
    label: str
    body: str  # LSP snippet syntax
    description: str


@dataclass
class FileContext:
    """What variable providers know about the edited file."""

    path: str
    text: str
    language_id: str
    summary: FileSummary | None = None
    index: Any = None
    root: str = ""


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def _plural(word: str) -> str:
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


FILTERS: dict[str, Callable[[str], str]] = {
    "lower": str.lower,
    "upper": str.upper,
    "snake": lambda s: "_".join(w.lower() for w in _words(s)),
    "kebab": lambda s: "-".join(w.lower() for w in _words(s)),
    "pascal": lambda s: "".join(w[:1].upper() + w[1:] for w in _words(s)),
    "camel": lambda s: (lambda p: p[:1].lower() + p[1:])(
        "".join(w[:1].upper() + w[1:] for w in _words(s))
    ),
    "plural": _plural,
}


# -- variable providers --------------------------------------------------------------------


def _sibling_definitions(spec: dict[str, Any], ctx: FileContext) -> list[str]:
    target = str(Path(ctx.path).parent / str(spec.get("file", "")))
    if target == ctx.path:
        summary = ctx.summary
    else:
        summary = _summaries.get(target, ctx.index) if os.path.isfile(target) else None
    if summary is None:
        return []
    kinds = set(spec.get("kinds", ["class"]))
    return [d.name for d in summary.definitions if d.parent < 0 and d.kind in kinds]


def _assigned(spec: dict[str, Any], ctx: FileContext) -> list[str]:
    pattern = re.compile(str(spec["pattern"]), re.M)
    names = [m.group(1) for m in pattern.finditer(ctx.text)]
    if ctx.index is not None:
        for path in ctx.index.paths():
            summary = ctx.index.get(path)
            if summary is None or summary.language != ctx.language_id:
                continue
            for d in summary.definitions:
                if d.parent < 0 and d.kind in ("variable", "constant"):
                    m = pattern.match(d.signature)
                    if m:
                        names.append(m.group(1))
            if len(names) > 50:
                break
    return names


def _definitions(spec: dict[str, Any], ctx: FileContext) -> list[str]:
    pattern = re.compile(str(spec.get("pattern", ".")))
    kinds = set(spec.get("kinds", ["class"]))
    names: list[str] = []
    summaries = [ctx.summary] if ctx.summary is not None else []
    if ctx.index is not None:
        summaries += [ctx.index.get(p) for p in ctx.index.paths()]
    for summary in summaries:
        if summary is None:
            continue
        for d in summary.definitions:
            if d.parent < 0 and d.kind in kinds and pattern.search(d.signature):
                names.append(d.name)
        if len(names) > 50:
            break
    return names


def _file_stem(spec: dict[str, Any], ctx: FileContext) -> list[str]:
    stem = Path(ctx.path).name.split(".")[0]
    prefix, suffix = str(spec.get("strip_prefix", "")), str(spec.get("strip_suffix", ""))
    if prefix and stem.startswith(prefix):
        stem = stem[len(prefix) :]
    if suffix and stem.endswith(suffix) and stem != suffix:
        stem = stem[: -len(suffix)]
    case = spec.get("case")
    if case in FILTERS:
        stem = FILTERS[str(case)](stem)
    return [stem] if stem else []


def _folder(spec: dict[str, Any], ctx: FileContext) -> list[str]:
    name = Path(ctx.path).parent.name
    return [name] if name else []


def _java_package(spec: dict[str, Any], ctx: FileContext) -> list[str]:
    m = re.search(r"^\s*package\s+([\w.]+)\s*;?", ctx.text, re.M)
    if m:
        return [m.group(1)]
    parts = Path(ctx.path).parent.parts
    for marker in (("src", "main", "java"), ("src", "main", "kotlin"), ("src", "test", "java")):
        for i in range(len(parts) - len(marker) + 1):
            if tuple(parts[i : i + len(marker)]) == marker:
                rest = parts[i + len(marker) :]
                return [".".join(rest)] if rest else []
    return []


VARIABLE_PROVIDERS: dict[str, Callable[[dict[str, Any], FileContext], list[str]]] = {
    "sibling-definitions": _sibling_definitions,
    "assigned": _assigned,
    "definitions": _definitions,
    "file-stem": _file_stem,
    "folder": _folder,
    "java-package": _java_package,
}


def resolve_variables(framework: Framework, ctx: FileContext) -> dict[str, list[str]]:
    """Every variable of ``framework``: its values from the project, else its default."""
    values: dict[str, list[str]] = {}
    ctx_common = {
        "file_stem": _file_stem({}, ctx),
        "folder": _folder({}, ctx),
    }
    values.update({k: v for k, v in ctx_common.items() if v})
    for name, spec in framework.variables.items():
        provider = VARIABLE_PROVIDERS.get(str(spec.get("provider", "")))
        found: list[str] = []
        if provider is not None:
            try:
                found = provider(spec, ctx)
            except (OSError, re.error, KeyError):
                found = []
        found = list(dict.fromkeys(v for v in found if v))[:_MAX_VALUES]
        if not found and "default" in spec:
            found = [str(spec["default"])]
        if found:
            values[name] = found
    return values


def _escape(value: str) -> str:
    """A value as literal snippet text (``$``, ``}`` and ``\\`` escaped)."""
    return re.sub(r"([$}\\])", r"\\\1", value)


def render(body: str, values: dict[str, list[str]]) -> str:
    """Fill ``{{...}}`` in a snippet body; an unknown variable becomes its own name."""

    def fill(m: re.Match[str]) -> str:
        name, every, filters = m.group(1), m.group(2), [f for f in m.group(3).split("|") if f]
        found = values.get(name) or [name]
        chosen = found if every else found[:1]
        out = []
        for value in chosen:
            for f in filters:
                value = FILTERS.get(f, lambda s: s)(value)
            out.append(_escape(value))
        return ",".join(out)

    return _VARIABLE.sub(fill, body)


def _applies(template: SnippetTemplate, path: str, language_id: str) -> bool:
    if template.languages and language_id not in template.languages:
        return False
    name = os.path.basename(path)
    return not template.files or any(fnmatch.fnmatch(name, p) for p in template.files)


def snippet_items(
    frameworks: set[str], ctx: FileContext, catalog: Catalog | None = None
) -> list[SnippetItem]:
    """The snippets of ``frameworks`` that apply to the edited file, filled in."""
    catalog = catalog or default_catalog()
    items: list[SnippetItem] = []
    for fw in catalog:
        if fw.id not in frameworks:
            continue
        templates = [t for t in fw.snippets if _applies(t, ctx.path, ctx.language_id)]
        if not templates:
            continue
        values = resolve_variables(fw, ctx)
        for t in templates:
            items.append(
                SnippetItem(fw.id, t.prefix, t.label, render(t.body, values), t.description)
            )
    return items
