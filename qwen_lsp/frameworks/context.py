"""Framework-related files as completion context: the third source of the context builder.

While a Django ``views.py`` (``serializers.py``, ``admin.py``...) is edited, the models of the
app's ``models.py`` go into the prompt; in a React component, the props type of every
component it imports. Which files, for which edited files, is data (``[[context]]`` rules of
``templates/<framework>/framework.toml``); the providers here implement the rule kinds.
"""

from __future__ import annotations

import fnmatch
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from ..context.crossfile import SourceLines, _render
from ..engine.prompt import Snippet
from ..index.summary import FileSummary, summarize
from ..index.worker import summarize_bytes
from ..syntax.languages import default_registry
from ..syntax.text import TextBuffer
from .catalog import Catalog, ContextRule, default_catalog
from .detect import default_detector, project_root

_SCRIPT_EXTS = (".tsx", ".ts", ".jsx", ".js", ".mjs")
_QUOTE_LINES = 40


class SummaryReader:
    """Summaries of files outside the index (or not yet indexed), cached by modification time."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, FileSummary | None]] = {}

    def get(self, path: str, index: object = None) -> FileSummary | None:
        if index is not None:
            found = index.get(path)  # type: ignore[attr-defined]
            if found is not None:
                return found
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return None
        entry = self._cache.get(path)
        if entry is not None and entry[0] == mtime:
            return entry[1]
        language = default_registry().for_path(path)
        summary = None
        if language is not None:
            try:
                summary = summarize_bytes(path, language.id, Path(path).read_bytes())
            except OSError:
                summary = None
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[path] = (mtime, summary)
        return summary


_summaries = SummaryReader()


def rules_for(
    path: str, language_id: str | None, catalog: Catalog | None = None
) -> list[tuple[str, ContextRule]]:
    """``(framework id, rule)`` of every context rule that names files like ``path`` (before
    detection: cheap, to decide whether the source runs at all)."""
    catalog = catalog or default_catalog()
    name = os.path.basename(path)
    out = []
    for fw in catalog:
        if language_id is not None and language_id not in fw.languages:
            continue
        for rule in fw.context:
            if any(fnmatch.fnmatch(name, pattern) for pattern in rule.when):
                out.append((fw.id, rule))
    return out


def framework_snippets(
    path: str,
    root: str,
    language_id: str | None,
    text: str,
    tree: object,
    index: object,
    budget_tokens: int,
    count: Callable[[str], int],
    deadline: float,
    source_lines: SourceLines,
    catalog: Catalog | None = None,
) -> list[Snippet]:
    """Snippets that the project's frameworks relate to the file at ``path``."""
    rules = rules_for(path, language_id, catalog)
    if not rules or not path:
        return []
    project = root or str(project_root(Path(path)))
    current = _current_summary(path, language_id, text, tree)
    detected = default_detector().ids(project, index)
    if current is not None:
        detected |= imported_frameworks([i.module for i in current.imports], catalog)
    chosen: list[Snippet] = []
    used = 0
    seen: set[tuple[str, str]] = set()
    for framework_id, rule in rules:
        if framework_id not in detected or time.monotonic() > deadline:
            continue
        provider = _PROVIDERS.get(rule.provider)
        if provider is None:
            continue
        for target, body in provider(rule, path, current, index, source_lines):
            if (target, body) in seen:
                continue
            seen.add((target, body))
            cost = count(body) + 8
            if used + cost > budget_tokens:
                continue
            used += cost
            chosen.append(Snippet(_relative(target, project), body, "framework"))
    return chosen


def imported_frameworks(modules: list[str], catalog: Catalog | None = None) -> set[str]:
    """Ids of the frameworks whose modules are among ``modules``."""
    catalog = catalog or default_catalog()
    out = set()
    for fw in catalog:
        for pattern in fw.imports:
            if any(m == pattern or m.startswith((pattern + ".", pattern + "/")) for m in modules):
                out.add(fw.id)
    return out


def _current_summary(
    path: str, language_id: str | None, text: str, tree: object
) -> FileSummary | None:
    language = default_registry().by_id(language_id) if language_id else None
    if language is None or tree is None:
        return None
    data = text.encode("utf-8", "surrogatepass")
    return summarize(path, language, tree, TextBuffer(data), "", with_references=False)  # type: ignore[arg-type]


# -- providers -----------------------------------------------------------------------------

Provider = Callable[
    [ContextRule, str, "FileSummary | None", object, SourceLines], list[tuple[str, str]]
]


def _sibling_definitions(
    rule: ContextRule,
    path: str,
    current: FileSummary | None,
    index: object,
    source_lines: SourceLines,
) -> list[tuple[str, str]]:
    """Top-level definitions (of ``kinds``) of ``file`` in the edited file's folder."""
    target = str(Path(path).parent / str(rule.options.get("file", "")))
    if target == path or not os.path.isfile(target):
        return []
    summary = _summaries.get(target, index)
    if summary is None:
        return []
    kinds = set(rule.options.get("kinds", ["class"]))
    lines = source_lines.lines(target)
    out = []
    for i, d in enumerate(summary.definitions):
        if d.parent < 0 and d.kind in kinds:
            out.append((target, _quote(summary, i, lines)))
    return out


def _quote(summary: FileSummary, i: int, lines: list[str]) -> str:
    """A definition whole when it is short, else its outline (header and members)."""
    d = summary.definitions[i]
    if lines and d.span.end_line - d.span.start_line < _QUOTE_LINES:
        return "\n".join(lines[d.span.start_line : d.span.end_line + 1])
    return _render(summary, i, lines)


def _component_props(
    rule: ContextRule,
    path: str,
    current: FileSummary | None,
    index: object,
    source_lines: SourceLines,
) -> list[tuple[str, str]]:
    """The props type of each component the edited file imports from the project."""
    if current is None:
        return []
    out = []
    for imp in current.imports:
        # The component's name in its own file: the imported name, or for a default import
        # the local one (`import Button from "./Button"`).
        name = imp.name if imp.name not in ("", "*", "default") else imp.alias or imp.local_name
        if not name[:1].isupper() or not imp.module.startswith("."):
            continue
        for target in _resolve(path, imp.module, current.language, index):
            summary = _summaries.get(target, index)
            if summary is None:
                continue
            found = _props_of(summary, name, source_lines.lines(target))
            if found:
                out.append((target, found))
                break
    return out


def _resolve(path: str, module: str, language: str, index: object) -> list[str]:
    if index is not None:
        hits = index.resolve_module(path, module, language)  # type: ignore[attr-defined]
        if hits:
            return hits
    base = os.path.normpath(os.path.join(os.path.dirname(path), module))
    candidates = [base] if os.path.splitext(base)[1] in _SCRIPT_EXTS else []
    candidates += [base + ext for ext in _SCRIPT_EXTS]
    candidates += [os.path.join(base, "index" + ext) for ext in _SCRIPT_EXTS]
    return [c for c in candidates if os.path.isfile(c)]


def _props_of(summary: FileSummary, component: str, lines: list[str]) -> str | None:
    """``<Component>Props`` (interface or type), else the declared type of the component's
    first parameter, else its ``propTypes`` assignment; quoted from the source."""
    by_name = {d.name: i for i, d in enumerate(summary.definitions) if d.parent < 0}
    wanted = [f"{component}Props"]
    comp = by_name.get(component)
    if comp is None and len([d for d in summary.definitions if d.kind == "function"]) == 1:
        comp = next(i for i, d in enumerate(summary.definitions) if d.kind == "function")
    if comp is not None:
        sig = summary.definitions[comp].signature
        m = re.search(r"\(\s*(?:\{[^}]*\}|\w+)\s*:\s*([A-Z]\w*)", sig)
        if m:
            wanted.append(m.group(1))
    for name in wanted:
        i = by_name.get(name)
        if i is not None and summary.definitions[i].kind in ("interface", "type", "class"):
            return _quote(summary, i, lines)
    text = "\n".join(lines)
    m = re.search(rf"^{re.escape(component)}\.propTypes\s*=\s*\{{", text, re.M)
    if m:
        depth, end = 0, m.end() - 1
        for j in range(m.end() - 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                end = j
                break
        return text[m.start() : end + 1] + ";"
    return None


_PROVIDERS: dict[str, Provider] = {
    "sibling-definitions": _sibling_definitions,
    "component-props": _component_props,
}


def _relative(path: str, root: str) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return os.path.basename(path)
